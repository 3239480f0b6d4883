"""Load the starter curriculum (education/curriculum/*.toml) as published, shared modules, with their translations
(education/curriculum/<language>/*.toml, ``education.curriculum_translations``).

Every file is read and validated before anything is written; a problem anywhere stops the whole load with a
message naming the file and the field, and the database is left as it was (one transaction). Loading is
idempotent: a module whose file has not changed is kept; a changed file becomes a new published version (the
previous one is archived and learners part-way through it keep it, see ``education.models``); nothing is ever
duplicated.

A file's ``path_position`` places its module on the "Start here" path (1 comes first). It belongs to the module,
not to a version: it is set on every load, like the prerequisites, and changing it alone makes no new version.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Max

from education import authoring
from education.curriculum_quiz import questions_per_attempt as _questions_per_attempt
from education.curriculum_quiz import quiz_questions as _questions
from education.curriculum_translations import load_translation, parse_translations
from education.models import PATH_POSITION_MAX, Audience, Module, ModuleVersion, Topic

CURRICULUM_DIR = Path(__file__).resolve().parent / "curriculum"
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TOP_LEVEL_KEYS = {
    "slug",
    "title",
    "topic",
    "audience",
    "summary",
    "estimated_minutes",
    "path_position",
    "prerequisites",
    "sources",
    "lessons",
    "quiz",
    # Editorial notes kept in the file only:
    "last_reviewed",
    "reviewer_role",
    "change_note",
}


class CurriculumError(Exception):
    """One or more curriculum files are invalid; ``problems`` lists each as "file: field: what is wrong"."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


# Keys that place the module rather than make up a version's content: left out of the fingerprint.
PLACEMENT_KEYS = {"path_position"}


@dataclass
class ModuleSpec:
    path: Path
    slug: str
    fields: dict[str, Any]
    prerequisites: list[str]
    lessons: list[dict[str, str]]
    questions: list[dict[str, Any]]
    fingerprint: str
    path_position: int | None = None
    earlier_fingerprints: tuple[str, ...] = ()
    quiz_keys: frozenset[str] = frozenset()  # the [quiz] keys the file states (a translation may leave some out)


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    translated: list[str] = field(default_factory=list)  # translation files published ("es/01-….toml")


class _Checker:
    def __init__(self, path: Path, label: str) -> None:
        self.path = path
        self.label = label  # the file's name, with its language folder for a translation ("es/01-….toml")
        self.problems: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(f"{self.label}: {where}: {message}")

    def text(self, data: dict[str, Any], key: str, where: str, *, max_length: int | None = None) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            self.fail(f"{where}{key}", "must be non-empty text")
            return ""
        if max_length and len(value) > max_length:
            self.fail(f"{where}{key}", f"must be at most {max_length} characters")
        return value.strip()

    def https(self, value: Any, where: str) -> None:
        if not isinstance(value, str) or not value.startswith("https://") or len(value) > 500:
            self.fail(where, "must be a web address starting with https://")

    def unknown_keys(self, data: dict[str, Any], allowed: set[str], where: str) -> None:
        for key in sorted(set(data) - allowed):
            self.fail(f"{where}{key}", "is not a known field")


