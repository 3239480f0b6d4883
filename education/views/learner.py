"""Learner pages: catalogue, module overview, lessons, knowledge check, certificate and "my learning".

Every page starts from ``access.readable_modules`` so drafts, archived modules and content the viewer may not
read answer 404. Only the catalogue shows patient data (a family's assignments): it goes through the gate and
carries the § 2.32 notice. Query counts do not grow with the number of modules or lessons.

Content is shown in the learner's language (``request.LANGUAGE_CODE``) where its translation is published, else
in English with a note (``education.translating``); progress and answers are the same rows in every language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from education import module_fragments, quizzes, services, support_groups, translating
from education.access import (
    disclosed_assignments,
    enrolled_programs,
    get_readable_module,
    readable_modules,
)
from education.forms import CatalogueFilterForm
from education.lesson_rows import lesson_items
from education.models import (
    Assignment,
    Lesson,
    Module,
    ModuleProgress,
    ModuleTranslation,
    ModuleVersion,
)
from education.module_page import module_page
from family_portal.requests import PortalRequest


@dataclass
class ModuleCard:
    module: Module
    version: ModuleVersion
    lesson_count: int
    progress: ModuleProgress | None = None
    assignment: Assignment | None = None

    @property
    def percent(self) -> int:
        if self.progress is None:
            return 0
        if self.progress.completed_at:
            return 100
        total = getattr(self.progress, "lesson_total", 0) or 1
        return min(99, 100 * getattr(self.progress, "lesson_done", 0) // total)

    @property
    def updated(self) -> bool:
        """A newer version came out after the learner started."""
        return self.progress is not None and self.progress.version_id != self.module.current_version_id


def _progress_rows(user: Any) -> Any:
    return (
        ModuleProgress.objects.filter(learner=user, module__in=readable_modules(user))
        .select_related("version", "module__current_version")
        .annotate(
            lesson_done=Count("completions", distinct=True),
            lesson_total=Count("version__lessons", distinct=True),
        )
    )


def _localize_cards(request: PortalRequest, cards: list[ModuleCard]) -> None:
    """Card titles and summaries in the learner's language, where published (one query, none in English)."""
    translating.localize_versions([c.version for c in cards], translating.content_language(request.LANGUAGE_CODE))


def _current_lesson_counts(assignments: list[Assignment]) -> dict[Any, int]:
    """Lessons in each assigned module's current version, in one query, whatever the catalogue's filter shows:
    an assigned module the learner has not started still says how long it is."""
    versions = {a.module.current_version_id: a.module_id for a in assignments}
    rows = Lesson.objects.filter(version_id__in=versions).order_by().values("version_id").annotate(n=Count("id"))
    return {versions[row["version_id"]]: row["n"] for row in rows}


def catalogue(request: PortalRequest) -> HttpResponse:
    """All modules the viewer may read, with topic filter and search: assigned modules first, then the "Start here"
    path (``Module.path_position`` order, with the learner's progress), modules started off the path, and the other
    modules by title. A search or topic filter lists every match by title instead of the path."""
    user = request.user
    form = CatalogueFilterForm(request.GET or None)
    modules = readable_modules(user).select_related("current_version")
    filtering = False
    if form.is_valid():
        if topic := form.cleaned_data["topic"]:
            modules = modules.filter(current_version__topic=topic)
            filtering = True
        if query := form.cleaned_data["q"].strip():
            translated = ModuleTranslation.objects.filter(
                Q(title__icontains=query) | Q(summary__icontains=query),
                version=OuterRef("current_version"),
                status=ModuleTranslation.Status.PUBLISHED,
            )
            modules = modules.filter(
                Q(current_version__title__icontains=query)
                | Q(current_version__summary__icontains=query)
                | Q(Exists(translated))
            )
            filtering = True
    modules = modules.annotate(lesson_count=Count("current_version__lessons")).order_by("current_version__title")
    progress = {p.module_id: p for p in _progress_rows(user)}
    assignments = disclosed_assignments(request)
    assigned_ids = {a.module_id for a in assignments}

    def card(module: Module, lesson_count: int | None = None, assignment: Assignment | None = None) -> ModuleCard:
        row = progress.get(module.pk)
        count = lesson_count if lesson_count is not None else getattr(row, "lesson_total", 0)
        return ModuleCard(module, module.current_version, count, row, assignment)  # type: ignore[arg-type]

    unstarted = _current_lesson_counts([a for a in assignments if a.module_id not in progress])
    assigned = [card(a.module, unstarted.get(a.module_id), a) for a in assignments]
    continuing = [
        card(row.module)
        for row in sorted(progress.values(), key=lambda p: p.updated_at, reverse=True)
        if not row.completed_at and row.module_id not in assigned_ids
    ]
    cards = [card(m, m.lesson_count) for m in modules]  # type: ignore[attr-defined]
    _localize_cards(request, [*assigned, *continuing, *cards])
    path = [] if filtering else start_here_path(cards, enrolled_programs(user))
    on_path = {c.module.pk for c in path}
    return render(
        request,
        "education/catalogue.html",
        {
            "form": form,
            "assigned": assigned,
            "continuing": [c for c in continuing if c.module.pk not in on_path][:3],
            "path": path,
            "path_done": sum(1 for c in path if c.progress is not None and c.progress.completed_at),
            "next_step": next((c for c in path if c.progress is None or not c.progress.completed_at), None),
            "cards": [c for c in cards if c.module.pk not in on_path],
            "filtering": filtering,
        },
    )


