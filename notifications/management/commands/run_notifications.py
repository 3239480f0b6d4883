"""``manage.py run_notifications [--once]``: the outbox worker (long-running, or one drain for tests and cron)."""

from __future__ import annotations

import logging
import signal
from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection

from notifications.worker import Worker

logger = logging.getLogger("notifications.worker")

POSTGRES_SENDERS = 8
"""Sending threads by default on PostgreSQL (R2): a text spends ~100 ms waiting on the provider's API and a few ms on
the database, so 8 threads keep ≥ 50 texts/s in flight; the shared rate limiter, not the thread count, sets the pace
at a number's real MPS. Each thread holds a database connection only while it queries (with ``PORTAL_DB_POOL``)."""


class Command(BaseCommand):
    help = "Send due texts and emails from the outbox. SIGTERM/SIGINT finish the current message and exit."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="Drain what is due now, then exit.")
        parser.add_argument("--batch", type=int, default=10, help="Rows claimed per pass (default 10).")
        parser.add_argument("--worker-id", default=None, help="Name for the lease owner and heartbeat.")
        parser.add_argument(
            "--senders",
            type=int,
            default=None,
            help=f"Sending threads per worker (default {POSTGRES_SENDERS} on PostgreSQL; 1 on SQLite, one writer).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        senders = options["senders"]
        if senders is None:
            senders = POSTGRES_SENDERS if connection.vendor == "postgresql" else 1
        worker = Worker(worker_id=options["worker_id"], batch_size=max(1, options["batch"]), senders=max(1, senders))

        def _stop(signum: int, frame: Any) -> None:
            logger.info("worker %s: signal %s, finishing the current message", worker.worker_id, signum)
            worker.request_stop()

        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            for sig in previous:
                signal.signal(sig, _stop)
        except ValueError:
            previous = {}  # not the main thread (call_command from a thread in tests)
        try:
            logger.info("worker %s started", worker.worker_id)
            worker.run(once=options["once"])
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            logger.info("worker %s stopped after %d messages", worker.worker_id, worker.processed)
            close_pool()


def close_pool() -> None:
    """Close psycopg's pool (``PORTAL_DB_POOL``) on the way out: left open, its threads hold the interpreter's exit
    for ~5 s each, longer than a process manager's stop timeout allows."""
    pool = getattr(connection, "pool", None)
    if pool is not None and not connection.in_atomic_block:
        connection.close()
        pool.close()
