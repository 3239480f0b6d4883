"""Issue #20 items 3 and 4: knowledge checks drawn from a bank and shuffled on the server, failed attempts that point
to lessons without giving the answers away, the pre-check, learning gains and the certificate that reports them."""

from __future__ import annotations

import random
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from education import learning_gains, quizzes, services
from education.authoring import ChoiceData
from education.models import ModuleProgress, ModuleVersion, QuizAttempt
from tests.support import personas
from tests.support.education_content import draft_module

pytestmark = pytest.mark.django_db

Kind = QuizAttempt.Kind


def bank_module(slug: str, *, size: int = 5, per_attempt: int = 3, pass_mark: int = 60, lessons: int = 3):
    """A published module whose ``size`` questions each have 4 answers, one right ("RIGHT-n"), and a lesson."""
    from education import authoring

    questions = [
        {
            "prompt": f"Question {n}?",
            "kind": "single",
            "choices": [ChoiceData(f"RIGHT-{n}", True, f"Yes-feedback-{n}")]
            + [ChoiceData(f"wrong-{n}-{k}", False, f"No-feedback-{n}-{k}") for k in range(3)],
        }
        for n in range(1, size + 1)
    ]
    version = draft_module(slug, lessons=lessons, questions=questions)
    lesson_list = list(version.lessons.order_by("position"))
    for n, question in enumerate(version.questions.order_by("position")):
        question.lesson = lesson_list[n % lessons]
        question.save(update_fields=["lesson"])
    ModuleVersion.objects.filter(pk=version.pk).update(questions_per_attempt=per_attempt, pass_mark=pass_mark)
    authoring.publish_version(version=version, publisher=None, skip_review=True)
    return version.module


def answer(progress: ModuleProgress, *, right: int, kind: str = Kind.CHECK) -> quizzes.QuizResult:
    """Answer the open attempt's first ``right`` drawn questions right and the rest wrong."""
    attempt = quizzes.open_attempt(progress=progress, kind=kind)
    answers = {}
    for n, question in enumerate(quizzes.drawn_questions(attempt)):
        pick = next(c for c in question.shown_choices if c.correct == (n < right))  # type: ignore[attr-defined]
        answers[str(question.pk)] = [str(pick.pk)]
    return services.submit_quiz(progress=progress, answers=answers, kind=kind)


def _shown_order(html: str) -> list[tuple[str, str]]:
    return re.findall(r'name="q-([0-9a-f-]+)" value="(\d+)"', html)


def test_each_attempt_draws_and_shuffles_and_the_draw_is_stored(client, login, learner):
    module = bank_module("banked", size=6, per_attempt=4)
    progress = services.start_module(learner=learner, module=module)
    bank = {str(q.pk): [str(c.pk) for c in q.choices.all()] for q in progress.version.questions.all()}
    draws = [quizzes.draw(list(bank.items()), 4, random.Random(seed)) for seed in range(40)]
    assert all(len(d) == 4 and {q.question for q in d} <= set(bank) for d in draws)
    assert all(sorted(q.choices) == sorted(bank[q.question]) for d in draws for q in d)  # answers shuffled, none lost
    assert len({tuple(q.question for q in d) for d in draws}) > 10  # different questions, in different orders
    assert len({d[0].choices for d in draws}) > 5
    pairs = list(bank.items())
    assert quizzes.draw(pairs, 4, random.Random(7)) == quizzes.draw(pairs, 4, random.Random(7))  # seeded: repeatable

    attempt = quizzes.open_attempt(progress=progress, rng=random.Random(3))
    stored = [(entry["question"], choice) for entry in attempt.drawn for choice in entry["choices"]]
    login(learner)
    url = reverse("education:quiz", args=[module.slug])
    first = client.get(url).content.decode()
    assert _shown_order(first) == stored  # the page shows the stored draw, in its order
    assert _shown_order(client.get(url).content.decode()) == stored  # a reload changes nothing
    assert progress.attempts.count() == 1 and "Question" in first
    answer(progress, right=4)
    assert _shown_order(client.get(url).content.decode()) != stored  # the next try is a new draw


