"""Whose families an insights page counts, and over which days.

A program admin sees the whole program: the patients the gate lets them handle as staff (``PROGRAM`` grant).
A counselor sees their own caseload only: the patients the gate lets them handle *and* assigned to them now
(break-glass access does not widen a counselor's insights). "Families" are the family members named on an
approved consent of one of those patients; nothing here is shown per person, only counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from accounts.models import User
from consent.caseloads import caseload_patient_ids
from consent.gate import care_team_patients
from consent.links import approved_family_ids

ACTIVE_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class InsightsScope:
    """The viewer, their patients (ids, read once through the gate) and the date range, as program-local days."""

    viewer: User
    program_id: int
    tz: ZoneInfo
    patient_ids: QuerySet[Any]  # a subquery of ids (the gate's answer is read once, inside care_team_patients)
    start: date
    end: date
    now: datetime
    whole_program: bool
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)  # what one page reads once

    @property
    def start_at(self) -> datetime:
        """The first instant of ``start`` in the program's time zone."""
        return datetime.combine(self.start, time.min, tzinfo=self.tz)

    @property
    def end_at(self) -> datetime:
        """The first instant after ``end`` (the range is ``start_at`` ≤ t < ``end_at``)."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=self.tz)

    @property
    def active_until(self) -> datetime:
        """The end of the "active in the last 30 days" window: the range's end, or now if that is earlier."""
        return min(self.end_at, self.now)

    @property
    def active_since(self) -> datetime:
        return self.active_until - ACTIVE_WINDOW

    def family_member_ids(self, *, education_only: bool = False) -> QuerySet[Any]:
        """The ids (a subquery) of the family members named on an approved consent of one of the scope's patients;
        ``education_only`` keeps those whose consent includes education, the same condition under which a counselor
        may see a family member's progress."""
        return approved_family_ids(self.patient_ids, education_only=education_only)


def scope_patient_ids(viewer: User, *, whole_program: bool) -> QuerySet[Any]:
    """The patients an insights page counts, asked of the gate (its one query): the program's for an admin, the
    counselor's own caseload otherwise. A subquery of ids, so each chart's aggregate carries it (no query here)."""
    patients = care_team_patients(viewer)
    if not whole_program:
        patients = patients.filter(pk__in=caseload_patient_ids(viewer))
    return patients.order_by().values("pk")
