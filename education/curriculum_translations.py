"""Translations of the starter curriculum: ``education/curriculum/<language>/<English file name>.toml``.

A translation file has the English file's name, keys and structure, plus ``language = "es"`` at the top: the same
``slug``, ``topic``, ``audience``, ``estimated_minutes``, ``path_position``, ``prerequisites`` and pass mark, the same
number and order of lessons, questions and answers (right answers in the same places; questions map to the English
ones by position; ``questions_per_attempt`` and a question's ``lesson`` may be left out, else must match), the
English sources (it may add pages in its own language), and its text translated. Spanish lessons must reach
Fernández-Huerta reading ease 65 (``education.readability``). Every problem names the file (``es/01-….toml``) and
the field, and the loader writes nothing when there is one (``curriculum_loader.load_curriculum``: one transaction).

Loading (``load_translation``): a module whose current version has no translation in that language gets the file
as a published translation of it (the English does not change, so learners part-way through keep their place and
see the Spanish at once); an unchanged file is kept; a changed file, since a published translation is never
edited, becomes a new version (a copy of the current English) published with the new translation. A staff draft
or review of that translation is replaced by the file, which is reviewed in the repository. When an English file
changes its structure, its translation must change with it: until it does, the whole load stops.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from education import authoring, translating
from education.models import Module, ModuleTranslation
from education.readability import EASE_MINIMUM, reading_ease

if TYPE_CHECKING:
    from education.curriculum_loader import LoadReport, ModuleSpec

# Keys copied unchanged from the English file (``fields`` of a ``ModuleSpec``, then the spec's own attributes).
SAME_FIELDS = ("topic", "audience", "estimated_minutes", "pass_mark")


@dataclass
class TranslationSpec:
    label: str  # "es/01-what-addiction-is.toml"
    language: str
    slug: str
    content: translating.TranslationContent
    fingerprint: str


def parse_translations(directory: Path, english: list[ModuleSpec]) -> tuple[list[TranslationSpec], list[str]]:
    """Validate every translation file under ``directory/<language>/`` against its English file; returns the specs
    and every problem found (the caller reports them with the English files' problems)."""
    from education.curriculum_loader import CurriculumError, parse_file

    by_name = {spec.path.name: spec for spec in english}
    specs: list[TranslationSpec] = []
    problems: list[str] = []
    for language in translating.translation_languages():
        for path in sorted((directory / language).glob("*.toml")):
            label = f"{language}/{path.name}"
            if path.name not in by_name:
                problems.append(f"{label}: no English file {path.name} to translate")
                continue
            try:
                spec = parse_file(path, language=language)
            except CurriculumError as exc:
                problems += exc.problems
                continue
            found = _mismatches(spec, by_name[path.name])
            ease = reading_ease((lesson["body"] for lesson in spec.lessons), language)
            if ease is not None and ease < EASE_MINIMUM:
                found.append(f"lessons: Fernández-Huerta reading ease {ease} is below {EASE_MINIMUM}: simplify")
            problems += [f"{label}: {problem}" for problem in found]
            if not found:
                specs.append(_translation_spec(label, language, spec))
    return specs, problems


def _mismatches(spec: ModuleSpec, english: ModuleSpec) -> list[str]:
    """Where a translation's structure differs from its English file ("field: what is wrong")."""
    found = []
    if spec.slug != english.slug:
        found.append(f'slug: must be "{english.slug}", as in the English file')
    for key in SAME_FIELDS:
        if spec.fields.get(key) != english.fields.get(key):
            found.append(f"{key}: must be {english.fields.get(key)!r}, as in the English file")
    if "questions_per_attempt" in spec.quiz_keys and (
        spec.fields.get("questions_per_attempt") != english.fields.get("questions_per_attempt")
    ):
        found.append(
            f"quiz.questions_per_attempt: must be {english.fields.get('questions_per_attempt')!r}, as in the English "
            "file (or left out)"
        )
    if spec.path_position != english.path_position:
        found.append(f"path_position: must be {english.path_position!r}, as in the English file")
    if sorted(spec.prerequisites) != sorted(english.prerequisites):
        found.append(f"prerequisites: must be {english.prerequisites!r}, as in the English file")
    urls = {source["url"] for source in spec.fields["sources"]}
    for i, source in enumerate(english.fields["sources"], 1):
        if source["url"] not in urls:
            found.append(f"sources: keep the English source {i} ({source['url']})")
    if len(spec.lessons) != len(english.lessons):
        found.append(f"lessons: must have {len(english.lessons)} lessons, as in the English file")
    for i, (lesson, original) in enumerate(zip(spec.lessons, english.lessons, strict=False), 1):
        if lesson["video_url"] and lesson["video_url"] != original["video_url"]:
            found.append(f"lessons[{i}].video_url: must be the English file's link, or left out")
    if len(spec.questions) != len(english.questions):
        found.append(f"quiz.questions: must have {len(english.questions)} questions, as in the English file")
    for i, (question, english_question) in enumerate(zip(spec.questions, english.questions, strict=False), 1):
        where = f"quiz.questions[{i}]"
        if question["kind"] != english_question["kind"]:
            found.append(f'{where}.kind: must be "{english_question["kind"]}", as in the English file')
        if question["lesson"] is not None and question["lesson"] != english_question["lesson"]:
            expected = english_question["lesson"]
            found.append(f"{where}.lesson: must be {expected!r}, as in the English file (or left out)")
        ours, theirs = question["choices"], english_question["choices"]
        if len(ours) != len(theirs):
            found.append(f"{where}.choices: must have {len(theirs)} answers, as in the English file")
        for j, (choice, other) in enumerate(zip(ours, theirs, strict=False), 1):
            if choice.correct != other.correct:
                found.append(f"{where}.choices[{j}].correct: must be {str(other.correct).lower()}, as in English")
    return found


def _translation_spec(label: str, language: str, spec: ModuleSpec) -> TranslationSpec:
    content = translating.TranslationContent(
        title=spec.fields["title"],
        summary=spec.fields["summary"],
        sources=spec.fields["sources"],
        lessons=[(lesson["title"], lesson["body"]) for lesson in spec.lessons],
        questions=[
            translating.TranslatedQuestion(
                prompt=question["prompt"], choices=[(c.text, c.feedback) for c in question["choices"]]
            )
            for question in spec.questions
        ],
    )
    return TranslationSpec(label, language, spec.slug, content, spec.fingerprint)


def load_translation(spec: TranslationSpec, module: Module, report: LoadReport) -> None:
    """Publish ``spec`` as the translation of ``module``'s current version (see the module docstring). Runs inside
    ``load_curriculum``'s transaction."""
    version = module.current_version
    if module.archived_at is not None or version is None:
        return  # staff withdrew the module; its translation is not loaded either
    existing = version.translations.filter(language=spec.language).first()
    if existing is not None and existing.source_hash == spec.fingerprint:
        report.unchanged.append(spec.label)
        return
    if existing is not None and existing.status == ModuleTranslation.Status.PUBLISHED:
        version = _next_version_copy(version)
        existing = version.translations.filter(language=spec.language).first()
    translation = existing or translating.start_translation(version=version, language=spec.language, author=None)
    if translation.status != ModuleTranslation.Status.DRAFT:
        ModuleTranslation.objects.filter(pk=translation.pk).update(status=ModuleTranslation.Status.DRAFT)
        translation.refresh_from_db()
    translation = translating.save_translation(translation=translation, content=spec.content)
    ModuleTranslation.objects.filter(pk=translation.pk).update(source_hash=spec.fingerprint)
    if version.status == version.Status.PUBLISHED:
        translating.publish_translation(translation=translation, publisher=None, skip_review=True)
    else:  # the new copy: published with its translation, as staff publish both together
        ModuleTranslation.objects.filter(pk=translation.pk).update(status=ModuleTranslation.Status.IN_REVIEW)
        authoring.publish_version(version=version, publisher=None, skip_review=True)
    report.translated.append(spec.label)


def _next_version_copy(current: Any) -> Any:
    """A draft copy of the current version, same English and same file fingerprint (so the English file still reads
    as unchanged), to carry a changed translation."""
    version = authoring.copy_version(source=current, author=None)
    version.source_hash, version.change_note = current.source_hash, "Loaded from the starter curriculum (translation)"
    version.save(update_fields=["source_hash", "change_note"])
    return version
