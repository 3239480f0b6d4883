"""Translations of module versions (``education.translation_models``): authoring, review, publishing, reading.

Workflow (decided for issue 18, what a program needs): a translation is written for one version and has its own
status, draft → in review → published; only a draft translation is edited, and a published one never is.
- Publishing a version publishes, with it and by the same person, every translation of it that is in review
  (``publish_reviewed_translations``, called by ``authoring.publish_version``): "publish both together".
- A translation still in draft does NOT hold the English back: the version is published, its learners who read
  Spanish see the English with a note, and the translation is finished, reviewed and published later on its own
  (``publish_translation``). Safety-relevant corrections in English must never wait for a translator, and the
  English it translates cannot change under it, since a published version is immutable.
- Starting a new version copies every translation of the version it copies as a new draft (``copy_translations``),
  so a translator revises only what changed, and the new version's learners see English with the note until the
  revised translation is reviewed and published.
- Submitting a Spanish translation measures its Fernández-Huerta reading ease; below ``EASE_MINIMUM`` (65) the
  author must say why, as the English grade gate asks above grade 8.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from education.markdown import render_markdown
from education.models import (
    ChoiceTranslation,
    Lesson,
    LessonTranslation,
    ModuleTranslation,
    ModuleVersion,
    Question,
    QuestionTranslation,
)
from education.readability import EASE_MINIMUM, reading_ease

BASE_LANGUAGE = "en"  # the language every version is written in
TStatus = ModuleTranslation.Status


def translation_languages() -> list[str]:
    """Languages a version may be translated into: every configured language but English."""
    return [code for code, _name in settings.LANGUAGES if code != BASE_LANGUAGE]


def content_language(language_code: str | None) -> str:
    """The curriculum language for an active language code ("es-mx" → "es"); English when it is not offered."""
    primary = (language_code or BASE_LANGUAGE).split("-")[0].lower()
    return primary if primary in translation_languages() else BASE_LANGUAGE


# --- Reading: lay the published translation's words over the English rows shown to a learner ---------------------


def published_translations(versions: Iterable[ModuleVersion], language: str) -> dict[int, ModuleTranslation]:
    """The published ``language`` translation of each version, by version id (one query; none for English)."""
    ids = {version.pk for version in versions}
    if language == BASE_LANGUAGE or not ids:
        return {}
    rows = ModuleTranslation.objects.filter(version_id__in=ids, language=language, status=TStatus.PUBLISHED)
    return {row.version_id: row for row in rows}


def localize_versions(versions: Sequence[ModuleVersion], language: str) -> dict[int, ModuleTranslation]:
    """Show each version's title, summary and sources in ``language`` where a published translation exists.

    The objects are changed in memory for the page only; learner pages never save content rows."""
    found = published_translations(versions, language)
    for version in versions:
        if row := found.get(version.pk):
            version.title, version.summary, version.sources = row.title, row.summary, row.sources
    return found


def localize_lessons(lessons: Iterable[Lesson], translation: ModuleTranslation | None) -> None:
    """Lesson titles and bodies in the translation's language (one query; none without a translation)."""
    lessons = list(lessons)
    if translation is None or not lessons:
        return
    rows = {row.lesson_id: row for row in translation.lessons.filter(lesson__in=[lesson.pk for lesson in lessons])}
    for lesson in lessons:
        if row := rows.get(lesson.pk):
            lesson.title, lesson.body, lesson.body_html = row.title, row.body, row.body_html


def localize_questions(questions: Iterable[Question], translation: ModuleTranslation | None) -> None:
    """Prompts, answers and feedback in the translation's language, on questions with prefetched choices (two
    queries; none without a translation). Ids stay the English rows' ids, so scoring is the same in any language."""
    questions = list(questions)
    if translation is None or not questions:
        return
    prompts = dict(translation.questions.values_list("question_id", "prompt"))
    choices = {row.choice_id: row for row in translation.choices.all()}
    for question in questions:
        question.prompt = prompts.get(question.pk, question.prompt)
        for choice in question.choices.all():
            if row := choices.get(choice.pk):
                choice.text, choice.feedback = row.text, row.feedback


# --- Authoring -------------------------------------------------------------------------------------------------


def translations_of(version: ModuleVersion) -> list[tuple[str, ModuleTranslation | None]]:
    """Each language a version may be translated into, with its translation if one is started (one query)."""
    found = {translation.language: translation for translation in version.translations.all()}
    return [(code, found.get(code)) for code in translation_languages()]


@dataclass
class TranslatedQuestion:
    prompt: str
    choices: list[tuple[str, str]] = field(default_factory=list)  # (text, feedback), in the English order


@dataclass
class TranslationContent:
    """A whole translation, in the version's order: one entry per lesson and per question (blank = not yet)."""

    title: str
    summary: str
    sources: list[dict[str, str]]
    lessons: list[tuple[str, str]]  # (title, body)
    questions: list[TranslatedQuestion]


def _locked(translation: ModuleTranslation) -> ModuleTranslation:
    return ModuleTranslation.objects.select_for_update().select_related("version").get(pk=translation.pk)


