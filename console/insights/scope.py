"""Whose families an insights page counts, and over which days.

A program admin sees the whole program: the patients the gate lets them handle as staff (``PROGRAM`` grant).
A counselor sees their own caseload only: the patients the gate lets them handle *and* assigned to them now
(break-glass access does not widen a counselor's insights). "Families" are the family members named on an
approved consent of one of those patients; nothing here is shown per person, only counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import DateField, DateTimeField, F, QuerySet

from accounts.models import User
from consent.caseloads import caseload_patient_ids_at
from consent.gate import care_team_patients, visibility
from consent.links import approved_family_ids
from consent.models import Scope
from console.insights.compiled import AmongIds, Slot

ACTIVE_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class InsightsScope:
    """The viewer, their patients (read once through the gate) and the date range, as program-local days.

    ``gate_ids`` is the gate's answer as ids where it lists them (a counselor's patients); ``None`` for a program
    admin, whose patients the gate answers as a subquery. The chart queries read this scope's values
    (``patient_ids``, ``start_at``…) and, for a caseload, the same values as slots (``SlotScope``)."""

    viewer: User
    program_id: int
    tz: ZoneInfo
    gate_ids: frozenset[int] | None
    start: date
    end: date
    now: datetime
    whole_program: bool
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)  # what one page reads once

    @cached_property
    def patient_ids(self) -> QuerySet[Any]:
        """The scope's patients, a subquery of ids each chart's aggregate carries (no query of its own)."""
        if self.gate_ids is None:
            patients = care_team_patients(self.viewer)
            if not self.whole_program:
                patients = patients.filter(pk__in=caseload_patient_ids_at(self.viewer.pk, self.now))
            return patients.order_by().values("pk")
        if self.whole_program:
            return _patients(self.gate_ids)
        return caseload_patients(self.gate_ids, self.viewer.pk, self.now)

    @property
    def compilable(self) -> bool:
        """True when the charts' SQL compiled for ``SlotScope`` fits this scope: a caseload the gate listed."""
        return self.gate_ids is not None and not self.whole_program

    def slot_values(self) -> dict[str, Any]:
        """The value of each of ``SlotScope``'s slots for this scope."""
        return {
            "patients": sorted(self.gate_ids or ()),
            "viewer": self.viewer.pk,
            "now": self.now,
            "program": self.program_id,
            "start_at": self.start_at,
            "end_at": self.end_at,
            "active_since": self.active_since,
            "active_until": self.active_until,
            "attended_until": self.attended_until,
            "first_monday": self.first_monday,
            "end": self.end,
        }

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

    @property
    def attended_until(self) -> datetime:
        """Sessions count for attendance once started: before the range's end and before now."""
        return min(self.end_at, self.now)

    @property
    def first_monday(self) -> date:
        """The Monday of the range's first week."""
        return self.start - timedelta(days=self.start.weekday())

    def family_member_ids(self, *, education_only: bool = False) -> QuerySet[Any]:
        """The ids (a subquery) of the family members named on an approved consent of one of the scope's patients;
        ``education_only`` keeps those whose consent includes education, the same condition under which a counselor
        may see a family member's progress."""
        return approved_family_ids(self.patient_ids, education_only=education_only)


class SlotScope:
    """A counselor's caseload scope with slots for values (``console.insights.compiled``): what a chart's query is
    compiled from once. It has the attributes of ``InsightsScope`` that chart queries read, and nothing else."""

    whole_program = False

    def __init__(self, tz: ZoneInfo) -> None:
        instant, day = DateTimeField(), DateField()
        self.tz = tz
        self.patient_ids = caseload_patients(Slot("patients"), Slot("viewer"), Slot("now", instant))
        self.program_id: Any = Slot("program")  # (slots stand in for values of the scope's types)
        self.start_at: Any = Slot("start_at", instant)
        self.end_at: Any = Slot("end_at", instant)
        self.active_since: Any = Slot("active_since", instant)
        self.active_until: Any = Slot("active_until", instant)
        self.attended_until: Any = Slot("attended_until", instant)
        self.first_monday: Any = Slot("first_monday", day)
        self.end: Any = Slot("end", day)

    def family_member_ids(self, *, education_only: bool = False) -> QuerySet[Any]:
        return approved_family_ids(self.patient_ids, education_only=education_only)


ChartScope = InsightsScope | SlotScope  # what a chart's query reads its values from


def gate_patient_ids(viewer: User) -> frozenset[int] | None:
    """``care_team_patients(viewer)`` as the gate lists it (inside a request, from its one remembered answer), or
    ``None`` when the gate answers with a subquery (a program admin's whole program)."""
    if not viewer.is_active or not viewer.is_care_staff:
        return frozenset()
    return visibility(viewer).patient_ids(Scope.EDUCATION)


def caseload_patients(ids: Any, counselor_id: Any, at: Any) -> QuerySet[Any]:
    """The ids (a subquery) of the patients among ``ids`` (the gate's) assigned to the counselor at ``at`` (break-
    glass access does not widen a counselor's insights). Values or ``Slot``s."""
    return _patients(ids).filter(pk__in=caseload_patient_ids_at(counselor_id, at))


def _patients(ids: Any) -> QuerySet[Any]:
    return User.objects.filter(AmongIds(F("pk"), ids), role=User.Role.PATIENT).order_by().values("pk")
