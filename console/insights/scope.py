"""Whose families an insights page counts, and over which days.

A program admin sees the whole program: the patients the gate lets them handle as staff (``PROGRAM`` grant).
A counselor sees their own caseload only: the patients the gate lets them handle *and* assigned to them now
(break-glass access does not widen a counselor's insights). "Families" are the family members named on an
approved consent of one of those patients; nothing here is shown per person, only counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from accounts.models import CaseloadAssignment, User
from consent.gate import care_team_patients
from consent.models import Consent

ACTIVE_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class InsightsScope:
    """The viewer, their patients (ids, read once through the gate) and the date range, as program-local days."""

    viewer: User
    program_id: int
    tz: ZoneInfo
    patient_ids: tuple[int, ...]
    start: date
    end: date
    now: datetime
    whole_program: bool

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

    def family_consents(self) -> QuerySet[Consent]:
        """Approved consents naming a family member's account for one of the scope's patients."""
        return Consent.objects.filter(
            patient_id__in=self.patient_ids,
            recipient_kind=Consent.RecipientKind.FAMILY,
            recipient__isnull=False,
            approved_at__isnull=False,
        )

    def family_member_ids(self, *, education_only: bool = False) -> QuerySet[Any]:
        """The ids of those family members (a subquery); ``education_only`` keeps those whose consent includes
        education, the same condition under which a counselor may see a family member's progress."""
        consents = self.family_consents()
        if education_only:
            consents = consents.filter(scope_education=True)
        return consents.values("recipient_id")


def scope_patient_ids(viewer: User, *, whole_program: bool) -> tuple[int, ...]:
    """The patients an insights page counts, asked of the gate (one query): the program's for an admin, the
    counselor's own caseload otherwise."""
    patients = care_team_patients(viewer)
    if not whole_program:
        caseload = CaseloadAssignment.objects.active().filter(counselor=viewer).values("patient_id")
        patients = patients.filter(pk__in=caseload)
    return tuple(patients.order_by().values_list("pk", flat=True))
