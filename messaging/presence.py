"""Which users have a socket open, across every process (a table, not process memory, so Redis scale-out works).

A consumer adds its row on connect, refreshes ``last_seen_at`` every ``HEARTBEAT_S`` and deletes it on disconnect;
a crashed process leaves rows that go stale after ``STALE_AFTER`` and are purged by the offline-notice scan.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Exists
from django.utils import timezone

from messaging.models import SocketConnection

HEARTBEAT_S = 60
STALE_AFTER = timedelta(seconds=3 * HEARTBEAT_S)


def open_socket(*, channel_name: str, user_id: int, conversation_id: Any) -> None:
    """One insert: every consumer instance has a channel name of its own."""
    now = timezone.now()
    SocketConnection.objects.create(
        channel_name=channel_name, user_id=user_id, conversation_id=conversation_id, opened_at=now, last_seen_at=now
    )


def touch_socket(*, channel_name: str) -> None:
    SocketConnection.objects.filter(channel_name=channel_name).update(last_seen_at=timezone.now())


def close_socket(*, channel_name: str) -> None:
    SocketConnection.objects.filter(channel_name=channel_name).delete()


def online_exists(user_ref: Any, now: datetime) -> Exists:
    """``Exists`` expression: the user (an ``OuterRef``) has a fresh socket."""
    return Exists(SocketConnection.objects.filter(user=user_ref, last_seen_at__gte=now - STALE_AFTER))


def purge_stale(now: datetime) -> int:
    deleted, _ = SocketConnection.objects.filter(last_seen_at__lt=now - STALE_AFTER).delete()
    return deleted