def parse_file(path: Path, *, language: str | None = None) -> ModuleSpec:
    """Read and validate one module file; raises ``CurriculumError`` listing every problem found. A translation
    (``language`` given, ``education.curriculum_translations``) must say ``language = "<code>"`` at the top."""
    check = _Checker(path, f"{language}/{path.name}" if language else path.name)
    raw = path.read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CurriculumError([f"{check.label}: not valid TOML: {exc}"]) from None
    check.unknown_keys(data, TOP_LEVEL_KEYS | ({"language"} if language else set()), "")
    if language and data.get("language") != language:
        check.fail("language", f'must be "{language}"')
    slug = check.text(data, "slug", "")
    if slug and not SLUG_RE.match(slug):
        check.fail("slug", "use lowercase letters, digits and hyphens")
    fields: dict[str, Any] = {
        "title": check.text(data, "title", "", max_length=160),
        "summary": check.text(data, "summary", "", max_length=600),
        "topic": data.get("topic"),
        "audience": data.get("audience", Audience.FAMILY),
        "estimated_minutes": data.get("estimated_minutes"),
    }
    if fields["topic"] not in Topic.values:
        check.fail("topic", f"must be one of {', '.join(Topic.values)}")
    if fields["audience"] not in Audience.values:
        check.fail("audience", f"must be one of {', '.join(Audience.values)}")
    minutes = fields["estimated_minutes"]
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 240:
        check.fail("estimated_minutes", "must be a whole number of minutes from 1 to 240")
    position = data.get("path_position")
    if position is not None and (
        not isinstance(position, int) or isinstance(position, bool) or not 1 <= position <= PATH_POSITION_MAX
    ):
        check.fail("path_position", f"must be a whole number from 1 to {PATH_POSITION_MAX} (1 comes first)")
    prerequisites = data.get("prerequisites", [])
    if not isinstance(prerequisites, list) or not all(isinstance(p, str) for p in prerequisites):
        check.fail("prerequisites", "must be a list of module slugs")
        prerequisites = []
    fields["sources"] = _sources(check, data.get("sources"))
    lessons = _lessons(check, data.get("lessons"))
    quiz = data.get("quiz", {})
    questions: list[dict[str, Any]] = []
    if not isinstance(quiz, dict):
        check.fail("quiz", "must be a table")
    else:
        check.unknown_keys(quiz, {"pass_mark", "questions_per_attempt", "questions"}, "quiz.")
        pass_mark = quiz.get("pass_mark", 80)
        if not isinstance(pass_mark, int) or isinstance(pass_mark, bool) or not 1 <= pass_mark <= 100:
            check.fail("quiz.pass_mark", "must be a percentage from 1 to 100")
        fields["pass_mark"] = pass_mark
        questions = _questions(check, quiz.get("questions", []), lesson_count=len(lessons))
        fields["questions_per_attempt"] = _questions_per_attempt(check, quiz, len(questions))
    if check.problems:
        raise CurriculumError(check.problems)
    content = {key: value for key, value in data.items() if key not in PLACEMENT_KEYS}
    return ModuleSpec(
        path=path,
        slug=slug,
        fields=fields,
        prerequisites=list(prerequisites),
        lessons=lessons,
        questions=questions,
        fingerprint=_fingerprint(content),
        path_position=position,
        # Files written before issue 15 carried ``public`` (true or false) where ``path_position`` is now: the same
        # content loaded then is unchanged, not a new version.
        earlier_fingerprints=tuple(_fingerprint(content | {"public": public}) for public in (False, True)),
        quiz_keys=frozenset(quiz) if isinstance(quiz, dict) else frozenset(),
    )


