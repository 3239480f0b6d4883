"""Spanish starter curriculum: every shipped file matches its English file, passes the Spanish readability gate
and lists its sources; the loader publishes translations idempotently and refuses a bad file as a whole."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import textstat
from django.core.management import CommandError, call_command

from education.curriculum_loader import CURRICULUM_DIR, CurriculumError, load_curriculum, parse_directory, parse_file
from education.curriculum_translations import parse_translations
from education.models import Module, ModuleProgress, ModuleTranslation, ModuleVersion
from education.readability import EASE_MINIMUM, reading_ease, reading_grade
from education.services import start_module
from tests.education.test_curriculum import GOOD

SPANISH_FILES = sorted((CURRICULUM_DIR / "es").glob("*.toml"))
GOOD_ES = """
slug = "sample-module"
language = "es"
title = "Un módulo de ejemplo"
topic = "addiction"
audience = "family"
summary = "Un resumen corto."
estimated_minutes = 10
path_position = 1
prerequisites = []
sources = [
  { title = "NIDA", url = "https://nida.nih.gov/" },
  { title = "NIDA en español", url = "https://nida.nih.gov/es" },
]

[[lessons]]
title = "Uno"
body = "Usted puede leer esto."

[[lessons]]
title = "Dos"
body = "Esto es corto."

[[lessons]]
title = "Tres"
body = "Ya está."

[quiz]
pass_mark = 70

[[quiz.questions]]
prompt = "¿Es una prueba?"
kind = "single"

[[quiz.questions.choices]]
text = "Sí"
correct = true
feedback = "Correcto."