def test_a_forged_or_stale_answer_is_refused_and_nothing_is_saved(client, login, learner):
    module = bank_module("forged", size=5, per_attempt=3)
    progress = services.start_module(learner=learner, module=module)
    attempt = quizzes.open_attempt(progress=progress)
    drawn = {entry["question"] for entry in attempt.drawn}
    outside = progress.version.questions.exclude(pk__in=drawn).prefetch_related("choices")[0]
    stranger = str(outside.choices.all()[0].pk)
    right = {
        f"q-{q.pk}": [str(c.pk) for c in q.choices.all() if c.correct]
        for q in progress.version.questions.filter(pk__in=drawn).prefetch_related("choices")
    }
    login(learner)
    url = reverse("education:quiz", args=[module.slug])
    first_question = next(iter(right))
    forged = [
        right | {f"q-{outside.pk}": [stranger]},  # a question not drawn
        right | {first_question: [stranger]},  # another question's answer
        right | {"attempt": "999999"},  # a page from another attempt
    ]
    for data in forged:
        response = client.post(url, data)
        assert response.status_code == 400
        assert "Please answer again" in response.content.decode() or "newer one" in response.content.decode()
    assert not progress.attempts.filter(submitted_at__isnull=False).exists()
    assert progress.attempts.get().drawn == attempt.drawn  # the draw is unchanged
    progress.refresh_from_db()
    assert progress.best_score is None and progress.quiz_passed_at is None
    assert client.post(url, right | {"attempt": str(attempt.pk)}).status_code == 302


def test_a_failed_attempt_points_to_lessons_and_gives_no_answers_away(client, login, learner):
    module = bank_module("failing", size=5, per_attempt=3, pass_mark=100)
    progress = services.start_module(learner=learner, module=module)
    attempt = quizzes.open_attempt(progress=progress)
    answer(progress, right=1)
    login(learner)
    page = client.get(reverse("education:quiz_result", args=[module.slug])).content.decode()
    assert "Not quite yet" in page and "33%" in page
    assert "RIGHT-" not in page and "-feedback-" not in page  # no right answer, no explanation that gives one away
    assert "is-right" not in page and "Correct answer" not in page
    for question in quizzes.drawn_questions(attempt)[1:]:
        assert question.prompt in page and question.lesson is not None
        assert reverse("education:lesson", args=[module.slug, question.lesson.position]) in page
        assert f"Lesson {question.lesson.position}" in page
    assert quizzes.drawn_questions(attempt)[0].prompt not in page  # a right answer is not listed
    answer(progress, right=3)
    passed = client.get(reverse("education:quiz_result", args=[module.slug])).content.decode()
    assert "You passed" in passed and "RIGHT-" in passed and "Yes-feedback-" in passed


def test_precheck_is_offered_before_the_first_lesson_and_can_be_skipped(client, login, learner):
    module = bank_module("offered")
    login(learner)
    overview = reverse("education:module", args=[module.slug])
    assert "Take the pre-check" in client.get(overview).content.decode()
    page = client.get(reverse("education:precheck", args=[module.slug])).content.decode()
    assert "nothing is passed or failed" in page and len({q for q, _c in _shown_order(page)}) == 3
    response = client.post(reverse("education:precheck", args=[module.slug]), {})  # all blank: allowed
    assert response["Location"] == reverse("education:lesson", args=[module.slug, 1])
    pre = QuizAttempt.objects.get(kind=Kind.PRE_CHECK)
    assert (pre.score, pre.passed) == (0, None)
    assert "Take the pre-check" not in client.get(overview).content.decode()
    assert client.get(reverse("education:precheck", args=[module.slug])).status_code == 302  # once only

    other = bank_module("skipped")
    response = client.post(reverse("education:precheck_skip", args=[other.slug]))
    assert response["Location"] == reverse("education:lesson", args=[other.slug, 1])
    assert "Take the pre-check" not in client.get(reverse("education:module", args=[other.slug])).content.decode()
    assert not QuizAttempt.objects.filter(progress__module=other, kind=Kind.PRE_CHECK).exists()


def _learner_with(module, email, *, pre: int | None, checks: list[int]):
    """A learner who answered ``pre`` pre-check questions right (None: skipped) and then tried the check with
    ``checks`` right answers each time."""
    person = personas.make_user(email, "family", None, full_name=email.split("@")[0].title())
    progress = services.start_module(learner=person, module=module)
    if pre is None:
        quizzes.skip_precheck(progress=progress)
    else:
        answer(progress, right=pre, kind=Kind.PRE_CHECK)
    for right in checks:
        answer(progress, right=right)
    return progress


