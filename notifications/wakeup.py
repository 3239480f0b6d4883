"""Wake idle outbox workers as soon as a message is due (R4): ``LISTEN``/``NOTIFY`` on PostgreSQL, polling elsewhere.

``enqueue_message`` calls ``notify_workers()`` in the caller's transaction for a row that is due now; PostgreSQL
delivers the notification only when that transaction commits (and drops it on rollback), so a woken worker always
finds the row. An idle worker waits in ``Wakeup.wait``: on PostgreSQL it listens on its own autocommit connection
and returns at the first notification or after the poll interval (``PORTAL_OUTBOX_POLL_S``, still the fallback: a
notification lost to a dropped connection costs at most one interval). Rows due later (reminders planned days
ahead) send no notification; the poll finds them. On SQLite there is no cross-process signal: the poll alone.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.db import connection

logger = logging.getLogger(__name__)

CHANNEL = "notifications_outbox"
STOP_CHECK_S = 0.5  # a listening worker notices a stop request (SIGTERM) within this long


def notify_workers() -> None:
    """Tell listening workers that a message is due. On PostgreSQL it is sent at commit; elsewhere a no-op."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, '')", [CHANNEL])


class Wakeup:
    """The worker's idle wait. ``listening`` is set while a ``LISTEN`` connection is open (PostgreSQL only)."""

    def __init__(self) -> None:
        self.listening = threading.Event()
        self._conn: Any = None
        self._warned = False  # one warning per outage, not one per idle wait

    def wait(self, timeout: float, stopping: threading.Event) -> None:
        """Return after ``timeout`` seconds, at the first notification, or soon after ``stopping`` is set."""
        conn = self.listen()
        if conn is None:
            stopping.wait(timeout)
            return
        deadline = time.monotonic() + timeout
        try:
            while not stopping.is_set() and (left := deadline - time.monotonic()) > 0:
                if list(conn.notifies(timeout=min(left, STOP_CHECK_S), stop_after=1)):
                    list(conn.notifies(timeout=0))  # drain: the next pass serves every pending notification
                    return
        except Exception:
            self._warn("listening connection failed")
            self.close()
            stopping.wait(max(0.0, deadline - time.monotonic()))

    def close(self) -> None:
        self.listening.clear()
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:
                logger.debug("outbox wakeup: close failed", exc_info=True)

    def listen(self) -> Any:
        """Open the listening connection if there is none (PostgreSQL; None elsewhere or when it fails). Call it
        before a worker's first pass, so nothing committed between that pass and the first wait is missed."""
        if self._conn is not None or connection.vendor != "postgresql":
            return self._conn
        try:
            import psycopg

            params = connection.get_connection_params()
            self._conn = psycopg.connect(**params, autocommit=True)
            self._conn.execute(f"LISTEN {CHANNEL}")
        except Exception:
            self._warn("cannot listen")
            self.close()
            return None
        self._warned = False
        self.listening.set()
        return self._conn

    def _warn(self, what: str) -> None:
        if not self._warned:
            logger.warning("outbox wakeup: %s, polling every interval until it recovers", what, exc_info=True)
            self._warned = True
