"""What the conversation socket asks the database: each function is one trip to a worker thread (``off_loop``).

Every client frame re-reads the user and the session row (one query), so a deactivation (WS-03) or a session that
ended without any signal (WS-11) is seen, then asks the gate again. Writes hand their committed broadcasts back
(``services.collected_broadcasts``) for the consumer to send from its event loop, after the commit as before.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import DEFAULT_DB_ALIAS, close_old_connections, transaction
from django.utils import translation

from accounts.models import User
from messaging import services
from messaging.access import (
    SocketGrant,
    authorize_socket,
    can_participate,
    can_participate_now,
    live_session_user,
    require_participant_among,
    withheld_from,
)
from messaging.hours import after_hours_notice
from messaging.models import Conversation, Message
from messaging.presence import open_socket
from messaging.socket_auth import HandshakeSession


@functools.cache
def off_loop(function: Callable[..., Any]) -> Callable[..., Any]:
    """``database_sync_to_async`` for the socket's calls. On PostgreSQL any worker thread of the loop's pool takes
    a call, so one socket's round trips no longer queue behind every other socket's in a single thread: each call
    is self-contained (its own transaction, nothing left in the thread for the next), the pool bounds the
    connections, and writes to one conversation still serialise on its row lock. SQLite allows one writer, so
    there every call keeps to the one thread-sensitive thread. The connection goes back to the pool inside the
    call's own context (channels' clean-up runs in the worker thread's context, which does not hold it).

    The engine is read from the settings, not ``connection.vendor``: on the event loop ``connection`` is per async
    context, so asking it built a database wrapper (about 3 KB) for every socket (issue #17, W5). One wrapper per
    function, made on its first call and reused (a call builds none: ~0.02–0.05 ms of CPU each, issue #17, W6)."""
    if settings.DATABASES[DEFAULT_DB_ALIAS]["ENGINE"] == "django.db.backends.sqlite3":
        return database_sync_to_async(function)

    @functools.wraps(function)
    def returning_connection(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        finally:
            close_old_connections()

    return database_sync_to_async(returning_connection, thread_sensitive=False)


def live_user(session_key: str, user_id: int) -> User:
    """The user, re-read, on a session that still exists: else ``SessionEnded`` (or ``PermissionDenied``)."""
    return live_session_user(session_key, user_id)


def admit(*, scope: dict[str, Any], channel_name: str, max_wait_s: float) -> SocketGrant | None:
    """The whole handshake in one trip to a worker thread, one pooled connection and one commit: the sign-in
    (``HandshakeSession.sign_in``: the session's row and the user, when the portal's middleware left them unread),
    the gate's verdict (``authorize_socket``, with its ledger row), then the presence row for an admitted socket.
    (A ``with`` block, not ``@transaction.atomic``: mutmut skips decorated functions.)"""
    session = scope.get("session")
    with transaction.atomic():
        user: Any = session.sign_in() if isinstance(session, HandshakeSession) else scope.get("user")
        grant = authorize_socket(
            user=user,
            conversation_id=scope["url_route"]["kwargs"]["conversation_id"],
            session=session,
            max_wait_s=max_wait_s,
            session_data=getattr(session, "row_data", None),  # the row sign_in read
        )
        if grant is not None:
            open_socket(channel_name=channel_name, user_id=user.pk, conversation_id=grant.conversation.pk)
        return grant


def check_frame(session_key: str, user_id: int, conversation: Conversation) -> None:
    if not can_participate(live_user(session_key, user_id), conversation):
        raise PermissionDenied


def send_and_describe(
    session_key: str, user_id: int, conversation: Conversation, body: object
) -> tuple[Message, dict[str, Any] | None, services.Broadcasts]:
    """Store the message (``services.send_message``); the after-hours notice for a family sender; the committed
    broadcasts, for the consumer to send. A refusal's text and the notice are in the sender's own language."""
    with services.collected_broadcasts() as broadcasts:
        user = live_user(session_key, user_id)  # before anything is stored
        with translation.override(user.preferred_language):
            message = services.send_message(sender=user, conversation=conversation, body=body)
    with translation.override(user.preferred_language):
        notice = None if user.is_care_staff else after_hours_notice(conversation.patient.program, message.created_at)
        return message, notice.as_event() if notice else None, broadcasts


def typing_recipients(session_key: str, user_id: int, conversation: Conversation) -> frozenset[int]:
    return require_participant_among(live_user(session_key, user_id), conversation)


def mark_read(session_key: str, user_id: int, conversation: Conversation, up_to: int) -> services.Broadcasts:
    with services.collected_broadcasts() as broadcasts:
        services.mark_read(user=live_user(session_key, user_id), conversation=conversation, up_to=up_to)
    return broadcasts


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
