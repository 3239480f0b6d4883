"""Authoring workflows: drafts, lessons, questions, review, publishing, new versions, archiving.

Each function is keyword-only, atomic, and enforces its rule itself, so views, the admin and the curriculum
loader behave the same. Only a draft version is ever edited; a published version is immutable and editing it
means ``start_new_version``. Publishing needs ``User.may_publish_content`` (program admin, or a counselor with
``can_review_content``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from education import translating
from education.markdown import render_markdown
from education.models import Choice, Lesson, Module, ModuleVersion, Question
from education.readability import GRADE_LIMIT, reading_grade

Status = ModuleVersion.Status
VERSION_FIELDS = (
    "title",
    "summary",
    "topic",
    "audience",
    "estimated_minutes",
    "enrolled_only",
    "pass_mark",
    "questions_per_attempt",
    "sources",
)


@dataclass
class ChoiceData:
    text: str
    correct: bool
    feedback: str = ""


def _require_draft(version: ModuleVersion) -> None:
    if version.status != Status.DRAFT:
        raise ValidationError(_("Only a draft can be changed. Start a new version to edit published content."))


def _locked_version(version: ModuleVersion) -> ModuleVersion:
    return ModuleVersion.objects.select_for_update().select_related("module").get(pk=version.pk)


@transaction.atomic
def create_module(*, author: Any, slug: str, program: Any = None, **fields: Any) -> ModuleVersion:
    """Create a module and its first draft version (number 1)."""
    module = Module(slug=slug, program=program, created_by=author)
    module.full_clean()
    module.save()
    version = ModuleVersion(module=module, number=1, created_by=author, **fields)
    version.full_clean()
    version.save()
    return version


KEEP: Any = object()  # ``update_version(path_position=KEEP)``: leave the module's place on the path as it is


@transaction.atomic
def update_version(
    *,
    version: ModuleVersion,
    prerequisites: list[Module] | None = None,
    path_position: int | None = KEEP,
    **fields: Any,
) -> ModuleVersion:
    """Change a draft's details (title, summary, topic, sources, enrolled-only …) and, optionally, the module's
    prerequisites and its place on the "Start here" path (``None`` takes it off the path). Those two belong to the
    module, not the version, so they apply at once, as the rest of the module's placement does."""
    version = _locked_version(version)
    _require_draft(version)
    for name, value in fields.items():
        if name not in VERSION_FIELDS + ("change_note",):
            raise ValueError(f"Unknown field {name!r}")
        setattr(version, name, value)
    version.full_clean()
    version.save()
    if prerequisites is not None:
        if any(p.pk == version.module_id for p in prerequisites):
            raise ValidationError(_("A module cannot be its own prerequisite."))
        version.module.prerequisites.set(prerequisites)
    if path_position is not KEEP:
        set_path_position(module=version.module, position=path_position)
    return version


def set_path_position(*, module: Module, position: int | None) -> Module:
    """Put ``module`` at ``position`` on the "Start here" path (1 comes first), or take it off with ``None``.
    Ties are listed by title; the path shows shared modules and the viewer's own programs' (see the catalogue)."""
    module.path_position = position
    module.clean_fields(exclude=[f.name for f in Module._meta.concrete_fields if f.name != "path_position"])
    Module.objects.filter(pk=module.pk).update(path_position=position)
    return module


@transaction.atomic
def add_lesson(*, version: ModuleVersion, title: str, body: str, video_url: str = "") -> Lesson:
    """Append a lesson to a draft; its HTML is rendered and sanitised once, here."""
    version = _locked_version(version)
    _require_draft(version)
    position = (version.lessons.aggregate(top=Max("position"))["top"] or 0) + 1
    lesson = Lesson(version=version, position=position, title=title, body=body, video_url=video_url)
    lesson.body_html = render_markdown(body)
    lesson.full_clean()
    lesson.save()
    return lesson


@transaction.atomic
def update_lesson(*, lesson: Lesson, title: str, body: str, video_url: str = "") -> Lesson:
    _require_draft(_locked_version(lesson.version))
    lesson.title, lesson.body, lesson.video_url = title, body, video_url
    lesson.body_html = render_markdown(body)
    lesson.full_clean()
    lesson.save()
    return lesson


@transaction.atomic
def delete_lesson(*, lesson: Lesson) -> None:
    version = _locked_version(lesson.version)
    _require_draft(version)
    lesson.delete()
    _renumber(list(version.lessons.order_by("position")))


