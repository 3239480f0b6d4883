"""Writing, reviewing and releasing progress summaries. Every function runs in one transaction with its notices
(JOB-01) and takes the summary's row lock first, so a review and an edit (or the periodic release) never cross.

The lifecycle of one version: draft → waiting for the patient's review → released (approved, or automatically when
the program's ``summary_review_hours`` end) or changes requested. Editing anything but a draft makes a new version
that waits for review again (its clock starts afresh); an older version waiting for review is superseded. Family
members only ever see ``ProgressSummary.released_version``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from consent.gate import acts_as_patient, is_care_team_for
from messaging.summaries import notices
from messaging.summaries.models import ProgressSummary, SummaryVersion

State = SummaryVersion.State
RELEASE_BATCH = 100


@dataclass(frozen=True)
class SummaryText:
    """What a counselor writes: three plain-language parts and the language they are written in."""

    attendance: str
    working_on: str
    how_to_help: str
    language: str


def write_summary(
    *, author: User, patient: User, text: SummaryText, send: bool, at: datetime | None = None
) -> SummaryVersion:
    """Start a new summary about ``patient`` (its version 1), kept as a draft or sent to the patient for review.

    Only the patient's care team may write one (``PermissionDenied`` otherwise)."""
    now = at or timezone.now()
    if not patient.is_patient or not is_care_team_for(author, patient, now):
        raise PermissionDenied
    with transaction.atomic():
        summary = ProgressSummary.objects.create(patient=patient, created_by=author, created_at=now)
        version = _new_version(summary, 1, author, text, now)
        if send:
            _send_for_review(version, now)
        _point_at(summary, version)
    return version


def revise_summary(
    *, author: User, summary: ProgressSummary, text: SummaryText, send: bool, at: datetime | None = None
) -> SummaryVersion:
    """Change a summary's text: a draft in place, anything else as a new version (which needs review again)."""
    now = at or timezone.now()
    with transaction.atomic():
        summary = _locked(summary)
        if not is_care_team_for(author, summary.patient, now):
            raise PermissionDenied
        current = summary.current_version
        if current is not None and current.is_draft:
            version = current
            _set_text(version, author, text, now)
            version.save()
        else:
            if current is not None and current.awaiting_review:  # a version with changes requested keeps saying so
                current.state = State.SUPERSEDED
                current.save(update_fields=["state"])
            version = _new_version(summary, (current.number if current else 0) + 1, author, text, now)
        if send:
            _send_for_review(version, now)
        _point_at(summary, version)
    return version


def approve(
    *, reviewer: User, summary: ProgressSummary, version_number: int, at: datetime | None = None
) -> SummaryVersion:
    """The patient (or their personal representative) approves the version they read: it is released now."""
    now = at or timezone.now()
    with transaction.atomic():
        version = _version_under_review(reviewer, summary, version_number, now)
        version.reviewed_by, version.reviewed_at = reviewer, now
        _release(version, now, SummaryVersion.Release.APPROVED)
    return version


def request_change(
    *, reviewer: User, summary: ProgressSummary, version_number: int, comment: str, at: datetime | None = None
) -> SummaryVersion:
    """The patient asks for a change, with a comment the counselor sees; nothing is shared and the clock stops."""
    now = at or timezone.now()
    comment = comment.strip()
    if not comment:
        raise ValidationError({"comment": _("Say what you would like changed.")})
    with transaction.atomic():
        version = _version_under_review(reviewer, summary, version_number, now)
        version.state, version.review_comment = State.CHANGES_REQUESTED, comment
        version.reviewed_by, version.reviewed_at, version.review_due_at = reviewer, now, None
        version.save(update_fields=["state", "review_comment", "reviewed_by", "reviewed_at", "review_due_at"])
    return version


def release_due_summaries(now: datetime) -> int:
    """Release every version whose review time has ended unanswered (the notifications worker's periodic pass).
    Returns how many were released."""
    released = 0
    due = SummaryVersion.objects.filter(state=State.AWAITING_REVIEW, review_due_at__lte=now)
    for version_id, summary_id in list(due.order_by("review_due_at").values_list("pk", "summary_id")[:RELEASE_BATCH]):
        with transaction.atomic():
            # The summary's row lock first, as every other change takes it; then the version as it is now.
            summary = _locked(ProgressSummary(pk=summary_id))
            version = summary.current_version
            if version is not None and version.pk == version_id and version.awaiting_review:
                version.summary = summary  # an answer or an edit that got there first leaves nothing to do
                _release(version, now, SummaryVersion.Release.AUTOMATIC)
                released += 1
    return released


def run_summary_release(now: datetime) -> None:
    """The hook registered with ``notifications.periodic``."""
    release_due_summaries(now)


# --- internals -----------------------------------------------------------------------------------------------------


def _locked(summary: ProgressSummary) -> ProgressSummary:
    return (
        ProgressSummary.objects.select_for_update(of=("self",))
        .select_related("patient__program", "current_version")
        .get(pk=summary.pk)
    )


def _version_under_review(
    reviewer: User, summary: ProgressSummary, version_number: int, now: datetime
) -> SummaryVersion:
    """The locked current version, when it is ``version_number`` and still waiting for review; the reviewer must
    act as the patient (``PermissionDenied`` otherwise, a ``ValidationError`` when the page was out of date)."""
    summary = _locked(summary)
    if not acts_as_patient(reviewer, summary.patient, now):
        raise PermissionDenied
    version = summary.current_version
    if version is None or version.number != version_number or not version.awaiting_review:
        raise ValidationError(_("This summary changed since you opened it. Please read it again."))
    version.summary = summary
    return version


def _new_version(
    summary: ProgressSummary, number: int, author: User, text: SummaryText, now: datetime
) -> SummaryVersion:
    version = SummaryVersion(summary=summary, number=number)
    _set_text(version, author, text, now)
    version.save()
    return version


def _set_text(version: SummaryVersion, author: User, text: SummaryText, now: datetime) -> None:
    version.attendance, version.working_on = text.attendance.strip(), text.working_on.strip()
    version.how_to_help, version.language = text.how_to_help.strip(), text.language
    version.written_by, version.written_at = author, now


def _point_at(summary: ProgressSummary, version: SummaryVersion) -> None:
    if summary.current_version_id != version.pk:
        summary.current_version = version
        summary.save(update_fields=["current_version"])


def _send_for_review(version: SummaryVersion, now: datetime) -> None:
    """Start the review clock (the program's ``summary_review_hours``) and tell the patient and their
    representatives, neutrally, that something waits for them."""
    patient = version.summary.patient
    hours = patient.program.summary_review_hours if patient.program else 48
    version.state, version.sent_for_review_at = State.AWAITING_REVIEW, now
    version.review_due_at = now + timedelta(hours=hours)
    version.save(update_fields=["state", "sent_for_review_at", "review_due_at"])
    notices.tell_reviewers(version, now)


def _release(version: SummaryVersion, now: datetime, how: str) -> None:
    """Mark ``version`` released, make it the one families see, and tell the family members whose consent
    includes progress summaries now (the worker asks the gate again before sending)."""
    version.state, version.released_at, version.released_how = State.RELEASED, now, how
    version.save(update_fields=["state", "released_at", "released_how", "reviewed_by", "reviewed_at"])
    summary = version.summary
    summary.released_version, summary.released_at = version, now
    summary.save(update_fields=["released_version", "released_at"])
    notices.tell_family(version, now)
