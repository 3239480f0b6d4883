"""Knowledge checks that test something: drawn from a bank, shuffled, graded against the stored draw.

Design
------
A module version's questions are its bank. Each knowledge check draws ``ModuleVersion.draw_size`` of them at
random, in random order, with each question's answers in random order (``draw``). The draw is stored on an open
``QuizAttempt`` the first time the page is shown (``open_attempt``), so reloading shows the same questions and a
forged form cannot change what is graded: an answer that names a question or an answer outside the draw is refused
(``QuizAnswerError``) and nothing is saved. Where the right answers sit is therefore different on every attempt;
always picking the first answer is a guess (``tests/education/test_quiz_guessing.py``).

The optional pre-check (``QuizAttempt.Kind.PRE_CHECK``) is drawn the same way from the same bank before the first
lesson, is short (``PRE_CHECK_MAX_QUESTIONS``), may be skipped or left partly blank, is not passed or failed and
shows no feedback; its score is the "before" of ``education.learning_gains``.

Feedback (``QuizResult``): a passed check explains every answer; a failed one only says which questions were not
right and the lesson each is about, never which answers are right (``ChoiceResult.show_feedback``).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from education.models import Choice, Lesson, ModuleProgress, Question, QuizAttempt

PRE_CHECK_MAX_QUESTIONS = 5

_system_random = random.SystemRandom()


class QuizAnswerError(ValueError):
    """The submitted answers do not fit the attempt's draw (a stale page or a forged form)."""


@dataclass(frozen=True)
class DrawnQuestion:
    question: str  # question id
    choices: tuple[str, ...]  # choice ids, in the order shown


def draw(bank: Sequence[tuple[str, Sequence[str]]], count: int, rng: random.Random) -> list[DrawnQuestion]:
    """``count`` questions of ``bank`` ((question id, choice ids) pairs) in random order, answers shuffled."""
    picked = rng.sample(list(bank), min(count, len(bank)))
    return [DrawnQuestion(question, tuple(rng.sample(list(choices), len(choices)))) for question, choices in picked]


def is_right(kind: str, correct: set[str], chosen: set[str]) -> bool:
    """A question counts when exactly its right answers are picked (one, for a choose-one question)."""
    if kind == Question.Kind.SINGLE and len(chosen) != 1:
        return False
    return chosen == correct


def percent(right: int, total: int) -> int:
    """The score: the share of questions answered right, rounded down."""
    return 100 * right // total if total else 100


@dataclass
class ChoiceResult:
    choice: Choice
    chosen: bool
    reveal: bool = True  # False on a failed check: nothing may show which answers are right

    @property
    def show_feedback(self) -> bool:
        """Passed: explain every answer picked and every right one missed. Failed: nothing (the page lists the
        questions to revisit and their lessons instead)."""
        return self.reveal and (self.chosen or self.choice.correct)


@dataclass
class QuestionResult:
    prompt: str
    right: bool
    question_id: Any = None
    lesson: Lesson | None = None
    choices: list[ChoiceResult] = field(default_factory=list)

    @property
    def chosen_texts(self) -> list[str]:
        return [item.choice.text for item in self.choices if item.chosen]


@dataclass
class QuizResult:
    score: int
    passed: bool
    pass_mark: int
    questions: list[QuestionResult]

    @property
    def right_count(self) -> int:
        return sum(q.right for q in self.questions)

    @property
    def wrong(self) -> list[tuple[int, QuestionResult]]:
        """The questions not answered right, with their number on the page."""
        return [(number, q) for number, q in enumerate(self.questions, 1) if not q.right]


def _bank(progress: ModuleProgress) -> list[Question]:
    return list(progress.version.questions.select_related("lesson").prefetch_related("choices"))


def _new_draw(progress: ModuleProgress, kind: str, rng: random.Random) -> list[dict[str, Any]]:
    bank = [(str(q.pk), [str(c.pk) for c in q.choices.all()]) for q in progress.version.questions.all()]
    count = progress.version.draw_size(len(bank))
    if kind == QuizAttempt.Kind.PRE_CHECK:
        count = min(count, PRE_CHECK_MAX_QUESTIONS)
    return [{"question": d.question, "choices": list(d.choices)} for d in draw(bank, count, rng)]


def open_attempt(*, progress: ModuleProgress, kind: str = QuizAttempt.Kind.CHECK, rng: random.Random | None = None):
    """The learner's open attempt of ``kind`` on their version, drawn now if there is none (a reload gets the same
    one; one drawn for an earlier version is replaced). ``rng`` is for tests; the default is the system's."""
    found = progress.attempts.filter(kind=kind, submitted_at__isnull=True).first()
    if found is not None and found.version_id == progress.version_id:
        return found
    try:
        with transaction.atomic():
            if found is not None:
                found.delete()
            return QuizAttempt.objects.create(
                progress=progress,
                version_id=progress.version_id,
                kind=kind,
                drawn=_new_draw(progress, kind, rng or _system_random),
            )
    except IntegrityError:  # another tab drew at the same moment: use its draw
        return progress.attempts.get(kind=kind, submitted_at__isnull=True)