def start_here_path(cards: list[ModuleCard], own_programs: frozenset[int]) -> list[ModuleCard]:
    """The "Start here" path: the cards of modules with a ``path_position``, in that order (ties by title, the
    order ``cards`` come in). Shared modules and the viewer's own programs' only: another program's general
    module stays in the catalogue but does not step into this viewer's path."""
    steps = [
        c
        for c in cards
        if c.module.path_position is not None and (c.module.program_id is None or c.module.program_id in own_programs)
    ]
    return sorted(steps, key=lambda c: c.module.path_position or 0)


def _learner_state(request: PortalRequest, slug: str) -> tuple[Module, ModuleProgress | None]:
    module = get_readable_module(request.user, slug)
    progress = (
        ModuleProgress.objects.filter(learner=request.user, module=module)
        .select_related("version")
        .annotate(took_precheck=quizzes.took_precheck())
        .first()
    )
    return module, progress


def _local_groups(request: PortalRequest, module: Module) -> list[Any]:
    """The program's own support groups, for the one module that ends with them (no query for any other)."""
    return support_groups.groups_for_learner(request.user) if support_groups.shows_local_groups(module) else []


def module_detail(request: PortalRequest, slug: str) -> HttpResponse:
    """A module's overview: lessons with checkmarks, progress, prerequisites (with why), sources, next step."""
    page = module_page(request.user, slug)  # two queries, their SQL compiled once (``education.module_page``)
    module, progress, version, lessons, prerequisites = (
        page.module,
        page.progress,
        page.version,
        page.lessons,
        page.prerequisites,
    )
    done = {lesson.pk for lesson in lessons if lesson.read}
    shown = translating.page_language(
        request.LANGUAGE_CODE, version, *(p.current_version for p in prerequisites if p.current_version)
    )
    translating.localize_lessons(lessons, shown.translation)
    bank_size = (lessons[0].question_count or 0) if lessons else version.questions.count()
    question_count = version.draw_size(bank_size)
    next_lesson = next((lesson for lesson in lessons if lesson.pk not in done), None)
    return render(
        request,
        "education/module_detail.html",
        {
            "module": module,
            "version": version,
            "progress": progress,
            "lessons": lessons,
            "lesson_items": lesson_items(module.slug, lessons, done),  # the list's rows (``education.lesson_rows``)
            "done_count": len(done),
            "next_lesson": next_lesson,
            "prerequisites": prerequisites,
            "question_count": question_count,
            "precheck": quizzes.precheck_offered(
                progress, has_questions=bool(question_count), started_reading=bool(done)
            ),
            "updated": progress is not None and progress.version_id != module.current_version_id,
            "local_groups": _local_groups(request, module),
            # Program content only, remembered per process by the values shown (``education.module_fragments``)
            "about": module_fragments.about(version, lessons, question_count, shown.fallback_language),
            "sources": module_fragments.sources(version),
            "education_head": module_fragments.head(),
            **shown.context(),
        },
    )


@require_http_methods(["GET", "POST"])
def lesson(request: PortalRequest, slug: str, position: int) -> HttpResponse:
    """One lesson of the learner's version; POST marks it read and goes on to the next step."""
    module = get_readable_module(request.user, slug)
    progress = services.start_module(learner=request.user, module=module)
    version = progress.version
    current = Lesson.objects.filter(version=version, position=position).first()
    if current is None:
        raise Http404("Not found")
    total = version.lessons.count()
    if request.method == "POST":
        services.complete_lesson(progress=progress, lesson=current)
        if position < total:
            return redirect("education:lesson", slug=slug, position=position + 1)
        if version.questions.exists() and progress.quiz_passed_at is None:
            return redirect("education:quiz", slug=slug)
        messages.success(request, _("You finished every lesson in this module."))
        return redirect("education:module", slug=slug)
    done = set(progress.completions.values_list("lesson_id", flat=True))
    shown = translating.page_language(request.LANGUAGE_CODE, version)
    translating.localize_lessons([current], shown.translation)
    return render(
        request,
        "education/lesson.html",
        {
            "module": module,
            "version": version,
            "lesson": current,
            "position": position,
            "total": total,
            "done_count": len(done),
            "is_done": current.pk in done,
            "is_last": position == total,
            "local_groups": _local_groups(request, module) if position == total else [],
            **shown.context(),
        },
    )


@require_POST
def restart(request: PortalRequest, slug: str) -> HttpResponse:
    """Start the module again on its newest version."""
    module, progress = _learner_state(request, slug)
    if progress is not None:
        services.restart_module(progress=progress)
        messages.success(request, _("You are starting the newest version of this module."))
        return redirect("education:lesson", slug=slug, position=1)
    return redirect("education:module", slug=slug)


def my_progress(request: PortalRequest) -> HttpResponse:
    """The learner's own progress across modules: private to them."""
    rows = sorted(_progress_rows(request.user), key=lambda p: (p.completed_at is not None, -p.updated_at.timestamp()))
    cards = [ModuleCard(row.module, row.version, row.lesson_total, row) for row in rows]  # type: ignore[attr-defined]
    _localize_cards(request, cards)
    return render(
        request, "education/my_progress.html", {"cards": cards, "catalogue_url": reverse("education:catalogue")}
    )
