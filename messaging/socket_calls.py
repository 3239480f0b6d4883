"""What the conversation socket asks the database: each function is one trip to a worker thread.

Every client frame re-reads the user and the session row, so a deactivation (WS-03) or a session that ended without
any signal (WS-11) is seen, then asks the gate again. ``messaging.consumers`` calls these through
``database_sync_to_async``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import translation

from accounts.models import User
from messaging import services
from messaging.access import (
    SocketGrant,
    authorize_socket,
    can_participate,
    can_participate_now,
    require_live_session,
    require_participant_among,
    withheld_from,
)
from messaging.hours import after_hours_notice
from messaging.models import Conversation, Message
from messaging.presence import open_socket


def fresh_user(user_id: int) -> User:
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise PermissionDenied
    return user


def live_user(session_key: str, user_id: int) -> User:
    """The user, re-read, on a session that still exists: else ``SessionEnded`` (or ``PermissionDenied``)."""
    user = fresh_user(user_id)
    require_live_session(session_key, user)
    return user


def admit(*, scope: dict[str, Any], channel_name: str, max_wait_s: float) -> SocketGrant | None:
    """The handshake in one trip to a worker thread and one commit: the gate's verdict (``authorize_socket``, with
    its ledger row), then the presence row for an admitted socket. (A ``with`` block, not ``@transaction.atomic``:
    mutmut skips decorated functions.)"""
    with transaction.atomic():
        grant = authorize_socket(
            user=scope.get("user"),
            conversation_id=scope["url_route"]["kwargs"]["conversation_id"],
            session=scope.get("session"),
            max_wait_s=max_wait_s,
        )
        if grant is not None:
            open_socket(channel_name=channel_name, user_id=scope["user"].pk, conversation_id=grant.conversation.pk)
        return grant


def check_frame(session_key: str, user_id: int, conversation: Conversation) -> None:
    if not can_participate(live_user(session_key, user_id), conversation):
        raise PermissionDenied


def send_and_describe(
    session_key: str, user_id: int, conversation: Conversation, body: object
) -> tuple[Message, dict[str, Any] | None]:
    """Store a message; a refusal's text and the after-hours notice are in the sender's own language."""
    user = live_user(session_key, user_id)  # before anything is stored
    with translation.override(user.preferred_language):
        message = services.send_message(sender=user, conversation=conversation, body=body)
        notice = None if user.is_care_staff else after_hours_notice(conversation.patient.program, message.created_at)
        return message, notice.as_event() if notice else None


def typing_recipients(session_key: str, user_id: int, conversation: Conversation) -> frozenset[int]:
    return require_participant_among(live_user(session_key, user_id), conversation)


def mark_read(session_key: str, user_id: int, conversation: Conversation, up_to: int) -> None:
    services.mark_read(user=live_user(session_key, user_id), conversation=conversation, up_to=up_to)


def replay(session_key: str, user_id: int, conversation: Conversation, after: int) -> list[dict[str, Any]]:
    user = live_user(session_key, user_id)
    return [m.as_event() for m in services.messages_after(conversation, user, after)]


def verdict_for_unnamed(user_id: int, conversation: Conversation, written_at: str | None) -> bool | None:
    """For a socket whose user the event does not name: ``None`` when their access has ended (close), ``False``
    when they may take part but the message predates their own sharing of a shared thread (MSG-01: skip it),
    ``True`` to deliver."""
    if not can_participate_now(user_id, conversation):
        return None
    if written_at is None:
        return True
    return not withheld_from(conversation, datetime.fromisoformat(written_at), [user_id])