def drawn_questions(attempt: QuizAttempt) -> list[Question]:
    """The attempt's questions in the drawn order, each with ``shown_choices`` in the drawn order (two queries)."""
    by_id = {str(q.pk): q for q in attempt.version.questions.prefetch_related("choices")}
    questions = []
    for entry in attempt.drawn:
        question = by_id[entry["question"]]
        choices = {str(c.pk): c for c in question.choices.all()}
        question.shown_choices = [choices[c] for c in entry["choices"] if c in choices]  # type: ignore[attr-defined]
        questions.append(question)
    return questions


def check_answers(attempt: QuizAttempt, answers: dict[str, list[str]]) -> None:
    """Raise ``QuizAnswerError`` unless every answer names a drawn question and one of its drawn answers."""
    allowed = {entry["question"]: set(entry["choices"]) for entry in attempt.drawn}
    for question, chosen in answers.items():
        if question not in allowed or not set(chosen) <= allowed[question]:
            raise QuizAnswerError(_("These answers do not match the questions on this page. Please answer again."))


def grade_answers(
    *, progress: ModuleProgress, answers: dict[str, list[str]], drawn: Iterable[dict[str, Any]] | None = None
) -> QuizResult:
    """Score ``answers`` (question id → chosen choice ids; unknown ids count for nothing) against the drawn
    questions, in the drawn order, or against every question of the learner's version when ``drawn`` is empty (an
    attempt from before draws). Feedback is revealed only when the result passes."""
    version = progress.version
    questions = {str(q.pk): q for q in _bank(progress)}
    order = [entry["question"] for entry in drawn or []] or list(questions)
    results = []
    for question_id in order:
        question = questions.get(question_id)
        if question is None:
            continue
        chosen = set(answers.get(question_id, []))
        choices = [ChoiceResult(choice=c, chosen=str(c.pk) in chosen) for c in question.choices.all()]
        correct = {str(c.pk) for c in question.choices.all() if c.correct}
        right = is_right(question.kind, correct, chosen & {str(c.pk) for c in question.choices.all()})
        results.append(QuestionResult(question.prompt, right, question.pk, question.lesson, choices))
    score = percent(sum(r.right for r in results), len(results))
    passed = score >= version.pass_mark
    for result in results:
        for item in result.choices:
            item.reveal = passed
    return QuizResult(score=score, passed=passed, pass_mark=version.pass_mark, questions=results)


def submit_quiz(
    *, progress: ModuleProgress, answers: dict[str, list[str]], kind: str = QuizAttempt.Kind.CHECK
) -> QuizResult:
    """Grade and record the learner's open attempt (drawn now if the page was never shown). Answers outside the
    draw raise ``QuizAnswerError`` and change nothing. Knowledge checks: retries are unlimited and passing once is
    enough. A pre-check is scored but neither passed nor failed."""
    from education.services import refresh_completion

    with transaction.atomic():
        progress = ModuleProgress.objects.select_for_update().select_related("version").get(pk=progress.pk)
        attempt = open_attempt(progress=progress, kind=kind)
        check_answers(attempt, answers)
        result = grade_answers(progress=progress, answers=answers, drawn=attempt.drawn)
        now = timezone.now()
        attempt.answers = {str(q): [str(c) for c in chosen] for q, chosen in answers.items()}
        attempt.score, attempt.submitted_at = result.score, now
        attempt.passed = result.passed if kind == QuizAttempt.Kind.CHECK else None
        attempt.save(update_fields=["answers", "score", "passed", "submitted_at"])
        if kind == QuizAttempt.Kind.CHECK:
            progress.best_score = max(progress.best_score or 0, result.score)
            if result.passed and progress.quiz_passed_at is None:
                progress.quiz_passed_at = now
            refresh_completion(progress)
        progress.updated_at = now
        progress.save()
        return result


def result_of(attempt: QuizAttempt) -> QuizResult:
    """Rebuild the feedback for a stored attempt (answers are kept by id, so old attempts stay readable)."""
    return grade_answers(progress=attempt.progress, answers=attempt.answers, drawn=attempt.drawn)


def precheck_offered(progress: ModuleProgress | None, *, has_questions: bool, started_reading: bool) -> bool:
    """The pre-check is offered until the learner reads a lesson, takes it or skips it."""
    if not has_questions or started_reading:
        return False
    if progress is None:
        return True
    if progress.precheck_skipped_at is not None:
        return False
    taken = getattr(progress, "took_precheck", None)  # annotated by the page's progress query (``took_precheck``)
    if taken is None:
        taken = progress.attempts.filter(kind=QuizAttempt.Kind.PRE_CHECK, submitted_at__isnull=False).exists()
    return not taken


def took_precheck(progress: str = "pk") -> Exists:
    """An annotation for a ``ModuleProgress`` query (or a query joining one, whose id is at ``progress``): whether
    its learner submitted the pre-check."""
    submitted = QuizAttempt.objects.filter(
        progress=OuterRef(progress), kind=QuizAttempt.Kind.PRE_CHECK, submitted_at__isnull=False
    )
    return Exists(submitted)


def skip_precheck(*, progress: ModuleProgress) -> None:
    """Note that the learner chose to start without the pre-check (it is not offered again)."""
    ModuleProgress.objects.filter(pk=progress.pk, precheck_skipped_at__isnull=True).update(
        precheck_skipped_at=timezone.now()
    )
    progress.attempts.filter(kind=QuizAttempt.Kind.PRE_CHECK, submitted_at__isnull=True).delete()
