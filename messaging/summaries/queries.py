"""The summaries each person may see, one query each, scoped by the consent gate's answer for the viewer."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from accounts.models import User
from consent import policy
from consent.gate import care_team_patients, visibility
from consent.models import Scope
from messaging.summaries.models import ProgressSummary, SummaryVersion

STAFF_LIST_LIMIT = 100


def _loaded(summaries: QuerySet[ProgressSummary]) -> QuerySet[ProgressSummary]:
    return summaries.select_related("patient", "current_version", "released_version")


def acted_for_ids(viewer: User) -> frozenset[int]:
    """The patients ``viewer`` reviews summaries for: themself, or those they represent (not a disclosure)."""
    return visibility(viewer).granted(policy.ACTING_AS_PATIENT, None)


def consented_ids(viewer: User) -> frozenset[int]:
    """The patients whose released summaries ``viewer`` may read as family now: consents including
    ``progress_summary`` (the patients they act for are left out: those they see as the patient)."""
    return visibility(viewer).granted((policy.CONSENT,), Scope.PROGRESS_SUMMARY) - acted_for_ids(viewer)


def for_review(patient_ids: frozenset[int]) -> QuerySet[ProgressSummary]:
    """Summaries of ``patient_ids`` the patient side sees: every one whose current version left the draft."""
    return _loaded(
        ProgressSummary.objects.filter(patient_id__in=patient_ids).exclude(
            current_version__state=SummaryVersion.State.DRAFT
        )
    ).order_by("-created_at")


def released_for_family(patient_ids: frozenset[int]) -> QuerySet[ProgressSummary]:
    """Released summaries of ``patient_ids``, newest release first (the family's list)."""
    return _loaded(ProgressSummary.objects.filter(patient_id__in=patient_ids, released_version__isnull=False)).order_by(
        "patient__full_name", "patient_id", "-released_at"
    )


def for_care_team(viewer: User) -> QuerySet[ProgressSummary]:
    """The latest summaries of the viewer's care-team patients (staff's overview)."""
    return _loaded(ProgressSummary.objects.filter(patient__in=care_team_patients(viewer))).order_by("-created_at")[
        :STAFF_LIST_LIMIT
    ]


def of_patient(patient: User) -> QuerySet[ProgressSummary]:
    return _loaded(ProgressSummary.objects.filter(patient=patient)).order_by("-created_at")


def find(summary_id: uuid.UUID | str) -> ProgressSummary | None:
    return (
        ProgressSummary.objects.select_related("patient__program", "current_version", "released_version")
        .filter(pk=summary_id)
        .first()
    )