def _fingerprint(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _sources(check: _Checker, sources: Any) -> list[dict[str, str]]:
    if not isinstance(sources, list) or not sources:
        check.fail("sources", "list at least one source (title and https address)")
        return []
    clean = []
    for i, source in enumerate(sources, 1):
        if not isinstance(source, dict):
            check.fail(f"sources[{i}]", "must be a table with title and url")
            continue
        check.unknown_keys(source, {"title", "url"}, f"sources[{i}].")
        title = check.text(source, "title", f"sources[{i}].")
        check.https(source.get("url"), f"sources[{i}].url")
        clean.append({"title": title, "url": str(source.get("url", ""))})
    return clean


def _lessons(check: _Checker, lessons: Any) -> list[dict[str, str]]:
    if not isinstance(lessons, list) or not lessons:
        check.fail("lessons", "add at least one [[lessons]] table")
        return []
    clean = []
    for i, lesson in enumerate(lessons, 1):
        if not isinstance(lesson, dict):
            check.fail(f"lessons[{i}]", "must be a table")
            continue
        check.unknown_keys(lesson, {"title", "body", "video_url"}, f"lessons[{i}].")
        item = {
            "title": check.text(lesson, "title", f"lessons[{i}].", max_length=160),
            "body": check.text(lesson, "body", f"lessons[{i}].", max_length=40_000),
            "video_url": lesson.get("video_url", ""),
        }
        if item["video_url"]:
            check.https(item["video_url"], f"lessons[{i}].video_url")
        clean.append(item)
    return clean


def parse_directory(directory: Path = CURRICULUM_DIR) -> list[ModuleSpec]:
    """Validate every ``*.toml`` in ``directory``; all problems in all files are reported together."""
    problems: list[str] = []
    specs: list[ModuleSpec] = []
    paths = sorted(directory.glob("*.toml"))
    if not paths:
        raise CurriculumError([f"{directory}: no .toml module files found"])
    for path in paths:
        try:
            specs.append(parse_file(path))
        except CurriculumError as exc:
            problems += exc.problems
    seen: dict[str, str] = {}
    places: dict[int, str] = {}
    for spec in specs:
        if spec.slug in seen:
            problems.append(f"{spec.path.name}: slug: {spec.slug!r} is also used by {seen[spec.slug]}")
        seen[spec.slug] = spec.path.name
        if spec.path_position is not None:
            if spec.path_position in places:
                other = places[spec.path_position]
                problems.append(f"{spec.path.name}: path_position: {spec.path_position} is also used by {other}")
            places[spec.path_position] = spec.path.name
    for spec in specs:
        for slug in spec.prerequisites:
            if slug == spec.slug:
                problems.append(f"{spec.path.name}: prerequisites: a module cannot require itself")
            elif slug not in seen and not Module.objects.filter(slug=slug, program__isnull=True).exists():
                problems.append(f"{spec.path.name}: prerequisites: no module with slug {slug!r}")
    if problems:
        raise CurriculumError(problems)
    return specs


def load_curriculum(directory: Path = CURRICULUM_DIR) -> LoadReport:
    """Validate, then create or update every starter module in one transaction (see the module docstring)."""
    specs = parse_directory(directory)
    translations, problems = parse_translations(directory, specs)
    if problems:
        raise CurriculumError(problems)
    report = LoadReport()
    with transaction.atomic():
        taken = set(
            Module.objects.filter(slug__in=[s.slug for s in specs], program__isnull=False).values_list(
                "slug", flat=True
            )
        )
        if taken:
            raise CurriculumError(
                [f"slug {slug!r} already belongs to a program's own module" for slug in sorted(taken)]
            )
        modules = {}
        for spec in specs:
            modules[spec.slug] = _load_one(spec, report)
        for spec in specs:
            modules[spec.slug].prerequisites.set(Module.objects.filter(slug__in=spec.prerequisites))
            if modules[spec.slug].path_position != spec.path_position:
                authoring.set_path_position(module=modules[spec.slug], position=spec.path_position)
        for translation in translations:
            module = Module.objects.select_related("current_version").get(slug=translation.slug)
            load_translation(translation, module, report)
    return report


def _load_one(spec: ModuleSpec, report: LoadReport) -> Module:
    module = Module.objects.filter(slug=spec.slug).select_related("current_version").first()
    if module is not None and module.archived_at is not None:
        report.skipped.append(spec.slug)  # staff withdrew it; the loader does not bring it back
        return module
    current = module.current_version if module else None
    if (
        module is not None
        and current is not None
        and current.source_hash in (spec.fingerprint, *spec.earlier_fingerprints)
    ):
        if current.source_hash != spec.fingerprint:  # same content, fingerprinted the earlier way: note the new one
            ModuleVersion.objects.filter(pk=current.pk).update(source_hash=spec.fingerprint)
        report.unchanged.append(spec.slug)
        return module
    if module is None:
        version = authoring.create_module(author=None, slug=spec.slug, program=None, **spec.fields)
        module = version.module
        report.created.append(spec.slug)
    else:
        number = (module.versions.aggregate(top=Max("number"))["top"] or 0) + 1
        version = ModuleVersion(module=module, number=number, **spec.fields)
        version.full_clean()
        version.save()
        report.updated.append(spec.slug)
    lessons = [authoring.add_lesson(version=version, **lesson) for lesson in spec.lessons]
    for question in spec.questions:
        number = question["lesson"]
        authoring.save_question(
            version=version,
            prompt=question["prompt"],
            kind=question["kind"],
            choices=question["choices"],
            lesson=lessons[number - 1] if number else None,
        )
    version.source_hash = spec.fingerprint
    version.change_note = "Loaded from the starter curriculum"
    version.save(update_fields=["source_hash", "change_note"])
    authoring.publish_version(version=version, publisher=None, skip_review=True)
    module.refresh_from_db()
    return module
