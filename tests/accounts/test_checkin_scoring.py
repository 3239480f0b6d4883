"""PHQ-4 scoring (Kroenke et al. 2009): bands at 2/3, 5/6, 8/9, the two subscales, and what counts as high."""

from __future__ import annotations

import pytest

from accounts.checkins import score


@pytest.mark.parametrize(
    ("answers", "total", "band"),
    [
        ((0, 0, 1, 1), 2, "normal"),
        ((1, 0, 1, 1), 3, "mild"),
        ((1, 1, 1, 2), 5, "mild"),
        ((2, 1, 1, 2), 6, "moderate"),
        ((2, 2, 2, 2), 8, "moderate"),
        ((3, 2, 2, 2), 9, "severe"),
        ((3, 3, 3, 3), 12, "severe"),
        ((0, 0, 0, 0), 0, "normal"),
    ],
)
def test_total_and_band_boundaries(answers, total, band):
    result = score(answers)
    assert (result.total, result.band) == (total, band)


def test_subscales_are_items_one_two_and_three_four_positive_at_three():
    result = score((2, 1, 1, 1))
    assert (result.anxiety, result.depression) == (3, 2)
    assert result.anxiety_positive and not result.depression_positive
    result = score((1, 1, 0, 3))
    assert (result.anxiety, result.depression) == (2, 3)
    assert result.depression_positive and not result.anxiety_positive


@pytest.mark.parametrize(
    ("answers", "high"),
    [
        ((1, 1, 1, 1), False),  # total 4, subscales 2 and 2
        ((1, 1, 2, 1), True),  # total 5 but the mood pair is 3
        ((2, 1, 1, 1), True),  # total 5 but the worry pair is 3
        ((2, 1, 2, 1), True),  # total 6
        ((0, 1, 1, 0), False),
    ],
)
def test_high_means_total_six_or_either_subscale_positive(answers, high):
    assert score(answers).is_high is high


@pytest.mark.parametrize(
    "answers", [(4, 0, 0, 0), (-1, 0, 0, 0), ("1", 0, 0, 0), (1.0, 0, 0, 0), (1, 1, 1), (True, 0, 0, 0)]
)
def test_bad_answers_are_refused(answers):
    with pytest.raises(ValueError):
        score(answers)
