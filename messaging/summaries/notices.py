"""The neutral notices of progress summaries, through the outbox (``notifications.notices.send_notice``).

Neither says what the update is about or whose it is: "There is an update for you in Family Portal" and its link to
the summaries page (sign-in required). Each carries the patient and the ``progress_summary`` scope, so the worker
asks the gate again at send time: a family member whose consent ended meanwhile gets nothing (JOB-05).
"""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse

from accounts.models import User
from consent import policy
from consent.gate import recipients
from consent.models import Scope
from messaging.summaries.models import SummaryVersion
from notifications.notices import SUMMARY_REVIEW, SUMMARY_UPDATE, send_notice


def tell_reviewers(version: SummaryVersion, now: datetime) -> int:
    """Tell the patient, and anyone acting for them, that a summary waits for their review."""
    patient = version.summary.patient
    reviewers = recipients(patient, Scope.PROGRESS_SUMMARY, now, grants=policy.ACTING_AS_PATIENT)
    return _send(version, reviewers, SUMMARY_REVIEW, "review")


def tell_family(version: SummaryVersion, now: datetime) -> int:
    """Tell every family member whose consent includes progress summaries at ``now`` that there is an update."""
    patient = version.summary.patient
    family = recipients(patient, Scope.PROGRESS_SUMMARY, now, grants=(policy.CONSENT,))
    return _send(version, family, SUMMARY_UPDATE, "released")


def _send(version: SummaryVersion, user_ids: frozenset[int], template_key: str, what: str) -> int:
    patient = version.summary.patient
    queued = 0
    for person in User.objects.filter(pk__in=user_ids, is_active=True).order_by("pk"):
        queued += len(
            send_notice(
                recipient=person,
                template_key=template_key,
                event=f"summary:{version.pk}:{what}",
                link_path=reverse("summaries:index"),
                program=patient.program,
                patient=patient,
                scope=Scope.PROGRESS_SUMMARY,
            )
        )
    return queued