@transaction.atomic
def start_translation(*, version: ModuleVersion, language: str, author: Any) -> ModuleTranslation:
    """The version's ``language`` translation, created as an empty draft the first time."""
    if language not in translation_languages():
        raise ValidationError(_("Choose a language the portal offers."))
    if version.status == ModuleVersion.Status.ARCHIVED:
        raise ValidationError(_("An archived version cannot be translated. Translate the newest version."))
    translation, _created = ModuleTranslation.objects.get_or_create(
        version=version, language=language, defaults={"created_by": author}
    )
    return translation


@transaction.atomic
def save_translation(*, translation: ModuleTranslation, content: TranslationContent) -> ModuleTranslation:
    """Write a draft translation's whole text, matched to the version's lessons, questions and answers by order.
    Blank entries are left untranslated (``translation_problems`` lists them before review)."""
    translation = _locked(translation)
    if not translation.is_editable:
        raise ValidationError(_("Only a draft translation can be changed."))
    version = translation.version
    lessons = list(version.lessons.order_by("position"))
    questions = list(version.questions.prefetch_related("choices"))
    if len(content.lessons) != len(lessons) or len(content.questions) != len(questions):
        raise ValidationError(_("The translation must have the same lessons and questions as the English."))
    translation.title, translation.summary = content.title.strip(), content.summary.strip()
    translation.sources = content.sources
    translation.full_clean()
    translation.save()
    translation.lessons.all().delete()
    translation.questions.all().delete()
    translation.choices.all().delete()
    LessonTranslation.objects.bulk_create(
        LessonTranslation(
            translation=translation, lesson=lesson, title=title.strip(), body=body, body_html=render_markdown(body)
        )
        for lesson, (title, body) in zip(lessons, content.lessons, strict=True)
        if title.strip() and body.strip()
    )
    question_rows, choice_rows = [], []
    for question, item in zip(questions, content.questions, strict=True):
        english_choices = list(question.choices.all())
        if len(item.choices) != len(english_choices):
            raise ValidationError(_("Each question must keep the same answers as the English."))
        if prompt := item.prompt.strip():
            question_rows.append(QuestionTranslation(translation=translation, question=question, prompt=prompt))
        choice_rows += [
            ChoiceTranslation(translation=translation, choice=choice, text=text.strip(), feedback=feedback.strip())
            for choice, (text, feedback) in zip(english_choices, item.choices, strict=True)
            if text.strip()
        ]
    QuestionTranslation.objects.bulk_create(question_rows)
    ChoiceTranslation.objects.bulk_create(choice_rows)
    return translation


def translation_problems(translation: ModuleTranslation) -> list[str]:
    """What stops a translation going to review or being published, in plain words (empty when ready)."""
    problems = []
    if not translation.title.strip() or not translation.summary.strip():
        problems.append(_("Translate the title and the summary."))
    if not translation.sources:
        problems.append(_("List at least one source."))
    version = translation.version
    done_lessons = set(translation.lessons.values_list("lesson_id", flat=True))
    for lesson in version.lessons.order_by("position").only("id", "position"):
        if lesson.pk not in done_lessons:
            problems.append(_("Translate lesson %(number)s.") % {"number": lesson.position})
    done_questions = set(translation.questions.values_list("question_id", flat=True))
    done_choices = set(translation.choices.values_list("choice_id", flat=True))
    for question in version.questions.prefetch_related("choices"):
        if question.pk not in done_questions or any(c.pk not in done_choices for c in question.choices.all()):
            problems.append(_("Translate question %(number)s and all its answers.") % {"number": question.position})
    return problems


def translation_ease(translation: ModuleTranslation) -> Any:
    """Fernández-Huerta reading ease of the translated lessons (``None`` when it cannot be measured)."""
    return reading_ease(translation.lessons.values_list("body", flat=True), translation.language)


@transaction.atomic
def submit_translation(*, translation: ModuleTranslation, author: Any, reading_note: str = "") -> ModuleTranslation:
    """Send a complete draft translation to review; below reading ease 65 the author must say why."""
    translation = _locked(translation)
    if not translation.is_editable:
        raise ValidationError(_("Only a draft translation can be sent for review."))
    if problems := translation_problems(translation):
        raise ValidationError(problems)
    ease = translation_ease(translation)
    if ease is not None and ease < EASE_MINIMUM and not reading_note.strip():
        raise ValidationError(
            _(
                "The translated lessons have a reading ease of %(ease)s (at least %(minimum)s is easy to read). "
                "Simplify them, or say why harder text is needed."
            )
            % {"ease": ease, "minimum": EASE_MINIMUM}
        )
    translation.reading_ease, translation.reading_note = ease, reading_note.strip()
    translation.status, translation.submitted_by, translation.submitted_at = TStatus.IN_REVIEW, author, timezone.now()
    translation.save()
    return translation


