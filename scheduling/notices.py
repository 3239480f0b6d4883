"""The bridge to ``notifications`` for session changes: each participant hears of an invitation, a new time, a
cancellation or a place freed for them on the waiting list by email and (if opted in) text, in the transaction of
the change (JOB-01).

Notice rows share the session's subject (``session:<uuid>``) with its reminders, so the same cancellation that
withdraws waiting reminders withdraws waiting notices too; ``scheduling.checks`` drops at send time a notice the
session no longer matches (a newer revision, no longer cancelled, no longer a participant, no longer visible).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from scheduling.models import FamilySession, SessionNotice

KIND_TEMPLATES = {
    SessionNotice.Kind.INVITED: "session_invited",
    SessionNotice.Kind.REQUEST_CONFIRMED: "session_invited",
    SessionNotice.Kind.RESCHEDULED: "session_rescheduled",
    SessionNotice.Kind.CANCELLED: "session_cancelled",
}


def send_session_notices(session: FamilySession, user_ids: Iterable[int], *, kind: str) -> list[Any]:
    """Queue the outbox notice for ``kind`` (an in-portal ``SessionNotice`` kind) to each of ``user_ids``.

    One notice per person, channel and session revision (``session.sequence``). On a move, someone whose
    invitation never left (a text held back by quiet hours, withdrawn by this move) is invited at the new time
    instead of being told of a change they never heard of; a second move sends only the latest time."""
    from accounts.models import User
    from notifications.notices import withdrawn_recipients

    template_key = KIND_TEMPLATES.get(SessionNotice.Kind(kind))
    if template_key is None:
        return []
    people = list(User.objects.filter(pk__in=set(user_ids)).order_by("pk"))
    not_invited_yet: set[tuple[int, str]] = set()
    if template_key == "session_rescheduled":
        not_invited_yet = withdrawn_recipients(subject=session.subject, template_key="session_invited")
    rows: list[Any] = []
    for person in people:
        fresh = {channel for user_id, channel in not_invited_yet if user_id == person.pk}
        if fresh:
            rows += _send(session, person, "session_invited", channels=fresh)
        rows += _send(session, person, template_key, exclude=fresh)
    return rows


PLACE_CONFIRMED_TEMPLATE = "session_place_confirmed"


def send_place_notices(session: FamilySession, promoted: Sequence[tuple[Any, datetime | None]]) -> list[Any]:
    """Tell each promoted person (user, when they joined the waiting list) that a place is now theirs.

    The event names the promotion (the session, the person and when they started waiting), so repeating it queues
    nothing new, while someone who leaves, waits again and is promoted later is told again."""
    rows: list[Any] = []
    for person, waited_since in promoted:
        since = int(waited_since.timestamp() * 1_000_000) if waited_since is not None else 0
        event = f"{session.subject}:{PLACE_CONFIRMED_TEMPLATE}:{person.pk}:{since}"
        rows += _send(session, person, PLACE_CONFIRMED_TEMPLATE, event=event)
    return rows


def _send(
    session: FamilySession,
    person: Any,
    template_key: str,
    *,
    channels: set[str] | None = None,
    exclude: Any = (),
    event: str = "",
) -> list[Any]:
    from notifications.models import OutboxMessage
    from notifications.notices import send_notice

    wanted = set(channels if channels is not None else OutboxMessage.Channel.values) - set(exclude)
    if not wanted:
        return []
    return send_notice(
        recipient=person,
        template_key=template_key,
        event=event or f"{session.subject}:{template_key}:r{session.sequence}",
        link_path=session.get_absolute_url(),
        starts_at=session.starts_at,
        program=session.program,
        patient=session.patient,
        scope="schedule" if session.patient_id else None,
        subject=session.subject,
        extra={"revision": session.sequence},
        channels=wanted,
    )
