"""Sending threads that outlive a batch (R2): the worker hands claimed rows to ``SenderPool`` and claims the next
batch while the last rows of this one are still being sent, so a slow provider API never leaves threads idle at a
batch boundary, and no thread, database connection or Twilio client is set up per batch.

Leases, fencing and the shared rate limiter are per row, so the pool changes no guarantee: a row is processed by
exactly one thread, rows not yet started go back (``release``) on stop, and a database error stops the pool from
starting rows and is raised in the worker's own thread (the rows not started stay leased until their lease ends).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

from django.db import DatabaseError, connection

from notifications.worker.claims import Claim

WAIT_STEP_S = 0.1  # how often a waiting worker looks at its stop flag


def release_pooled_connection() -> None:
    """Give this thread's database connection back to psycopg's pool (``PORTAL_DB_POOL``) between pieces of
    database work, so a sender never holds one of the pool's few connections while it waits on the provider.
    Without a pool the connection is kept (a reconnect costs more than it saves); never inside a transaction."""
    if getattr(connection, "pool", None) is not None and not connection.in_atomic_block:
        connection.close()


class SenderPool:
    """``size`` threads (``outbox-sender-N``) taking claims from one queue and calling ``process`` on each."""

    def __init__(self, size: int, process: Callable[[Claim], None], stopping: threading.Event) -> None:
        self.size = size
        self._process = process
        self._stopping = stopping
        self._cond = threading.Condition()
        self._pending: deque[Claim] = deque()
        self._busy = 0
        self._errors: list[DatabaseError] = []
        self._threads: list[threading.Thread] = []
        self._closed = False

    def submit(self, claims: list[Claim]) -> None:
        with self._cond:
            self._pending.extend(claims)
            while len(self._threads) < min(self.size, len(self._pending) + self._busy):
                thread = threading.Thread(target=self._run, name=f"outbox-sender-{len(self._threads)}", daemon=True)
                self._threads.append(thread)
                thread.start()
            self._cond.notify_all()

    def wait_for_room(self) -> None:
        """Return once fewer rows wait than there are threads (time to claim the next batch), or on stop."""
        self._wait(lambda: len(self._pending) < self.size)

    def drain(self) -> None:
        """Return once every handed-over row is finished (or, on stop, every started one)."""
        self._wait(lambda: not self._busy and (not self._pending or self._stopping.is_set()))

    def shutdown(self) -> list[Claim]:
        """Stop the threads after their current row; return the rows never started (the caller releases them)."""
        with self._cond:
            self._closed = True
            left = list(self._pending)
            self._pending.clear()
            self._cond.notify_all()
        for thread in self._threads:
            thread.join()
        return left

    def _wait(self, done: Callable[[], bool]) -> None:
        with self._cond:
            while not self._errors and not done():
                if self._stopping.is_set() and not self._busy:
                    return
                self._cond.wait(WAIT_STEP_S)
            if self._errors:
                error = self._errors[0]
                self._errors.clear()
                raise error

    def _next(self) -> Claim | None:
        with self._cond:
            while not self._closed and (not self._pending or self._errors or self._stopping.is_set()):
                self._cond.wait(WAIT_STEP_S)
            if self._closed:
                return None
            self._busy += 1
            return self._pending.popleft()

    def _run(self) -> None:
        try:
            while (claim := self._next()) is not None:
                try:
                    self._process(claim)
                except DatabaseError as exc:
                    connection.close()  # the next row reconnects
                    with self._cond:
                        self._errors.append(exc)
                        self._pending.clear()  # not started: they stay leased until the lease ends (JOB-06)
                finally:
                    release_pooled_connection()
                    with self._cond:
                        self._busy -= 1
                        self._cond.notify_all()
        finally:
            connection.close()
