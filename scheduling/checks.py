"""The send-time check the notifications worker asks before a session reminder goes out (JOB-05)."""

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
