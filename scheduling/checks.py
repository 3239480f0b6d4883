"""The send-time checks the notifications worker asks before a session reminder or notice goes out (JOB-05)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.utils import timezone

from scheduling.models import FamilySession, Participant


def session_reminder_still_due(row: Any) -> bool:
    """True only while the session is scheduled, still starts at the time the reminder was planned for, has
    not begun, the recipient is still a participant who has not declined, and may still see the session."""
    try:
        session_id = uuid.UUID(row.subject.split(":", 1)[1])
        planned_start = datetime.fromisoformat(str(row.context.get("starts_at", "")))
    except (IndexError, ValueError):
        return False
    session = FamilySession.objects.filter(pk=session_id).first()
    if session is None or not session.is_scheduled or session.starts_at != planned_start:
        return False
    if session.starts_at <= timezone.now():
        return False
    participant = Participant.objects.filter(session=session, user_id=row.recipient_id).first()
    if participant is None or not participant.expects_reminders:
        return False
    return FamilySession.objects.visible_to(row.recipient).filter(pk=session.pk).exists()


def session_notice_still_current(row: Any) -> bool:
    """True only while a notice still tells the truth: an invitation or a new time is of the session's current
    revision and the session is still on; a cancellation is of a session still cancelled; a place freed from the
    waiting list is still theirs (going). The recipient must still be a participant who may see the session (the
    gate, through ``visible_to``)."""
    try:
        session_id = uuid.UUID(row.subject.split(":", 1)[1])
        revision = int(row.context.get("revision", -1))
    except (IndexError, TypeError, ValueError):
        return False
    session = FamilySession.objects.filter(pk=session_id).first()
    if session is None:
        return False
    if row.template_key == "session_cancelled":
        if session.status != FamilySession.Status.CANCELLED:
            return False
    elif not session.is_scheduled or session.sequence != revision:
        return False
    participants = Participant.objects.current().filter(session=session, user_id=row.recipient_id)
    if row.template_key == "session_place_confirmed":  # the place must still be theirs
        participants = participants.filter(rsvp=Participant.Rsvp.ACCEPTED)
    if not participants.exists():
        return False
    return FamilySession.objects.visible_to(row.recipient).filter(pk=session.pk).exists()


def session_message_still_due(row: Any) -> bool:
    """The check registered for ``session:`` subjects: reminders and notices each have their own rule."""
    if row.template_key == "session_reminder":
        return session_reminder_still_due(row)
    return session_notice_still_current(row)