@transaction.atomic
def move_lesson(*, lesson: Lesson, direction: str) -> None:
    """Swap a lesson with its neighbour ("up" or "down"); at either end nothing changes."""
    if direction not in ("up", "down"):
        raise ValidationError(_("Choose up or down."))
    version = _locked_version(lesson.version)
    _require_draft(version)
    lessons = list(version.lessons.order_by("position"))
    index = next(i for i, item in enumerate(lessons) if item.pk == lesson.pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(lessons):
        lessons[index], lessons[other] = lessons[other], lessons[index]
        _renumber(lessons)


def _renumber(lessons: list[Lesson]) -> None:
    # Park every lesson on a free position first so the (version, position) pair stays unique on any database.
    top = max((item.position for item in lessons), default=0)
    for offset, item in enumerate(lessons, 1):
        Lesson.objects.filter(pk=item.pk).update(position=top + offset)
    for position, item in enumerate(lessons, 1):
        Lesson.objects.filter(pk=item.pk).update(position=position)
        item.position = position


@transaction.atomic
def save_question(
    *,
    version: ModuleVersion,
    prompt: str,
    kind: str,
    choices: list[ChoiceData],
    question: Question | None = None,
    lesson: Lesson | None = KEEP,
) -> Question:
    """Create or replace a question and its answers. Single: exactly one right answer; multiple: at least one.
    ``lesson`` is the lesson of this version the question is about (kept as it was when not given)."""
    version = _locked_version(version)
    _require_draft(version)
    if lesson is not KEEP and lesson is not None and lesson.version_id != version.pk:
        raise ValidationError(_("That lesson is not part of this module."))
    choices = [c for c in choices if c.text.strip()]
    _check_choices(kind, [c.correct for c in choices])
    if question is None:
        position = (version.questions.aggregate(top=Max("position"))["top"] or 0) + 1
        question = Question(version=version, position=position)
    elif question.version_id != version.pk:
        raise ValidationError(_("That question belongs to another version."))
    question.prompt, question.kind = prompt.strip(), kind
    if lesson is not KEEP:
        question.lesson = lesson
    question.full_clean()
    question.save()
    question.choices.all().delete()
    Choice.objects.bulk_create(
        Choice(question=question, position=i, text=c.text.strip(), correct=c.correct, feedback=c.feedback.strip())
        for i, c in enumerate(choices, 1)
    )
    return question


def _check_choices(kind: str, correct_flags: list[bool]) -> None:
    if len(correct_flags) < 2:
        raise ValidationError(_("Give at least two answers."))
    right = sum(correct_flags)
    if kind == Question.Kind.SINGLE and right != 1:
        raise ValidationError(_("A choose-one question needs exactly one right answer."))
    if kind == Question.Kind.MULTIPLE and right < 1:
        raise ValidationError(_("Mark at least one right answer."))
    if kind not in Question.Kind.values:
        raise ValidationError(_("Choose a question type."))


@transaction.atomic
def delete_question(*, question: Question) -> None:
    version = _locked_version(question.version)
    _require_draft(version)
    question.delete()
    for position, item in enumerate(version.questions.order_by("position"), 1):
        Question.objects.filter(pk=item.pk).update(position=position)


def version_problems(version: ModuleVersion) -> list[str]:
    """What stops a version going to review or being published, in plain words (empty when ready)."""
    problems = []
    lessons = list(version.lessons.all())
    if not lessons:
        problems.append(_("Add at least one lesson."))
    problems += [
        _("Lesson %(position)s has no text.") % {"position": lesson.position}
        for lesson in lessons
        if not lesson.body.strip()
    ]
    if not version.sources:
        problems.append(_("List at least one source."))
    for question in version.questions.prefetch_related("choices"):
        try:
            _check_choices(question.kind, [c.correct for c in question.choices.all()])
        except ValidationError as exc:
            problems.append(
                _("Question %(position)s: %(problem)s") % {"position": question.position, "problem": exc.messages[0]}
            )
    return problems


@transaction.atomic
def submit_for_review(*, version: ModuleVersion, author: Any, reading_note: str = "") -> ModuleVersion:
    """Send a draft to review; records the reading grade, and asks for a reason when it is above grade 8."""
    version = _locked_version(version)
    _require_draft(version)
    if problems := version_problems(version):
        raise ValidationError(problems)
    grade = reading_grade(version.lessons.values_list("body", flat=True))
    if grade is not None and grade > GRADE_LIMIT and not reading_note.strip():
        raise ValidationError(
            _("The lessons read at grade %(grade)s. Simplify them, or say why a higher reading level is needed.")
            % {"grade": grade}
        )
    version.reading_grade, version.reading_note = grade, reading_note.strip()
    version.status, version.submitted_by, version.submitted_at = Status.IN_REVIEW, author, timezone.now()
    version.save()
    return version


@transaction.atomic
def return_to_draft(*, version: ModuleVersion, reviewer: Any) -> ModuleVersion:
    """A reviewer sends a version back for changes."""
    if not reviewer.may_publish_content:
        raise PermissionDenied("Only a content reviewer can return a version.")
    version = _locked_version(version)
    if version.status != Status.IN_REVIEW:
        raise ValidationError(_("Only a version in review can be sent back."))
    version.status = Status.DRAFT
    version.save(update_fields=["status"])
    return version


@transaction.atomic
def publish_version(*, version: ModuleVersion, publisher: Any, skip_review: bool = False) -> ModuleVersion:
    """Publish a reviewed version: it becomes what learners start, and the version it replaces is archived.

    Learners part-way through the old version keep it (see ``education.models``). ``skip_review`` is for the
    starter-curriculum loader only, whose files are reviewed in the repository. Its translations in review are
    published with it; draft ones stay drafts (``education.translating``).
    """
    if publisher is not None and not publisher.may_publish_content:
        raise PermissionDenied("Only a program admin or a content reviewer can publish.")
    module = Module.objects.select_for_update().get(pk=version.module_id)
    version = _locked_version(version)
    allowed = (Status.IN_REVIEW, Status.DRAFT) if skip_review else (Status.IN_REVIEW,)
    if version.status not in allowed:
        raise ValidationError(_("Only a version in review can be published."))
    if problems := version_problems(version):
        raise ValidationError(problems)
    now = timezone.now()
    if module.current_version_id and module.current_version_id != version.pk:
        ModuleVersion.objects.filter(pk=module.current_version_id).update(status=Status.ARCHIVED, archived_at=now)
    version.status, version.published_by, version.published_at = Status.PUBLISHED, publisher, now
    if version.reading_grade is None:
        version.reading_grade = reading_grade(version.lessons.values_list("body", flat=True))
    version.save()
    translating.publish_reviewed_translations(version=version, publisher=publisher, now=now)
    module.current_version, module.archived_at = version, None
    module.save(update_fields=["current_version", "archived_at"])
    return version


@transaction.atomic
def start_new_version(*, module: Module, author: Any) -> ModuleVersion:
    """Open a new draft copied from the newest version; an existing draft or review is returned as is."""
    module = Module.objects.select_for_update().get(pk=module.pk)
    latest = module.versions.order_by("-number").first()
    if latest is None:
        raise ValidationError(_("This module has no content to copy."))
    if latest.status in (Status.DRAFT, Status.IN_REVIEW):
        return latest
    return copy_version(source=latest, author=author)


def copy_version(*, source: ModuleVersion, author: Any, **overrides: Any) -> ModuleVersion:
    """A new draft holding a full copy of ``source``'s details, lessons and questions (translations as drafts)."""
    number = (source.module.versions.aggregate(top=Max("number"))["top"] or 0) + 1
    fields = {name: getattr(source, name) for name in VERSION_FIELDS} | overrides
    version = ModuleVersion.objects.create(module_id=source.module_id, number=number, created_by=author, **fields)
    lessons = Lesson.objects.bulk_create(
        Lesson(
            version=version,
            position=lesson.position,
            title=lesson.title,
            body=lesson.body,
            body_html=lesson.body_html,
            video_url=lesson.video_url,
        )
        for lesson in source.lessons.all()
    )
    lesson_at = {lesson.position: lesson for lesson in lessons}
    for question in source.questions.select_related("lesson").prefetch_related("choices"):
        copy = Question.objects.create(
            version=version,
            position=question.position,
            prompt=question.prompt,
            kind=question.kind,
            lesson=lesson_at.get(question.lesson.position) if question.lesson else None,
        )
        Choice.objects.bulk_create(
            Choice(question=copy, position=c.position, text=c.text, correct=c.correct, feedback=c.feedback)
            for c in question.choices.all()
        )
    translating.copy_translations(source=source, target=version, author=author)
    return version


@transaction.atomic
def archive_module(*, module: Module, actor: Any) -> Module:
    """Withdraw a module from learners. Its versions and everyone's progress are kept."""
    if not actor.may_publish_content:
        raise PermissionDenied("Only a program admin or a content reviewer can archive.")
    module = Module.objects.select_for_update().get(pk=module.pk)
    now = timezone.now()
    if module.current_version_id:
        ModuleVersion.objects.filter(pk=module.current_version_id).update(status=Status.ARCHIVED, archived_at=now)
    module.current_version, module.archived_at = None, now
    module.save(update_fields=["current_version", "archived_at"])
    return module