[[quiz.questions.choices]]
text = "No"
correct = false
feedback = "Sí lo es."
"""

TWO_LESSONS = GOOD_ES.split('[[lessons]]\ntitle = "Tres"')[0] + "[quiz]" + GOOD_ES.split("[quiz]")[1]
HARD = "Administraciones sanitarias latinoamericanas contemporáneas."


def _curriculum(tmp_path: Path, spanish: str = GOOD_ES, english: str = GOOD) -> Path:
    (tmp_path / "es").mkdir(exist_ok=True)
    (tmp_path / "01-sample.toml").write_text(english, encoding="utf-8")
    (tmp_path / "es" / "01-sample.toml").write_text(spanish, encoding="utf-8")
    return tmp_path


def test_the_first_three_modules_are_in_spanish() -> None:
    names = {path.name for path in SPANISH_FILES}
    assert {"01-what-addiction-is.toml", "02-mental-illness-basics.toml", "03-co-occurring-disorders.toml"} <= names


@pytest.mark.parametrize("path", SPANISH_FILES, ids=[path.stem for path in SPANISH_FILES])
def test_shipped_spanish_module_passes_the_readability_gate_and_lists_sources(path: Path) -> None:
    spec = parse_file(path, language="es")
    assert spec.fields["sources"] and all(s["url"].startswith("https://") for s in spec.fields["sources"])
    ease = reading_ease((lesson["body"] for lesson in spec.lessons), "es")
    assert ease is not None, "textstat could not measure the text"
    assert ease >= EASE_MINIMUM, f"es/{path.name} has reading ease {ease}"


def test_every_shipped_translation_matches_its_english_file() -> None:
    specs, problems = parse_translations(CURRICULUM_DIR, parse_directory())
    assert problems == []
    assert len(specs) == len(SPANISH_FILES)


def test_crisis_numbers_stay_and_988_offers_spanish() -> None:
    text = (CURRICULUM_DIR / "es" / "02-mental-illness-basics.toml").read_text(encoding="utf-8")
    assert "988" in text and "911" in text and "oprima 2" in text


def test_measuring_spanish_leaves_the_english_grade_alone() -> None:
    english = ["You can read this. It is short. The brain can heal with time and care."]
    before = reading_grade(english)
    assert reading_ease(["Usted puede leer esto. Es corto."], "es") is not None
    assert reading_grade(english) == before
    assert textstat.textstat._textstatistics__lang == "en_US"  # the shared instance still counts English


@pytest.mark.django_db
def test_the_real_curriculum_loads_its_translations_once() -> None:
    call_command("load_curriculum")
    published = ModuleTranslation.objects.filter(language="es", status=ModuleTranslation.Status.PUBLISHED)
    assert published.count() == len(SPANISH_FILES)
    first = published.get(version__module__slug="what-addiction-is")
    assert first.title == "Qué es la adicción (y qué no es)" and first.lessons.count() == 4
    assert first.reading_ease is not None and first.reading_ease >= Decimal(65)
    call_command("load_curriculum")
    assert ModuleTranslation.objects.count() == len(SPANISH_FILES)
    assert ModuleVersion.objects.count() == Module.objects.count()


@pytest.mark.django_db
def test_a_translation_is_added_to_the_published_version_and_learners_keep_their_place(tmp_path, learner) -> None:
    (tmp_path / "01-sample.toml").write_text(GOOD, encoding="utf-8")
    load_curriculum(tmp_path)
    progress = start_module(learner=learner, module=Module.objects.get(slug="sample-module"))
    report = load_curriculum(_curriculum(tmp_path))
    assert report.translated == ["es/01-sample.toml"] and report.unchanged == ["sample-module"]
    translation = ModuleTranslation.objects.get()
    assert translation.version_id == progress.version_id and translation.status == ModuleTranslation.Status.PUBLISHED
    assert load_curriculum(tmp_path).unchanged == ["sample-module", "es/01-sample.toml"]


@pytest.mark.django_db
def test_a_changed_translation_becomes_a_new_version(tmp_path, learner) -> None:
    load_curriculum(_curriculum(tmp_path))
    module = Module.objects.get(slug="sample-module")
    progress = start_module(learner=learner, module=module)
    report = load_curriculum(_curriculum(tmp_path, GOOD_ES.replace("Ya está.", "Listo.")))
    assert report.translated == ["es/01-sample.toml"]
    module.refresh_from_db()
    current = module.current_version
    assert current is not None and current.number == 2
    assert current.lessons.get(position=3).body == "It is done."  # the English is a copy
    assert current.translations.get().lessons.get(lesson__position=3).body == "Listo."
    assert ModuleProgress.objects.get(pk=progress.pk).version.number == 1  # learners keep their version
    old = ModuleTranslation.objects.get(version__number=1)
    assert old.status == ModuleTranslation.Status.PUBLISHED and old.lessons.get(lesson__position=3).body == "Ya está."
    assert load_curriculum(tmp_path).unchanged == ["sample-module", "es/01-sample.toml"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (GOOD_ES.replace('language = "es"\n', ""), 'es/01-sample.toml: language: must be "es"'),
        (GOOD_ES.replace('slug = "sample-module"', 'slug = "other"'), 'slug: must be "sample-module"'),
        (GOOD_ES.replace("estimated_minutes = 10", "estimated_minutes = 12"), "estimated_minutes: must be 10"),
        (GOOD_ES.replace("path_position = 1", "path_position = 2"), "path_position: must be 1"),
        (GOOD_ES.replace('topic = "addiction"', 'topic = "overdose"'), "topic: must be 'addiction'"),
        (GOOD_ES.replace("pass_mark = 70", "pass_mark = 80"), "pass_mark: must be 70"),
        (GOOD_ES.replace('  { title = "NIDA", url = "https://nida.nih.gov/" },\n', ""), "keep the English source 1"),
        (TWO_LESSONS, "lessons: must have 3 lessons"),
        (GOOD_ES.replace('kind = "single"', 'kind = "multiple"'), 'quiz.questions[1].kind: must be "single"'),
        (
            GOOD_ES.replace("correct = true", "correct = TMP")
            .replace("correct = false", "correct = true")
            .replace("correct = TMP", "correct = false"),
            "quiz.questions[1].choices[1].correct: must be true",
        ),
        (GOOD_ES.replace('body = "Ya está."', 'body = ""'), "lessons[3].body: must be non-empty text"),
        (
            GOOD_ES.replace(
                'body = "Usted puede leer esto."',
                'body = "La implementación institucionalizada de intervenciones psicoterapéuticas interdisciplinarias '
                'constituye indudablemente una responsabilidad organizacional extraordinariamente significativa."',
            ).replace('body = "Esto es corto."', f'body = "{HARD}"'),
            "Fernández-Huerta reading ease",
        ),
    ],
)
def test_a_bad_translation_is_a_clear_error_and_nothing_is_written(tmp_path, broken: str, message: str) -> None:
    with pytest.raises(CommandError) as excinfo:
        call_command("load_curriculum", "--dir", str(_curriculum(tmp_path, broken)))
    assert message in str(excinfo.value)
    assert "es/01-sample.toml" in str(excinfo.value)
    assert not Module.objects.exists() and not ModuleTranslation.objects.exists()


def test_a_translation_without_an_english_file_is_refused(tmp_path) -> None:
    _curriculum(tmp_path)
    (tmp_path / "es" / "02-orphan.toml").write_text(GOOD_ES, encoding="utf-8")
    with pytest.raises(CurriculumError, match="es/02-orphan.toml: no English file 02-orphan.toml"):
        load_curriculum(tmp_path)
