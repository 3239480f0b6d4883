"""The bridge to ``notifications``: plan and cancel a session's reminders inside the caller's transaction (JOB-01).

Reminder rows are the durable intent, written in the same transaction as the session change; the worker asks
``scheduling.checks.session_reminder_still_due`` again at send time (JOB-05).
"""

from __future__ import annotations

from typing import Any

from scheduling.models import FamilySession


def plan_session_reminders(session: FamilySession, recipients: list[Any] | None = None) -> list[Any]:
    """Plan reminders for a scheduled, future session: every participant who may still come, or ``recipients``."""
    from notifications.services import plan_reminders

    if not session.is_scheduled:
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
