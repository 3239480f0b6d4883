"""Telling participants of a change: a portal notice (``SessionNotice``) and an email or text through the outbox
(``scheduling.notices``), and marking notices read.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.utils import timezone

from accounts.models import User
from scheduling.models import FamilySession, Participant, SessionNotice, SessionRequest
from scheduling.notices import send_session_notices


def notify(
    participants: Iterable[Participant],
    *,
    session: FamilySession,
    kind: str,
    request: SessionRequest | None = None,
    previous_starts_at: datetime | None = None,
) -> list[Any]:
    """Tell participants of a change in the portal (``SessionNotice``) and by email or text (the outbox); returns
    the outbox rows queued."""
    participants = list(participants)
    SessionNotice.objects.bulk_create(
        [
            SessionNotice(
                recipient_id=p.user_id,
                session=session,
                request=request,
                kind=kind,
                previous_starts_at=previous_starts_at,
            )
            for p in participants
        ]
    )
    return send_session_notices(session, [p.user_id for p in participants], kind=kind)


def mark_notices_read(*, user: User) -> int:
    """The family member has seen their notices."""
    return SessionNotice.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())
