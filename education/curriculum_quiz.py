"""The ``[quiz]`` table of a curriculum file (``education.curriculum_loader``): the questions of the module's bank,
the lesson each is about, and how many questions one knowledge check draws (``education.quizzes``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from education import authoring
from education.models import Question

if TYPE_CHECKING:
    from education.curriculum_loader import _Checker as Checker


def questions_per_attempt(check: Checker, quiz: dict[str, Any], bank_size: int) -> int | None:
    """How many questions one knowledge check draws: at most the bank less one, so no two attempts need be the
    same; by default exactly that. None (all of them) for a bank of one question or none."""
    value = quiz.get("questions_per_attempt")
    if value is None:
        return bank_size - 1 if bank_size >= 2 else None
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= bank_size - 1:
        limit = f"from 1 to {bank_size - 1}" if bank_size >= 2 else "left out: add at least two questions to draw from"
        check.fail("quiz.questions_per_attempt", f"must be {limit} (the number of questions less one)")
        return None
    return value


def _lesson_number(check: Checker, value: Any, where: str, lesson_count: int) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= lesson_count:
        check.fail(where, f"must be the number of a lesson, from 1 to {lesson_count}")
        return None
    return value


def quiz_questions(check: Checker, questions: Any, *, lesson_count: int) -> list[dict[str, Any]]:
    if not isinstance(questions, list):
        check.fail("quiz.questions", "must be a list of [[quiz.questions]] tables")
        return []
    clean = []
    for i, question in enumerate(questions, 1):
        where = f"quiz.questions[{i}]"
        if not isinstance(question, dict):
            check.fail(where, "must be a table")
            continue
        check.unknown_keys(question, {"prompt", "kind", "lesson", "choices"}, f"{where}.")
        kind = question.get("kind", Question.Kind.SINGLE)
        if kind not in Question.Kind.values:
            check.fail(f"{where}.kind", 'must be "single" or "multiple"')
        choices = []
        raw_choices = question.get("choices")
        if not isinstance(raw_choices, list) or len(raw_choices) < 2:
            check.fail(f"{where}.choices", "give at least two answers")
            raw_choices = []
        for j, choice in enumerate(raw_choices, 1):
            if not isinstance(choice, dict):
                check.fail(f"{where}.choices[{j}]", "must be a table")
                continue
            check.unknown_keys(choice, {"text", "correct", "feedback"}, f"{where}.choices[{j}].")
            if not isinstance(choice.get("correct"), bool):
                check.fail(f"{where}.choices[{j}].correct", "must be true or false")
            feedback = choice.get("feedback", "")
            if not isinstance(feedback, str):
                check.fail(f"{where}.choices[{j}].feedback", "must be text")
                feedback = ""
            choices.append(
                authoring.ChoiceData(
                    text=check.text(choice, "text", f"{where}.choices[{j}].", max_length=300),
                    correct=choice.get("correct") is True,
                    feedback=feedback,
                )
            )
        right = sum(c.correct for c in choices)
        if kind == Question.Kind.SINGLE and raw_choices and right != 1:
            check.fail(where, "a single-choice question needs exactly one correct answer")
        if kind == Question.Kind.MULTIPLE and raw_choices and right < 1:
            check.fail(where, "mark at least one correct answer")
        clean.append(
            {
                "prompt": check.text(question, "prompt", f"{where}.", max_length=500),
                "kind": kind,
                "choices": choices,
                "lesson": _lesson_number(check, question.get("lesson"), f"{where}.lesson", lesson_count),
            }
        )
    return clean
