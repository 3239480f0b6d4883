"""Which users have a socket open, across every process (a table, not process memory, so Redis scale-out works).

A consumer adds its row on connect, refreshes ``last_seen_at`` every ``HEARTBEAT_S`` and deletes it on disconnect;
a crashed process leaves rows that go stale after ``STALE_AFTER`` and are purged by the offline-notice scan.

The connect's insert and the disconnect's delete run SQL written once from the model's table and columns, with
each value prepared by its field as the ORM prepares it: a connect storm paid ~0.13 ms of CPU a socket for the
ORM's model instance, save machinery and compiling of the same INSERT every time (issue #17, W6).
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Exists
from django.utils import timezone

from messaging.models import SocketConnection

HEARTBEAT_S = 60
STALE_AFTER = timedelta(seconds=3 * HEARTBEAT_S)


_OPENED = ("channel_name", "user", "conversation", "opened_at", "last_seen_at")


def open_socket(*, channel_name: str, user_id: int, conversation_id: Any) -> None:
    """One insert: every consumer instance has a channel name of its own."""
    now = timezone.now()
    values = (channel_name, user_id, conversation_id, now, now)
    with connection.cursor() as cursor:
        cursor.execute(
            _statement("INSERT INTO {table} ({columns}) VALUES ({values})", _OPENED),
            [field.get_db_prep_save(value, connection) for field, value in zip(_fields(_OPENED), values, strict=True)],
        )


def touch_socket(*, channel_name: str) -> None:
    SocketConnection.objects.filter(channel_name=channel_name).update(last_seen_at=timezone.now())


def close_socket(*, channel_name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_statement("DELETE FROM {table} WHERE {columns} = %s", ("channel_name",)), [channel_name])


@functools.cache
def _statement(template: str, names: tuple[str, ...]) -> str:
    """``template`` with the presence table's quoted name and the quoted columns of the fields ``names`` (and as
    many ``%s`` placeholders for ``{values}``), once per process (one database engine per process)."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in _fields(names))
    return template.format(
        table=quote(SocketConnection._meta.db_table), columns=columns, values=", ".join(["%s"] * len(names))
    )


def _fields(names: tuple[str, ...]) -> list[Any]:
    return [SocketConnection._meta.get_field(name) for name in names]


def online_exists(user_ref: Any, now: datetime) -> Exists:
    """``Exists`` expression: the user (an ``OuterRef``) has a fresh socket."""
    return Exists(SocketConnection.objects.filter(user=user_ref, last_seen_at__gte=now - STALE_AFTER))


def purge_stale(now: datetime) -> int:
    deleted, _ = SocketConnection.objects.filter(last_seen_at__lt=now - STALE_AFTER).delete()
    return deleted
