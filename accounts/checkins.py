"""Scoring of a family member's weekly wellbeing check-in, their weeks, and the program-level participation count.

The check-in is the PHQ-4 (Kroenke K, Spitzer RL, Williams JBW, Löwe B. "An ultra-brief screening scale for anxiety
and depression: the PHQ-4." Psychosomatics 2009;50:613-621; public domain) plus one item of our own, "How confident
do you feel responding to your loved one right now?" (1-5). Each PHQ-4 item is 0 (not at all) to 3 (nearly every
day); the total 0-12 reads 0-2 normal, 3-5 mild, 6-8 moderate, 9-12 severe; the anxiety pair (items 1+2) and the
depression pair (items 3+4) each screen positive at 3 or more. A screen is not a diagnosis, and the pages say so.

A check-in is the family member's own information (``accounts.checkin_models``): nothing here reads a patient's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Count
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.checkin_models import WellbeingCheckIn

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

# The instrument's items, in its order, as the model's fields name them (the standard English and Spanish wording
# is in the catalogue: locale/es/LC_MESSAGES/django.po).
PHQ4_ITEMS: tuple[tuple[str, _StrPromise], ...] = (
    ("nervous", _("Feeling nervous, anxious or on edge")),
    ("worrying", _("Not being able to stop or control worrying")),
    ("down", _("Feeling down, depressed or hopeless")),
    ("little_interest", _("Little interest or pleasure in doing things")),
)
PHQ4_CHOICES = [
    (0, pgettext_lazy("PHQ-4 answer", "Not at all")),
    (1, pgettext_lazy("PHQ-4 answer", "Several days")),
    (2, pgettext_lazy("PHQ-4 answer", "More than half the days")),
    (3, pgettext_lazy("PHQ-4 answer", "Nearly every day")),
]
CONFIDENCE_CHOICES = [
    (1, _("1 – Not at all confident")),
    (2, _("2 – A little confident")),
    (3, _("3 – Somewhat confident")),
    (4, _("4 – Quite confident")),
    (5, _("5 – Very confident")),
]
SUBSCALE_POSITIVE = 3  # each two-item subscale screens positive at 3 or more (Kroenke et al. 2009)
HIGH_TOTAL = 6  # moderate or severe: support resources are shown at once

BANDS: tuple[tuple[int, str, Promise], ...] = (  # (lowest total, key, label)
    (9, "severe", pgettext_lazy("PHQ-4 band", "Severe")),
    (6, "moderate", pgettext_lazy("PHQ-4 band", "Moderate")),
    (3, "mild", pgettext_lazy("PHQ-4 band", "Mild")),
    (0, "normal", pgettext_lazy("PHQ-4 band", "Normal")),
)


@dataclass(frozen=True)
class Score:
    """The scores of one PHQ-4: total, band and the two subscales."""

    total: int
    anxiety: int
    depression: int

    @property
    def band(self) -> str:
        """``normal`` (0-2), ``mild`` (3-5), ``moderate`` (6-8) or ``severe`` (9-12)."""
        return next(key for lowest, key, _label in BANDS if self.total >= lowest)

    @property
    def band_label(self) -> Promise:
        return next(label for lowest, _key, label in BANDS if self.total >= lowest)

    @property
    def anxiety_positive(self) -> bool:
        return self.anxiety >= SUBSCALE_POSITIVE

    @property
    def depression_positive(self) -> bool:
        return self.depression >= SUBSCALE_POSITIVE

    @property
    def is_high(self) -> bool:
        """A result that shows support resources at once: total 6 or more, or either subscale positive."""
        return self.total >= HIGH_TOTAL or self.anxiety_positive or self.depression_positive


def score(answers: Sequence[int]) -> Score:
    """Score the four PHQ-4 answers (instrument order, each 0-3); anything else is a ``ValueError``."""
    if len(answers) != len(PHQ4_ITEMS):
        raise ValueError("The PHQ-4 has four items.")
    if any(isinstance(a, bool) or not isinstance(a, int) or not 0 <= a <= 3 for a in answers):
        raise ValueError("Each PHQ-4 answer is a whole number from 0 to 3.")
    nervous, worrying, down, little_interest = answers
    return Score(total=sum(answers), anxiety=nervous + worrying, depression=down + little_interest)


def score_of(checkin: WellbeingCheckIn) -> Score:
    return score(checkin.answers)


def week_start_for(user: Any, at: datetime | None = None) -> date:
    """The Monday of the week ``at`` (default now) falls in, in ``user``'s time zone: one check-in per such week."""
    local = timezone.localtime(at or timezone.now(), user.tz).date()
    return local - timedelta(days=local.weekday())


@dataclass(frozen=True)
class TrendRow:
    """One week of the trend table: the check-in and its scores."""

    checkin: WellbeingCheckIn
    score: Score


def trend(checkins: Sequence[WellbeingCheckIn]) -> list[TrendRow]:
    """The check-ins as trend rows, oldest week first (the order a trend is read in)."""
    return [TrendRow(c, score_of(c)) for c in sorted(checkins, key=lambda c: c.week_start)]


def checkin_participation(program: Any, start: date, end: date) -> dict[date, int]:
    """How many family members of ``program`` answered a check-in, per week, for program insights (aggregates only).

    ``program`` is a ``Program`` or its id; ``start`` and ``end`` are dates (inclusive) of the weeks wanted, each
    week named by its Monday (``week_start_for``). A family member counts for the program when they are, or were,
    named on a consent of one of its patients or represent one (``consent.links.program_family_ids``). The answer
    maps each week with at least one check-in to the number of check-ins that week (one per member and week), in
    week order; it never says who answered or what. Scores are never aggregated here: they stay each member's own.
    """
    from consent.links import program_family_ids

    program_id = getattr(program, "pk", program)
    rows = (
        WellbeingCheckIn.objects.filter(
            member_id__in=program_family_ids(program_id), week_start__gte=start, week_start__lte=end
        )
        .values("week_start")
        .annotate(count=Count("pk"))
        .order_by("week_start")
    )
    return {row["week_start"]: row["count"] for row in rows}
