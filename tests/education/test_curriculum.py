"""The starter curriculum: content baseline checks on the TOML files, and the idempotent, all-or-nothing loader."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from education.curriculum_loader import CURRICULUM_DIR, CurriculumError, load_curriculum, parse_directory, parse_file
from education.models import Lesson, Module, ModuleProgress, ModuleVersion
from education.readability import reading_grade
from education.services import start_module

FILES = sorted(CURRICULUM_DIR.glob("*.toml"))
GOOD = """
slug = "sample-module"
title = "A sample module"
topic = "addiction"
audience = "family"
summary = "A short summary."
estimated_minutes = 10
path_position = 1
prerequisites = []
sources = [ { title = "NIDA", url = "https://nida.nih.gov/" } ]

[[lessons]]
title = "One"
body = "You can read this."

[[lessons]]
title = "Two"
body = "This is short."

[[lessons]]
title = "Three"
body = "It is done."

[quiz]
pass_mark = 70

[[quiz.questions]]
prompt = "Is this a test?"
kind = "single"

[[quiz.questions.choices]]
text = "Yes"
correct = true
feedback = "Right."

[[quiz.questions.choices]]
text = "No"
correct = false
feedback = "It is."
"""


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_starter_module_meets_the_content_baseline(path: Path) -> None:
    """≥ 3 lessons, a knowledge check, a Sources list, and Flesch–Kincaid grade ≤ 8 on the Markdown-free text."""
    spec = parse_file(path)  # also proves the file passes the loader's validation
    assert len(spec.lessons) >= 3
    assert spec.questions, "a knowledge check"
    assert spec.fields["sources"] and all(s["url"].startswith("https://") for s in spec.fields["sources"])
    grade = reading_grade(lesson["body"] for lesson in spec.lessons)
    assert grade is not None, "textstat could not measure the text"
    assert grade <= 8, f"{path.name} reads at grade {grade}"


def test_there_is_a_starter_curriculum() -> None:
    assert len(FILES) >= 16
    assert len({spec.slug for spec in parse_directory()}) == len(FILES)


@pytest.mark.django_db
def test_load_curriculum_is_idempotent() -> None:
    call_command("load_curriculum")
    count = Module.objects.count()
    assert count == len(FILES)
    assert ModuleVersion.objects.filter(status=ModuleVersion.Status.PUBLISHED).count() == count
    lessons_before = Lesson.objects.count()
    call_command("load_curriculum")
    assert Module.objects.count() == count
    assert ModuleVersion.objects.count() == count
    assert Lesson.objects.count() == lessons_before
    for spec in parse_directory():
        module = Module.objects.get(slug=spec.slug)
        version = ModuleVersion.objects.get(module=module)
        assert module.program is None and module.current_version_id == version.pk
        assert version.title == spec.fields["title"] and not version.enrolled_only
        assert module.path_position == spec.path_position
        assert version.lessons.count() == len(spec.lessons) and version.questions.count() == len(spec.questions)
        assert set(module.prerequisites.values_list("slug", flat=True)) == set(spec.prerequisites)


def _copy(tmp_path: Path, text: str = GOOD, name: str = "01-sample.toml") -> Path:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.django_db
def test_changed_file_becomes_a_new_version_and_learners_keep_theirs(tmp_path: Path, learner) -> None:
    load_curriculum(_copy(tmp_path))
    module = Module.objects.get(slug="sample-module")
    progress = start_module(learner=learner, module=module)
    report = load_curriculum(_copy(tmp_path, GOOD.replace("It is done.", "All done.")))
    assert report.updated == ["sample-module"]
    current = ModuleVersion.objects.get(module=module, status=ModuleVersion.Status.PUBLISHED)
    assert current.number == 2
    assert current.lessons.get(position=3).body == "All done."
    assert ModuleProgress.objects.get(pk=progress.pk).version.number == 1
    assert load_curriculum(tmp_path).unchanged == ["sample-module"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (GOOD.replace('topic = "addiction"', 'topic = "astrology"'), "topic: must be one of"),
        (GOOD.replace('url = "https://nida.nih.gov/"', 'url = "http://nida.nih.gov/"'), "sources[1].url"),
        (GOOD.replace("correct = false", "correct = true"), "exactly one correct answer"),
        (GOOD.replace('kind = "single"', 'kind = "essay"'), 'must be "single" or "multiple"'),
        (GOOD.replace("estimated_minutes = 10", 'estimated_minutes = "ten"'), "estimated_minutes"),
        (
            GOOD.replace("prerequisites = []", 'prerequisites = ["no-such-module"]'),
            "no module with slug 'no-such-module'",
        ),
        (GOOD.replace('body = "You can read this."', 'body = ""'), "lessons[1].body: must be non-empty text"),
        (GOOD.replace('slug = "sample-module"', 'slug = "Sample Module"'), "slug: use lowercase"),
        (GOOD + '\ncolour = "blue"\n', "colour: is not a known field"),
        (GOOD.replace("path_position = 1", "path_position = 0"), "path_position: must be a whole number from 1"),
        (GOOD.replace("path_position = 1", 'path_position = "first"'), "path_position: must be a whole number"),
        (GOOD.replace("path_position = 1", "path_position = 1\npublic = true"), "public: is not a known field"),
        (GOOD.replace("[quiz]", "[quiz"), "not valid TOML"),
    ],
)
def test_bad_file_is_a_clear_error_and_nothing_is_written(tmp_path: Path, broken: str, message: str) -> None:
    first = GOOD.replace("sample-module", "first-module").replace("path_position = 1", "path_position = 2")
    _copy(tmp_path, first, name="00-first.toml")
    _copy(tmp_path, broken)
    with pytest.raises(CommandError) as excinfo:
        call_command("load_curriculum", "--dir", str(tmp_path))
    assert message in str(excinfo.value)
    assert "01-sample.toml" in str(excinfo.value)
    assert not Module.objects.exists()  # the valid file was not loaded either


@pytest.mark.django_db
def test_duplicate_slugs_across_files_are_refused(tmp_path: Path) -> None:
    _copy(tmp_path)
    _copy(tmp_path, name="02-again.toml")
    with pytest.raises(CurriculumError, match="also used by"):
        load_curriculum(tmp_path)
    assert not Module.objects.exists()


@pytest.mark.django_db
def test_slug_of_a_programs_own_module_is_not_taken_over(tmp_path: Path, program) -> None:
    from tests.support.education_content import draft_module

    draft_module("sample-module", program=program)
    with pytest.raises(CurriculumError, match="belongs to a program"):
        load_curriculum(_copy(tmp_path))
    assert Module.objects.get(slug="sample-module").program == program


@pytest.mark.django_db
def test_archived_starter_module_is_not_revived(tmp_path: Path, reviewer) -> None:
    from education.authoring import archive_module

    load_curriculum(_copy(tmp_path))
    archive_module(module=Module.objects.get(), actor=reviewer)
    assert load_curriculum(tmp_path).skipped == ["sample-module"]
    assert Module.objects.get().current_version is None


def test_empty_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CurriculumError, match="no .toml"):
        parse_directory(tmp_path)


START_HERE = [
    "what-addiction-is",
    "mental-illness-basics",
    "co-occurring-disorders",
    "how-treatment-works",
    "enabling-vs-supporting",
    "communication-that-helps",
    "boundaries-and-natural-consequences",
    "relapse-and-warning-signs",
    "overdose-response",
    "crisis-resources",
    "self-care-for-families",
    "confidentiality-and-consent",
    "family-sessions",
    "brothers-sisters-and-children",
    "parents-of-teens-in-treatment",
    "finding-support-for-yourself",
]


def test_start_here_path_begins_with_what_addiction_is_and_keeps_prerequisites_first() -> None:
    place = {s.slug: s.path_position for s in parse_directory() if s.path_position is not None}
    specs = sorted((s for s in parse_directory() if s.slug in place), key=lambda s: place[s.slug])
    assert [s.slug for s in specs] == START_HERE
    for spec in specs:
        assert all(place[before] < place[spec.slug] for before in spec.prerequisites), spec.slug


@pytest.mark.django_db
def test_loader_places_modules_on_the_path_and_a_new_place_is_no_new_version(tmp_path: Path) -> None:
    load_curriculum(_copy(tmp_path))
    assert Module.objects.get().path_position == 1
    report = load_curriculum(_copy(tmp_path, GOOD.replace("path_position = 1", "path_position = 4")))
    assert report.unchanged == ["sample-module"]
    assert Module.objects.get().path_position == 4 and ModuleVersion.objects.count() == 1
    load_curriculum(_copy(tmp_path, GOOD.replace("path_position = 1\n", "")))
    assert Module.objects.get().path_position is None and ModuleVersion.objects.count() == 1


@pytest.mark.django_db
def test_duplicate_path_positions_across_files_are_refused(tmp_path: Path) -> None:
    _copy(tmp_path)
    _copy(tmp_path, GOOD.replace("sample-module", "other-module"), name="02-other.toml")
    with pytest.raises(CurriculumError, match="path_position: 1 is also used by 01-sample.toml"):
        load_curriculum(tmp_path)
    assert not Module.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("public", [False, True])
def test_module_loaded_from_a_file_with_the_old_public_key_is_unchanged(tmp_path: Path, public: bool) -> None:
    """Installs loaded before issue 15 fingerprinted files that said ``public = …``: the same content is no new
    version (learners would be offered an "updated version" that is not)."""
    import hashlib
    import json
    import tomllib

    load_curriculum(_copy(tmp_path))
    old = tomllib.loads(GOOD.replace("path_position = 1", f"public = {str(public).lower()}"))
    old_hash = hashlib.sha256(json.dumps(old, sort_keys=True, default=str).encode()).hexdigest()
    ModuleVersion.objects.update(source_hash=old_hash)
    assert load_curriculum(tmp_path).unchanged == ["sample-module"]
    assert ModuleVersion.objects.count() == 1
    assert ModuleVersion.objects.get().source_hash == parse_file(tmp_path / "01-sample.toml").fingerprint
