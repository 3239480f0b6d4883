"""The bridge to ``notifications``: plan and cancel a session's reminders inside the caller's transaction (JOB-01).

Reminder rows are the durable intent, written in the same transaction as the session change; the worker asks
``scheduling.checks.session_reminder_still_due`` again at send time (JOB-05).

A series is planned on a rolling horizon: an occurrence gets its reminders once it starts within
``REMINDER_HORIZON`` (``SessionSeries.reminders_planned_until`` marks how far planning has gone), and
``extend_series_reminders``, run by the notifications worker on every pass, moves that mark forward. Planning is
idempotent (the outbox keys name the session, recipient, offset, start and revision), so planning twice never
queues a reminder twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef

from scheduling.models import FamilySession, SessionSeries

REMINDER_HORIZON = timedelta(days=14)  # longer than any reminder offset a program sets (a day or two before)
HORIZON_STEP = timedelta(hours=1)  # a series is looked at again once its mark is this far behind the horizon
SERIES_PER_PASS = 50


def within_planning_horizon(session: FamilySession) -> bool:
    """A one-off session is always planned; an occurrence of a series only once the horizon has reached it."""
    if session.series_id is None:
        return True
    return session.starts_at <= session.series.reminders_planned_until  # type: ignore[union-attr]


def plan_session_reminders(session: FamilySession, recipients: list[Any] | None = None) -> list[Any]:
    """Plan reminders for a scheduled, future session: every participant who may still come, or ``recipients``."""
    from notifications.services import plan_reminders

    if not session.is_scheduled or not within_planning_horizon(session):
        return []
    if recipients is None:
        recipients = [p.user for p in session.participants.expecting_reminders().select_related("user")]
    if not recipients:
        return []
    return plan_reminders(
        subject=session.subject,
        recipients=recipients,
        starts_at=session.starts_at,
        program=session.program,
        patient=session.patient,
        link_path=session.get_absolute_url(),
        revision=session.sequence,
    )


def cancel_session_reminders(session: FamilySession) -> int:
    """Cancel every pending reminder of the session (old time, or the session is off)."""
    from notifications.services import cancel_reminders

    return cancel_reminders(subject=session.subject)


def extend_series_reminders(now: datetime) -> int:
    """Move each series' planning mark to ``now + REMINDER_HORIZON`` and plan the occurrences it passes, one
    series per transaction (the series row locked, so two workers never plan one stretch twice). A series is
    looked at again only when its mark is an ``HORIZON_STEP`` behind, and only while it has scheduled
    occurrences beyond its mark. Returns how many occurrences were planned."""
    target = now + REMINDER_HORIZON
    pending = FamilySession.objects.filter(
        series=OuterRef("pk"), status=FamilySession.Status.SCHEDULED, starts_at__gt=OuterRef("reminders_planned_until")
    )
    due = list(
        SessionSeries.objects.filter(reminders_planned_until__lt=target - HORIZON_STEP)
        .filter(Exists(pending))
        .order_by("reminders_planned_until")
        .values_list("pk", flat=True)[:SERIES_PER_PASS]
    )
    planned = 0
    for series_id in due:
        with transaction.atomic():
            series = SessionSeries.objects.select_for_update().get(pk=series_id)
            if series.reminders_planned_until >= target - HORIZON_STEP:
                continue
            occurrences = list(
                series.occurrences.scheduled()
                .filter(starts_at__gt=series.reminders_planned_until, starts_at__lte=target)
                .select_related("program", "patient")
            )
            series.reminders_planned_until = target
            series.save(update_fields=["reminders_planned_until"])
            for occurrence in occurrences:
                occurrence.series = series
                plan_session_reminders(occurrence)
                planned += 1
    return planned


def run_series_reminders(now: datetime) -> None:
    """The worker's periodic entry point (``notifications.periodic``)."""
    extend_series_reminders(now)
