"""Issue #20 item 3: no fixed answer position passes a module's knowledge check more often than guessing would.

The review found the right answer listed first everywhere, so "always pick the first answer" scored 100 % and
earned certificates. For every starter module this plays every fixed-position strategy (always the n-th answer;
for choose-all questions, always the first k boxes) against the real draw (``quizzes.draw``, seeded so the test is
deterministic) and the real grading rules, and compares its pass rate with the exact pass probability of guessing
(computed over all draws and shuffles). Without shuffling, "always the first answer" passes every attempt.
"""

from __future__ import annotations

import random
from itertools import product
from math import comb

import pytest

from education.curriculum_loader import parse_directory
from education.models import Question
from education.quizzes import DrawnQuestion, draw, is_right, percent

SEEDED_ATTEMPTS = 200
TOLERANCE = 0.08  # about six standard errors of a 200-attempt pass rate near the guessing level
GUESSING_CEILING = 0.25  # a module that guessing passes this often does not test anything

SPECS = parse_directory()


def _bank(spec):
    """(question id, choice ids) pairs, the right ids and the kind of each question, from the file."""
    bank, right, kinds = [], {}, {}
    for i, question in enumerate(spec.questions):
        ids = [f"q{i}c{j}" for j in range(len(question["choices"]))]
        bank.append((f"q{i}", ids))
        right[f"q{i}"] = {ids[j] for j, choice in enumerate(question["choices"]) if choice.correct}
        kinds[f"q{i}"] = question["kind"]
    return bank, right, kinds


def _needed(count: int, pass_mark: int) -> int:
    return next(k for k in range(count + 1) if percent(k, count) >= pass_mark)


def _guess_pass_probability(bank, right, kinds, count: int, pass_mark: int) -> float:
    """Exact chance that a blind guess passes: over every draw of ``count`` questions (all equally likely) and every
    order of their answers, a fixed position is right with probability 1/n (choose one) or 1/C(n, k) when it
    ticks k boxes and the question has k right answers (choose all); the best k is taken for each question."""

    def p_right(question, choices):
        if kinds[question] == Question.Kind.SINGLE:
            return 1 / len(choices)
        return 1 / comb(len(choices), len(right[question]))

    # ways[j][r]: summed probability over subsets of j questions seen so far of exactly r right
    ways = [[0.0] * (count + 1) for _ in range(count + 1)]
    ways[0][0] = 1.0
    for question, choices in bank:
        p = p_right(question, choices)
        for j in range(count, 0, -1):
            for r in range(j, -1, -1):
                ways[j][r] += ways[j - 1][r] * (1 - p) + (ways[j - 1][r - 1] * p if r else 0.0)
    needed = _needed(count, pass_mark)
    return sum(ways[count][needed:]) / comb(len(bank), count)


def _worst_strategy(spec, draw_fn) -> tuple[str, float]:
    """The fixed-position strategy that passes most often over the seeded attempts, and its pass rate. A strategy
    always picks the answer at one position for choose-one questions and ticks the first k boxes for choose-all
    questions (every position, every k)."""
    bank, right, kinds = _bank(spec)
    count = min(spec.fields["questions_per_attempt"] or len(bank), len(bank))
    widest = max(len(choices) for _question, choices in bank)
    worst = ("", 0.0)
    for position, boxes in product(range(widest), range(1, widest + 1)):
        rng = random.Random(f"{spec.slug}:{position}:{boxes}")
        passes = 0
        for _attempt in range(SEEDED_ATTEMPTS):
            right_count = 0
            for item in (drawn := draw_fn(bank, count, rng)):
                if kinds[item.question] == Question.Kind.SINGLE:
                    chosen = {item.choices[min(position, len(item.choices) - 1)]}
                else:
                    chosen = set(item.choices[:boxes])
                right_count += is_right(kinds[item.question], right[item.question], chosen)
            passes += percent(right_count, len(drawn)) >= spec.fields["pass_mark"]
        if passes / SEEDED_ATTEMPTS > worst[1]:
            worst = (f"answer {position + 1}, first {boxes} boxes", passes / SEEDED_ATTEMPTS)
    return worst


def _chance(spec) -> float:
    bank, right, kinds = _bank(spec)
    count = min(spec.fields["questions_per_attempt"] or len(bank), len(bank))
    return _guess_pass_probability(bank, right, kinds, count, spec.fields["pass_mark"])


@pytest.mark.parametrize("spec", SPECS, ids=[spec.slug for spec in SPECS])
def test_no_fixed_answer_position_passes_more_often_than_guessing(spec) -> None:
    chance = _chance(spec)
    assert chance <= GUESSING_CEILING, f"{spec.slug}: guessing passes {chance:.0%} of attempts"
    label, rate = _worst_strategy(spec, draw)
    assert rate <= chance + TOLERANCE, f"{spec.slug}: '{label}' passed {rate:.0%} (guessing: {chance:.0%})"


def _old_draw(bank, count, rng):
    """The behaviour the review found: questions and answers in file order (the right answers first)."""
    return [DrawnQuestion(question, tuple(choices)) for question, choices in bank[:count]]


def test_the_old_fixed_order_fails_the_same_check() -> None:
    spec = SPECS[0]
    label, rate = _worst_strategy(spec, _old_draw)
    assert rate == 1.0 and rate > _chance(spec) + TOLERANCE
