"""Shared steps of the progress summary tests."""

from __future__ import annotations

from accounts.models import User
from messaging.summaries.models import ProgressSummary, SummaryVersion
from messaging.summaries.services import SummaryText, approve, write_summary

TEXT = SummaryText(
    attendance="Came to every group this month.",
    working_on="Keeping a steady sleep time.",
    how_to_help="Ask how the week went. Listen first.",
    language="en",
)


def text(**changes: str) -> SummaryText:
    return SummaryText(**{**TEXT.__dict__, **changes})


def released_summary(counselor: User, patient: User, **changes: str) -> ProgressSummary:
    """A summary written by ``counselor``, sent for review and approved by ``patient``."""
    version = write_summary(author=counselor, patient=patient, text=text(**changes), send=True)
    approve(reviewer=patient, summary=version.summary, version_number=version.number)
    return ProgressSummary.objects.get(pk=version.summary_id)


def version_of(summary: ProgressSummary, number: int) -> SummaryVersion:
    return summary.versions.get(number=number)
