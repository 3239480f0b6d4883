"""Family-session attendance by week: what staff recorded for family members at sessions that have started."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from console.insights.compiled import chart_query
from console.insights.registry import register
from console.insights.scope import ChartScope, InsightsScope
from console.insights.tables import CountTable, Rate
from scheduling.models import FamilySession, Participant

ATTENDED = (Participant.Attendance.ATTENDED, Participant.Attendance.LATE)


def week_of(day: date) -> date:
    """The Monday starting ``day``'s week."""
    return day - timedelta(days=day.weekday())


def week_label(monday: date) -> str:
    """ "Week of <month day>" in the active language (a row of the weekly charts)."""
    return _week_label(monday, get_language())


@lru_cache(maxsize=512)
def _week_label(monday: date, language: str | None) -> str:  # a date's words, nothing about anyone: kept
    return _("Week of %(day)s") % {"day": date_format(monday, "MONTH_DAY_FORMAT")}


@chart_query
def attendance_per_day(scope: ChartScope) -> QuerySet[Any]:
    """Per program-local day of the range: family members recorded as attended (late included), missed and
    excused at sessions that were not cancelled and have started."""
    participants = Participant.objects.filter(
        role=Participant.Role.FAMILY,
        removed_at__isnull=True,
        session__program_id=scope.program_id,
        session__starts_at__gte=scope.start_at,
        session__starts_at__lt=scope.attended_until,
    ).exclude(session__status=FamilySession.Status.CANCELLED)
    if not scope.whole_program:
        participants = participants.filter(
            Q(session__patient_id__in=scope.patient_ids) | Q(via_patient_id__in=scope.patient_ids)
        )
    return (
        participants.annotate(day=TruncDate("session__starts_at", tzinfo=scope.tz))
        .values("day")
        .annotate(
            attended=Count("pk", filter=Q(attendance__in=ATTENDED)),
            missed=Count("pk", filter=Q(attendance=Participant.Attendance.ABSENT)),
            excused=Count("pk", filter=Q(attendance=Participant.Attendance.EXCUSED)),
        )
        .order_by("day")
        .values_list("day", "attended", "missed", "excused")
    )


@register("session-attendance", position=30)
def session_attendance(scope: InsightsScope) -> CountTable:
    """Per week (Monday to Sunday, program time) of the range: family members recorded as attended (late
    included), missed and excused at sessions that were not cancelled and have started (``attendance_per_day``);
    the last column is their sum, so the complementary-suppression rule protects it."""
    weeks: dict[date, list[int]] = {}
    monday = week_of(scope.start)
    while monday <= scope.end:
        weeks[monday] = [0, 0, 0]
        monday += timedelta(days=7)
    for day, attended, missed, excused in attendance_per_day.rows(scope):
        day = day.date() if isinstance(day, datetime) else day
        counts = weeks.setdefault(week_of(day), [0, 0, 0])
        counts[0] += attended
        counts[1] += missed
        counts[2] += excused
    return CountTable(
        key="session-attendance",
        title=_("Family-session attendance by week"),
        kind="stacked",
        row_heading=_("Week"),
        columns=[_("Attended"), _("Missed"), _("Excused"), _("All recorded")],
        rows=[(week_label(monday), [*counts, sum(counts)]) for monday, counts in weeks.items()],
        total_column=3,
        rates=[Rate(_("Attendance rate"), numerator=0, denominator=3)],
        explanation=_(
            "Family members at family sessions, groups and education nights each week, as staff recorded "
            "attendance. Late arrivals count as attended; cancelled sessions are left out."
        ),
    )
