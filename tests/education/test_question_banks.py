"""Knowledge-check question banks (issue 20): each starter module has a bank larger than one attempt, every
question names the lesson it checks, answers are well formed, the Spanish bank mirrors the English one question by
question, and the questions read as plainly as the lessons."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from education.curriculum_loader import CURRICULUM_DIR
from education.readability import EASE_MINIMUM, GRADE_LIMIT, reading_ease, reading_grade

FILES = sorted(CURRICULUM_DIR.glob("*.toml"))
SPARE_QUESTIONS = 3  # a bank holds at least this many more questions than one attempt asks


def _load(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        return tomllib.load(handle)


def _words(module: dict[str, Any]) -> list[str]:
    words = []
    for question in module["quiz"]["questions"]:
        words.append(question["prompt"])
        words.extend(part for choice in question["choices"] for part in (choice["text"], choice["feedback"]))
    return words


def _shape(module: dict[str, Any]) -> list[tuple[str, int, list[bool]]]:
    return [(q["kind"], q["lesson"], [c["correct"] for c in q["choices"]]) for q in module["quiz"]["questions"]]


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_bank_is_larger_than_an_attempt_and_every_question_is_well_formed(path: Path) -> None:
    module = _load(path)
    quiz, lesson_count = module["quiz"], len(module["lessons"])
    per_attempt = quiz["questions_per_attempt"]
    questions = quiz["questions"]
    assert isinstance(per_attempt, int) and per_attempt >= 1
    assert len(questions) >= per_attempt + SPARE_QUESTIONS
    for number, question in enumerate(questions, 1):
        assert 1 <= question["lesson"] <= lesson_count, f"question {number}: lesson {question['lesson']}"
        choices = question["choices"]
        assert 2 <= len(choices) <= 5 and all(choice["feedback"].strip() for choice in choices), f"question {number}"
        right = sum(choice["correct"] for choice in choices)
        if question["kind"] == "single":
            assert right == 1, f"question {number} needs exactly one correct answer"
        else:
            assert question["kind"] == "multiple" and 1 <= right < len(choices), f"question {number}"
    assert {q["lesson"] for q in questions} == set(range(1, lesson_count + 1)), "every lesson is checked"
    assert any(not q["choices"][0]["correct"] for q in questions), "the right answer is not always first"


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_spanish_bank_mirrors_the_english_one_and_both_read_plainly(path: Path) -> None:
    english, spanish = _load(path), _load(CURRICULUM_DIR / "es" / path.name)
    assert spanish["quiz"]["questions_per_attempt"] == english["quiz"]["questions_per_attempt"]
    assert _shape(spanish) == _shape(english)
    grade, ease = reading_grade(_words(english)), reading_ease(_words(spanish), "es")
    assert grade is not None and grade <= GRADE_LIMIT, f"{path.name} questions read at grade {grade}"
    assert ease is not None and ease >= EASE_MINIMUM, f"es/{path.name} questions have reading ease {ease}"