@transaction.atomic
def return_translation(*, translation: ModuleTranslation, reviewer: Any) -> ModuleTranslation:
    """A reviewer sends a translation back for changes."""
    if not reviewer.may_publish_content:
        raise PermissionDenied(_("Only a content reviewer can return a translation."))
    translation = _locked(translation)
    if translation.status != TStatus.IN_REVIEW:
        raise ValidationError(_("Only a translation in review can be sent back."))
    translation.status = TStatus.DRAFT
    translation.save(update_fields=["status"])
    return translation


def _publish(translation: ModuleTranslation, publisher: Any, now: Any) -> None:
    if problems := translation_problems(translation):
        raise ValidationError(problems)
    translation.status, translation.published_by, translation.published_at = TStatus.PUBLISHED, publisher, now
    if translation.reading_ease is None:
        translation.reading_ease = translation_ease(translation)
    translation.save()


@transaction.atomic
def publish_translation(*, translation: ModuleTranslation, publisher: Any, skip_review: bool = False) -> None:
    """Publish a reviewed translation of a version that is already published (a translation of a version still in
    review is published with it, by ``authoring.publish_version``). ``skip_review`` is for the curriculum loader."""
    if publisher is not None and not publisher.may_publish_content:
        raise PermissionDenied(_("Only a program admin or a content reviewer can publish."))
    translation = _locked(translation)
    allowed = (TStatus.IN_REVIEW, TStatus.DRAFT) if skip_review else (TStatus.IN_REVIEW,)
    if translation.status not in allowed:
        raise ValidationError(_("Only a translation in review can be published."))
    if translation.version.status != ModuleVersion.Status.PUBLISHED:
        raise ValidationError(_("Publish the version first: a translation in review is published with it."))
    _publish(translation, publisher, timezone.now())


def publish_reviewed_translations(*, version: ModuleVersion, publisher: Any, now: Any) -> None:
    """Publish every translation of ``version`` that is in review, with it (inside ``publish_version``'s
    transaction, so a translation that is not ready stops both). Draft translations stay drafts."""
    for translation in version.translations.select_for_update().filter(status=TStatus.IN_REVIEW):
        _publish(translation, publisher, now)


def copy_translations(*, source: ModuleVersion, target: ModuleVersion, author: Any) -> None:
    """Copy each translation of ``source`` onto ``target`` (a copy of it) as a draft, row for row by position."""
    translations = list(source.translations.all())
    if not translations:
        return
    lessons = {lesson.position: lesson for lesson in target.lessons.all()}
    questions = {q.position: q for q in target.questions.prefetch_related("choices")}
    choices = {(q.position, c.position): c for q in questions.values() for c in q.choices.all()}
    for old in translations:
        new = ModuleTranslation.objects.create(
            version=target,
            language=old.language,
            title=old.title,
            summary=old.summary,
            sources=old.sources,
            created_by=author,
        )
        LessonTranslation.objects.bulk_create(
            LessonTranslation(
                translation=new,
                lesson=lessons[row.lesson.position],
                title=row.title,
                body=row.body,
                body_html=row.body_html,
            )
            for row in old.lessons.select_related("lesson")
            if row.lesson.position in lessons
        )
        QuestionTranslation.objects.bulk_create(
            QuestionTranslation(translation=new, question=questions[row.question.position], prompt=row.prompt)
            for row in old.questions.select_related("question")
            if row.question.position in questions
        )
        ChoiceTranslation.objects.bulk_create(
            ChoiceTranslation(translation=new, choice=choices[key], text=row.text, feedback=row.feedback)
            for row in old.choices.select_related("choice__question")
            if (key := (row.choice.question.position, row.choice.position)) in choices
        )


def localize_results(questions: Iterable[Any], translation: ModuleTranslation | None) -> None:
    """A knowledge check's feedback (``services.QuestionResult`` rows) in the translation's language."""
    questions = list(questions)
    if translation is None or not questions:
        return
    prompts = dict(translation.questions.values_list("question_id", "prompt"))
    choices = {row.choice_id: row for row in translation.choices.all()}
    for result in questions:
        for item in result.choices:
            if row := choices.get(item.choice.pk):
                item.choice.text, item.choice.feedback = row.text, row.feedback
        if result.choices:
            result.prompt = prompts.get(result.choices[0].choice.question_id, result.prompt)


@dataclass
class PageLanguage:
    """The language a learner page shows a module in: the learner's, or English with a note when the module has
    no published translation in theirs (the template ``education/_language_note.html``)."""

    asked: str
    translation: ModuleTranslation | None

    @property
    def content_language(self) -> str:
        return self.translation.language if self.translation else BASE_LANGUAGE

    @property
    def fallback_language(self) -> str | None:
        """The learner's language when the module is shown in English instead (the note says so)."""
        return self.asked if self.asked != BASE_LANGUAGE and self.translation is None else None

    def context(self) -> dict[str, Any]:
        return {"content_language": self.content_language, "fallback_language": self.fallback_language}


def page_language(language_code: str | None, version: ModuleVersion, *others: ModuleVersion) -> PageLanguage:
    """Show ``version`` (and the titles of ``others``, e.g. prerequisites) in the learner's language where it is
    published: one query, none for English."""
    asked = content_language(language_code)
    found = localize_versions([version, *others], asked)
    return PageLanguage(asked, found.get(version.pk))
