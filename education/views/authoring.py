"""Counselor authoring: modules, lessons (live sanitised preview, reordering), questions, review and publishing.

Care staff only; everyone else gets 404. Content belongs to a program (or is shared) and is never patient data.
Every change goes through ``education.authoring``, which refuses to edit anything but a draft.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from education import authoring, translating
from education.access import editable_modules, get_editable_module
from education.forms import (
    LessonForm,
    ModuleDetailsForm,
    NewModuleForm,
    PreviewForm,
    QuestionForm,
    SubmitForReviewForm,
)
from education.markdown import render_markdown
from education.models import Lesson, Module, ModuleVersion, Question
from education.readability import GRADE_LIMIT, reading_grade
from education.views.time_zone import in_user_time_zone
from family_portal.requests import PortalRequest
from family_portal.staff_guard import staff_required

Status = ModuleVersion.Status


def _working_version(module: Module) -> ModuleVersion:
    version = module.versions.order_by("-number").first()
    if version is None:
        raise Http404("Not found")
    return version


def _draft_of(request: PortalRequest, slug: str) -> tuple[Module, ModuleVersion]:
    module = get_editable_module(request.user, slug)
    version = _working_version(module)
    if not version.is_editable:
        raise Http404("Not found")
    return module, version


def _prerequisite_choices(request: PortalRequest, exclude: Module | None = None) -> Any:
    modules = editable_modules(request.user).live().select_related("current_version")
    return modules.exclude(pk=exclude.pk) if exclude else modules


def _errors_to_messages(request: PortalRequest, exc: ValidationError) -> None:
    for text in exc.messages:
        messages.error(request, text)


@staff_required
@in_user_time_zone
def manage_home(request: PortalRequest) -> HttpResponse:
    """Every module the viewer may edit, grouped by the state of its newest version."""
    modules = list(
        editable_modules(request.user)
        .select_related("current_version")
        .prefetch_related(
            Prefetch("versions", queryset=ModuleVersion.objects.order_by("-number"), to_attr="newest_first")
        )
    )
    groups: dict[str, list[tuple[Module, ModuleVersion]]] = {status: [] for status in Status.values}
    for module in modules:
        if module.newest_first:  # type: ignore[attr-defined]
            latest = module.newest_first[0]  # type: ignore[attr-defined]
            groups[latest.status].append((module, latest))
    for items in groups.values():
        items.sort(key=lambda pair: pair[1].title.lower())
    return render(
        request,
        "education/manage/home.html",
        {
            "in_review": groups[Status.IN_REVIEW],
            "drafts": groups[Status.DRAFT],
            "published": groups[Status.PUBLISHED],
            "archived": groups[Status.ARCHIVED],
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def module_new(request: PortalRequest) -> HttpResponse:
    form = NewModuleForm(
        request.POST or None, modules=_prerequisite_choices(request), shared=request.user.program_id is None
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        slug, prerequisites, position = data.pop("slug"), data.pop("prerequisites"), data.pop("path_position")
        try:
            version = authoring.create_module(author=request.user, slug=slug, program=request.user.program, **data)
            authoring.update_version(version=version, prerequisites=list(prerequisites), path_position=position)
        except ValidationError as exc:
            _errors_to_messages(request, exc)
        else:
            messages.success(request, _("Module created as a draft. Add its lessons next."))
            return redirect("education:manage_module", slug=version.module.slug)
    return render(request, "education/manage/module_new.html", {"form": form})


@staff_required
@require_http_methods(["GET", "POST"])
@in_user_time_zone
def manage_module(request: PortalRequest, slug: str) -> HttpResponse:
    """The working version: its details (editable while a draft), lessons, questions and workflow actions."""
    module = get_editable_module(request.user, slug)
    version = _working_version(module)
    form = None
    if version.is_editable:
        form = ModuleDetailsForm(
            request.POST or None,
            initial=ModuleDetailsForm.initial_for(version),
            modules=_prerequisite_choices(request, exclude=module),
            shared=module.program_id is None,
        )
        if request.method == "POST" and form.is_valid():
            data = dict(form.cleaned_data)
            prerequisites, position = list(data.pop("prerequisites")), data.pop("path_position")
            try:
                authoring.update_version(version=version, prerequisites=prerequisites, path_position=position, **data)
            except ValidationError as exc:
                _errors_to_messages(request, exc)
            else:
                messages.success(request, _("Details saved."))
                return redirect("education:manage_module", slug=slug)
    elif request.method == "POST":
        raise Http404("Not found")
    lessons = list(version.lessons.only("id", "title", "position", "body"))
    questions = list(version.questions.prefetch_related("choices"))
    return render(
        request,
        "education/manage/module.html",
        {
            "module": module,
            "version": version,
            "form": form,
            "lessons": lessons,
            "questions": questions,
            "problems": authoring.version_problems(version) if version.status != Status.ARCHIVED else [],
            "submit_form": SubmitForReviewForm(),
            "may_publish": request.user.may_publish_content,
            "draft_grade": reading_grade(lesson.body for lesson in lessons) if version.is_editable else None,
            "grade_limit": GRADE_LIMIT,
            "translations": translating.translations_of(version) if version.status != Status.ARCHIVED else [],
        },
    )


def _lesson_of(version: ModuleVersion, lesson_id: Any) -> Lesson:
    lesson = version.lessons.filter(pk=lesson_id).first()
    if lesson is None:
        raise Http404("Not found")
    return lesson


@staff_required
@require_http_methods(["GET", "POST"])
def lesson_edit(request: PortalRequest, slug: str, lesson_id: Any = None) -> HttpResponse:
    """Write or edit a lesson. "Preview" shows the sanitised page without saving (works without JavaScript)."""
    module, version = _draft_of(request, slug)
    lesson = _lesson_of(version, lesson_id) if lesson_id else None
    form = LessonForm(request.POST or None, instance=lesson)
    preview_html = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if "preview" in request.POST:
            preview_html = mark_safe(render_markdown(data["body"]))  # noqa: S308  (sanitised by nh3)
        else:
            try:
                if lesson is None:
                    authoring.add_lesson(version=version, **data)
                else:
                    authoring.update_lesson(lesson=lesson, **data)
            except ValidationError as exc:
                _errors_to_messages(request, exc)
            else:
                messages.success(request, _("Lesson saved."))
                return redirect("education:manage_module", slug=slug)
    return render(
        request,
        "education/manage/lesson_form.html",
        {"module": module, "version": version, "lesson": lesson, "form": form, "preview_html": preview_html},
    )


@staff_required
@require_POST
def lesson_move(request: PortalRequest, slug: str, lesson_id: Any) -> HttpResponse:
    _module, version = _draft_of(request, slug)
    try:
        authoring.move_lesson(lesson=_lesson_of(version, lesson_id), direction=request.POST.get("direction", ""))
    except ValidationError as exc:
        _errors_to_messages(request, exc)
    return redirect(reverse("education:manage_module", kwargs={"slug": slug}) + "#lessons")


@staff_required
@require_POST
def lesson_delete(request: PortalRequest, slug: str, lesson_id: Any) -> HttpResponse:
    _module, version = _draft_of(request, slug)
    authoring.delete_lesson(lesson=_lesson_of(version, lesson_id))
    messages.success(request, _("Lesson removed."))
    return redirect("education:manage_module", slug=slug)


@staff_required
@require_POST
def markdown_preview(request: PortalRequest) -> HttpResponse:
    """Server-sanitised HTML for the live preview (static/js/education-preview.js)."""
    form = PreviewForm(request.POST)
    if not form.is_valid():
        return HttpResponse("<p>The text is too long to preview.</p>", status=400)
    return HttpResponse(render_markdown(form.cleaned_data["body"]), content_type="text/html; charset=utf-8")


@staff_required
@require_http_methods(["GET", "POST"])
def question_edit(request: PortalRequest, slug: str, question_id: Any = None) -> HttpResponse:
    module, version = _draft_of(request, slug)
    question = None
    if question_id:
        question = version.questions.prefetch_related("choices").filter(pk=question_id).first()
        if question is None:
            raise Http404("Not found")
    initial = QuestionForm.initial_for(question) if question else {"kind": Question.Kind.SINGLE}
    form = QuestionForm(request.POST or None, initial=initial, lessons=version.lessons.order_by("position"))
    if request.method == "POST" and form.is_valid():
        try:
            authoring.save_question(
                version=version,
                question=question,
                prompt=form.cleaned_data["prompt"],
                kind=form.cleaned_data["kind"],
                choices=form.choices(),
                lesson=form.cleaned_data["lesson"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Question saved."))
            return redirect("education:manage_module", slug=slug)
    return render(
        request,
        "education/manage/question_form.html",
        {"module": module, "version": version, "question": question, "form": form},
    )


@staff_required
@require_POST
def question_delete(request: PortalRequest, slug: str, question_id: Any) -> HttpResponse:
    _module, version = _draft_of(request, slug)
    question = version.questions.filter(pk=question_id).first()
    if question is None:
        raise Http404("Not found")
    authoring.delete_question(question=question)
    messages.success(request, _("Question removed."))
    return redirect("education:manage_module", slug=slug)


@staff_required
@require_POST
def workflow(request: PortalRequest, slug: str, action: str) -> HttpResponse:
    """Submit for review, send back, publish, start a new version, or archive."""
    module = get_editable_module(request.user, slug)
    version = _working_version(module)
    user = request.user
    try:
        if action == "submit":
            form = SubmitForReviewForm(request.POST)
            note = form.cleaned_data["reading_note"] if form.is_valid() else ""
            authoring.submit_for_review(version=version, author=user, reading_note=note)
            messages.success(request, _("Sent for review."))
        elif action == "return":
            authoring.return_to_draft(version=version, reviewer=user)
            messages.success(request, _("Sent back to draft for changes."))
        elif action == "publish":
            authoring.publish_version(version=version, publisher=user)
            messages.success(request, format_html(_("Version {} is published."), version.number))
        elif action == "new-version":
            new = authoring.start_new_version(module=module, author=user)
            messages.success(request, format_html(_("Draft version {} is ready to edit."), new.number))
        elif action == "archive":
            authoring.archive_module(module=module, actor=user)
            messages.success(request, _("The module is archived. Learners no longer see it."))
        else:
            raise Http404("Not found")
    except PermissionDenied:
        messages.error(request, _("Only a program admin or a content reviewer can do that."))
    except ValidationError as exc:
        _errors_to_messages(request, exc)
    return redirect("education:manage_module", slug=slug)


@staff_required
@in_user_time_zone
def history(request: PortalRequest, slug: str) -> HttpResponse:
    """Every version with who wrote, submitted and published it, and when."""
    module = get_editable_module(request.user, slug)
    versions = module.versions.select_related("created_by", "submitted_by", "published_by").order_by("-number")
    return render(request, "education/manage/history.html", {"module": module, "versions": versions})


@staff_required
def version_preview(request: PortalRequest, slug: str, number: int) -> HttpResponse:
    """Read any version as a learner would, all lessons on one page, with the knowledge check and answers."""
    module = get_editable_module(request.user, slug)
    version = module.versions.filter(number=number).first()
    if version is None:
        raise Http404("Not found")
    return render(
        request,
        "education/manage/version_preview.html",
        {
            "module": module,
            "version": version,
            "lessons": version.lessons.all(),
            "questions": version.questions.prefetch_related("choices"),
        },
    )
