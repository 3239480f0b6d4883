"""Live events: the group names and the only code that talks to the channel layer (style 2.3).

Events about stored changes are sent with ``transaction.on_commit`` (``broadcast_on_commit``) so a rolled-back write
never reaches a socket; typing hints are ephemeral and sent at once. The channel layer is at-most-once (WS-08): a
failed broadcast is logged (ids only, never text) and clients catch up by message id.

A socket's own writes run in a worker thread inside ``collected_broadcasts``: their committed events are handed back
and sent from the event loop (``send_collected``), so the thread is not held while Redis answers."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from accounts.models import User
from messaging.access import session_group_suffix

logger = logging.getLogger("messaging.services")
_collecting = threading.local()

Broadcasts = list[tuple[str, dict[str, Any]]]


def group_name(conversation_id: Any) -> str:
    return f"conversation_{conversation_id}"


def user_group(user_id: int) -> str:
    return f"user_{user_id}"


def consent_group(consent_id: Any) -> str:
    return f"consent_{consent_id}"


def session_group(session_key: str) -> str:
    return f"session_{session_group_suffix(session_key)}"


def conversation_event(kind: str, recipients: Iterable[int], **fields: Any) -> dict[str, Any]:
    """A conversation event: ``recipients`` are the user ids the gate allowed when it was made (sockets of anyone
    else check the gate themselves before delivering it)."""
    return {"type": kind, **fields, "recipients": sorted(recipients)}


async def broadcast_typing(*, user: User, conversation_id: Any, recipients: Iterable[int]) -> None:
    """Tell the others in a conversation that ``user`` is typing (ephemeral: nothing is stored); ``recipients``
    come from ``participant_ids`` at the moment the typing frame passed the gate."""
    event = conversation_event("typing.started", recipients, user_id=user.pk, name=user.display_name)
    try:
        await get_channel_layer().group_send(group_name(conversation_id), event)
    except Exception as exc:  # a lost typing hint is harmless
        logger.warning("typing broadcast failed: %s", type(exc).__name__)


def close_user_sockets(*, user_id: int) -> None:
    """After commit, close every socket of a deactivated user with 4403 (WS-04)."""
    broadcast_on_commit(user_group(user_id), {"type": "force.close"})


def close_consent_sockets(*, consent_id: Any) -> None:
    """After commit, close the sockets opened under a consent that has ended (revoked, expired by event)."""
    broadcast_on_commit(consent_group(consent_id), {"type": "force.close"})


def recheck_patient_sockets(*, conversation_ids: Iterable[Any]) -> None:
    """After commit, ask every socket in these conversations to put its access to the gate again now; those
    refused close with 4403 (a deactivated patient reaches no family member or representative)."""
    for conversation_id in conversation_ids:
        broadcast_on_commit(group_name(conversation_id), {"type": "access.recheck"})


def close_signed_out_sockets(*, user_id: int) -> None:
    """After commit, close every socket of a user whose sessions all ended (password changed) with 4401 (WS-11)."""
    broadcast_on_commit(user_group(user_id), {"type": "session.ended"})


def close_session_sockets(*, session_key: str) -> None:
    """After commit, close the sockets of one ended session with 4401 (WS-11)."""
    broadcast_on_commit(session_group(session_key), {"type": "session.ended"})


def broadcast_on_commit(group: str, event: dict[str, Any]) -> None:
    transaction.on_commit(lambda: _broadcast(group, event), robust=True)


@contextmanager
def collected_broadcasts() -> Iterator[Broadcasts]:
    """In this thread, until the block ends, keep each broadcast that a commit releases in the list yielded instead
    of sending it (a rolled-back write still adds nothing). The caller sends them with ``send_collected``."""
    previous = getattr(_collecting, "batch", None)
    batch: Broadcasts = []
    _collecting.batch = batch
    try:
        yield batch
    finally:
        _collecting.batch = previous


async def send_collected(batch: Broadcasts) -> None:
    """Send what ``collected_broadcasts`` kept, in commit order; a failure is only logged, as in ``_broadcast``."""
    for group, event in batch:
        try:
            await get_channel_layer().group_send(group, event)
        except Exception as exc:  # channel layer down: clients replay by id
            logger.warning("live update %s to %s failed: %s", event.get("type"), group, type(exc).__name__)


def _broadcast(group: str, event: dict[str, Any]) -> None:
    """Send to a group; the database already holds the record, so a failure is only logged (no text, no names)."""
    batch = getattr(_collecting, "batch", None)
    if batch is not None:
        batch.append((group, event))
        return
    try:
        async_to_sync(get_channel_layer().group_send)(group, event)
    except Exception as exc:  # channel layer down: clients replay by id
        logger.warning("live update %s to %s failed: %s", event.get("type"), group, type(exc).__name__)
