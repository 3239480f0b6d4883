"""Charts about learning and the families' own wellbeing check-ins, counted for the scope's families only.

Learning gain: for each module, the family members (with an education consent) whose first passing knowledge
check fell in the range and who took the module's pre-check first (``education.learning_gains``). Their points
gained and the points they could have gained are summed; the rate of the two is Hake's class normalised gain ⟨g⟩
(= (mean after − mean before) / (100 − mean before)). A row with fewer than 11 such learners shows nothing.

Check-in participation: per week of the range, how many family members answered their weekly check-in. Only the
count: a check-in's answers are the family member's own and never reach a chart.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from accounts.checkin_models import WellbeingCheckIn
from console.insights.charts.sessions import week_label, week_of
from console.insights.compiled import chart_query
from console.insights.registry import register
from console.insights.scope import ChartScope, InsightsScope
from console.insights.tables import CountTable, Rate
from education.learning_gains import measured_gain_rows, sum_gain_rows
from education.models import Module


@chart_query
def measured_gains(scope: ChartScope) -> QuerySet[Any]:
    """The scope's measured learners' scores (``education.learning_gains.measured_gain_rows``)."""
    modules = Module.objects.for_program(scope.program_id).filter(archived_at__isnull=True)
    learners = scope.family_member_ids(education_only=True)
    return measured_gain_rows(modules, scope.start_at, scope.end_at, learners=learners)


@chart_query
def checkins_per_week(scope: ChartScope) -> QuerySet[Any]:
    """Per week of the range: the scope's family members who answered their weekly check-in."""
    return (
        WellbeingCheckIn.objects.filter(
            member_id__in=scope.family_member_ids(),
            week_start__gte=scope.first_monday,
            week_start__lte=scope.end,
        )
        .values("week_start")
        .annotate(count=Count("pk"))
        .values_list("week_start", "count")
    )


@register("learning-gain", position=25)
def learning_gain(scope: InsightsScope) -> CountTable:
    """Per module: learners measured (pre-check taken, knowledge check first passed in the range), the percentage
    points they gained together, and the points they could have gained; the rate is the normalised gain."""
    rows = [
        (sums.title, [sums.learners, max(sums.gained, 0), sums.possible])
        for sums in sum_gain_rows(measured_gains.rows(scope))
    ]
    return CountTable(
        key="learning-gain",
        title=_("What families learned, by module"),
        kind="horizontal",
        row_heading=_("Module"),
        columns=[_("Learners measured"), _("Points gained"), _("Points there were to gain")],
        rows=rows,
        guard_column=0,
        chart_rates=True,
        rates=[Rate(_("Normalised learning gain"), numerator=1, denominator=2)],
        explanation=_(
            "Family members who took a module's pre-check and then passed its knowledge check in these dates. The "
            "normalised gain is the share of what they did not know before that they knew at the end (100 % means "
            "everything). Modules with fewer than 11 such learners show nothing."
        ),
        empty_text=_("No family member took a pre-check and passed the knowledge check in these dates."),
    )


@register("checkin-participation", position=60)
def checkin_participation(scope: InsightsScope) -> CountTable:
    """Per week (starting Monday) of the range: family members of the scope who answered their weekly check-in."""
    per_week = dict(checkins_per_week.rows(scope))
    rows = []
    monday = week_of(scope.start)
    while monday <= scope.end:
        rows.append((week_label(monday), [per_week.get(monday, 0)]))
        monday += timedelta(days=7)
    return CountTable(
        key="checkin-participation",
        title=_("Weekly check-ins"),
        kind="bar",
        row_heading=_("Week"),
        columns=[_("Family members who checked in")],
        rows=rows,
        explanation=_(
            "How many family members answered their own weekly wellbeing check-in each week. Only the number is "
            "counted here: the answers belong to each family member."
        ),
    )