def test_learning_gains_per_learner_and_per_module():
    module = bank_module("gains", size=5, per_attempt=3, pass_mark=60)
    improved = _learner_with(module, "a@example.org", pre=1, checks=[3])  # 33 → 100
    knew = _learner_with(module, "b@example.org", pre=3, checks=[3])  # 100 → 100
    skipped = _learner_with(module, "c@example.org", pre=None, checks=[2])  # – → 66
    retried = _learner_with(module, "d@example.org", pre=0, checks=[1, 2, 3])  # 0 → 66 (first pass), then 100
    _learner_with(module, "e@example.org", pre=2, checks=[1])  # not passed yet: no "after"

    gain = learning_gains.learner_gain(improved)
    assert (gain.pre, gain.post, gain.gain, gain.normalised) == (33, 100, 67, 1.0)
    perfect = learning_gains.learner_gain(knew)
    assert perfect.already_knew and perfect.gain == 0 and perfect.normalised is None  # no division by zero
    none = learning_gains.learner_gain(skipped)
    assert (none.pre, none.post, none.gain, none.normalised, none.measured) == (None, 66, None, None, False)
    first_pass = learning_gains.learner_gain(retried)
    assert (first_pass.post, first_pass.gain, first_pass.normalised) == (66, 66, 0.66)

    now = timezone.now()
    [row] = learning_gains.module_learning_gains([module], now - timedelta(hours=1), now + timedelta(hours=1))
    assert (row.learners, row.with_precheck, row.already_knew) == (4, 3, 1)
    assert row.mean_pre is None  # fewer than five learners with both scores: means withheld
    [row] = learning_gains.module_learning_gains(
        [module], now - timedelta(hours=1), now + timedelta(hours=1), min_learners=1
    )
    assert row.mean_pre == pytest.approx((33 + 100 + 0) / 3) and row.mean_post == pytest.approx((100 + 100 + 66) / 3)
    assert row.mean_gain == pytest.approx((67 + 0 + 66) / 3)
    assert row.normalised_gain == pytest.approx((row.mean_post - row.mean_pre) / (100 - row.mean_pre))  # type: ignore[operator]
    assert row.mean_learner_normalised_gain == pytest.approx((1.0 + 0.66) / 2)
    later = learning_gains.module_learning_gains([module], now + timedelta(hours=1), now + timedelta(hours=2))
    assert later[0].learners == 0 and later[0].normalised_gain is None
    program_rows = learning_gains.module_learning_gains(personas.make_program("Gain Program"), now, now)
    assert [r.module.slug for r in program_rows] == ["gains"]  # a program's view includes the shared modules


def _finish(client, module, progress):
    progress.refresh_from_db()
    for lesson in progress.version.lessons.all():
        services.complete_lesson(progress=progress, lesson=lesson)
    return client.get(reverse("education:certificate", args=[module.slug])).content.decode()


def test_certificate_says_what_was_learned_only_after_a_precheck(client, login):
    module = bank_module("certified", size=5, per_attempt=3, pass_mark=60)
    improved = _learner_with(module, "a@example.org", pre=1, checks=[3])
    login(improved.learner)
    page = _finish(client, module, improved)
    assert "Before the course you answered 33% correctly; at the end 100%." in page
    knew = _learner_with(module, "b@example.org", pre=3, checks=[3])
    login(knew.learner)
    assert "You already knew this material" in _finish(client, module, knew)
    skipped = _learner_with(module, "c@example.org", pre=None, checks=[3])
    login(skipped.learner)
    page = _finish(client, module, skipped)
    assert "Certificate of completion" in page and "Before the course" not in page and "already knew" not in page
    improved.learner.preferred_language = "es"
    improved.learner.save(update_fields=["preferred_language"])
    login(improved.learner)
    page = client.get(reverse("education:certificate", args=[module.slug]), HTTP_ACCEPT_LANGUAGE="es")
    assert "Antes del curso respondió bien el 33%; al final, el 100%." in page.content.decode()


def _count(client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("page", ["quiz", "precheck", "quiz_result", "certificate"])
def test_check_pages_cost_the_same_queries_whatever_the_bank_size(client, login, page):
    counts = []
    for size in (4, 20):
        module = bank_module(f"bank-{size}", size=size, per_attempt=size - 1)
        progress = _learner_with(module, f"l{size}@example.org", pre=None if page == "precheck" else 1, checks=[])
        if page in ("quiz_result", "certificate"):
            answer(progress, right=size - 1 if page == "certificate" else 0)
        if page == "certificate":
            progress.refresh_from_db()
            for lesson in progress.version.lessons.all():
                services.complete_lesson(progress=progress, lesson=lesson)
        if page == "precheck":
            ModuleProgress.objects.filter(pk=progress.pk).update(precheck_skipped_at=None)
        login(progress.learner)
        counts.append(_count(client, reverse(f"education:{page}", args=[module.slug])))
    assert counts[0] == counts[1]
