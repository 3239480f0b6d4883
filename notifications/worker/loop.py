"""The worker's loop: passes (heartbeat, periodic functions, claim, process), sending threads, stop and back-off.

``Worker`` puts the jobs together: ``Leases`` (claims), ``Outcomes`` and ``Sending`` are its halves, the send-time
rules are plain functions (``rules``).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone

from notifications import sms
from notifications.models import OutboxMessage, WorkerHeartbeat
from notifications.periodic import run_periodic
from notifications.ratelimit import RateLimiter
from notifications.wakeup import Wakeup
from notifications.worker.claims import Claim
from notifications.worker.pool import SenderPool
from notifications.worker.rules import QUIET_HOURS_SKIP, next_waking_time, refusal_reason
from notifications.worker.sending import Sending

logger = logging.getLogger("notifications.worker")

State = OutboxMessage.State
Channel = OutboxMessage.Channel


class Worker(Sending):
    """Drains the outbox. Create one per process; call ``run()`` (long-running) or ``run(once=True)``."""

    def __init__(
        self,
        *,
        worker_id: str | None = None,
        batch_size: int = 10,
        lease_s: float | None = None,
        senders: int = 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.batch_size = batch_size
        self.lease = timedelta(seconds=lease_s if lease_s is not None else settings.PORTAL_OUTBOX_LEASE_S)
        self.max_attempts = int(settings.PORTAL_OUTBOX_MAX_ATTEMPTS)
        self.stopping = threading.Event()
        self.limiter = RateLimiter(float(settings.TWILIO_MPS))
        self.processed = 0
        self._sent_sids: list[str] = []
        self.senders = max(1, senders)  # sending threads per pass (R2); 1 = sequential in this thread
        self._count_lock = threading.Lock()
        self.clock = clock  # ages ``ClaimedBatch`` loads; injectable so tests decide when time passes
        self._callback_url: str | None = None
        self.wakeup = Wakeup()  # idle wait: LISTEN on PostgreSQL (R4), the poll interval as fallback
        self._pool: SenderPool | None = None  # the sending threads when ``senders`` > 1, started at the first batch

    # --- loop -----------------------------------------------------------------------------------------------
    def request_stop(self) -> None:
        """Finish the current row, release the rest of the batch, then return from ``run()`` (JOB-08)."""
        self.stopping.set()

    def run(self, *, once: bool = False, max_passes: int | None = None) -> None:
        """Run passes until stopped. ``once`` drains what is due now and returns."""
        try:
            if not once:
                self._warm_up()
            self._run_passes(once=once, max_passes=max_passes)
        finally:
            try:
                self._stop_senders()
            finally:
                self.wakeup.close()

    def _warm_up(self) -> None:
        """Before the first pass of a long-running worker: listen for wakeups (so nothing committed between the
        first pass and the first wait is missed) and load the SMS client, so the first text is not late (R4)."""
        self.wakeup.listen()
        try:
            sms.prepare()
            if sms.uses_twilio():
                self._status_callback_url()
        except Exception:
            logger.warning("worker %s: SMS client warm-up failed; the first send will retry", self.worker_id)

    def _run_passes(self, *, once: bool, max_passes: int | None) -> None:
        passes = 0
        failures = 0
        while not self.stopping.is_set():
            passes += 1
            try:
                handled = self.run_pass()
                failures = 0
            except DatabaseError:
                # JOB-06: the database went away; back off, reconnect on the next pass, lose nothing.
                failures += 1
                logger.warning("worker %s: database unavailable, backing off", self.worker_id, exc_info=True)
                if not connection.in_atomic_block:
                    close_old_connections()
                self.stopping.wait(min(30.0, float(settings.PORTAL_OUTBOX_POLL_S) * 2**failures))
                handled = 0
                if once and failures >= 3:
                    raise
                continue
            if max_passes is not None and passes >= max_passes:
                return
            if once:
                if handled == 0 or passes >= 1000:
                    return
                continue
            if handled == 0:
                self.wakeup.wait(float(settings.PORTAL_OUTBOX_POLL_S), self.stopping)

    def run_pass(self) -> int:
        """One pass: heartbeat, periodic functions, claim a batch and process it. Returns rows claimed."""
        if not connection.in_atomic_block:  # never drop the connection of an enclosing transaction (tests)
            close_old_connections()
        now = timezone.now()
        self.heartbeat(now)
        run_periodic(now)
        claims = self.claim(now)
        if self.senders > 1:
            self._process_in_threads(claims)
        else:
            for index, claim in enumerate(claims):
                if self.stopping.is_set():
                    self.release([c.id for c in claims[index:]])
                    break
                self._process_guarded(claim)
        self.flush_early_callbacks()
        return len(claims)

    def _process_guarded(self, claim: Claim) -> None:
        """``process`` with unexpected errors turned into a retry; database errors propagate (JOB-06)."""
        try:
            self.process(claim)
        except DatabaseError:
            raise
        except Exception:
            logger.exception("worker %s: unexpected error on outbox row %s", self.worker_id, claim.id)
            self._retry_later(claim.id, code="", error="internal error", clear_claim=False)

    def _process_in_threads(self, claims: list[Claim]) -> None:
        """R2: hand the batch to the sending threads (``SenderPool``: each thread keeps its own database connection
        and twilio client across batches) and return once fewer rows wait than there are threads, so the next pass
        claims the next batch while these are still being sent. With nothing claimed, wait until the rows in flight
        are finished. On stop the rows not yet started are released; a database error in a thread is raised here."""
        if self.stopping.is_set():
            self.release([claim.id for claim in claims])
            return
        if self._pool is None:
            self._pool = SenderPool(self.senders, self._process_guarded, self.stopping)
        if claims:
            self._pool.submit(claims)
            self._pool.wait_for_room()
        else:
            self._pool.drain()

    def _stop_senders(self) -> None:
        """Let every sending thread finish its row, then give the rows never started back (JOB-08)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            self.release([claim.id for claim in pool.shutdown()])

    def heartbeat(self, now: datetime) -> None:
        beat = {"last_beat_at": now, "processed": self.processed}
        if not WorkerHeartbeat.objects.filter(worker_id=self.worker_id).update(**beat):
            WorkerHeartbeat.objects.update_or_create(worker_id=self.worker_id, defaults=beat)

    # --- one row --------------------------------------------------------------------------------------------
    def process(self, claim: Claim) -> None:
        """Reconcile, re-check, send and record one claimed row. Sent SIDs are queued for ``flush_early_callbacks``."""
        row = self._load(claim)
        if row is None:
            return
        now = timezone.now()
        since = claim.previous_claimed_at
        if since and row.channel == Channel.SMS and row.to_address and row.body and self._reconcile(row, since):
            return
        if row.attempts >= self.max_attempts:
            self._dead(row, error=row.last_error or "gave up after retries")
            return
        reason = refusal_reason(row, now)
        if reason:
            self._finish(row, State.SUPPRESSED, state_reason=reason)
            return
        later = next_waking_time(row, now)
        if later is not None:
            if row.template_key in QUIET_HOURS_SKIP:
                self._finish(row, State.SUPPRESSED, state_reason="quiet hours (never sent later)")
            else:
                self._mine(row.pk).update(
                    state=State.QUEUED, send_after=later, lease_owner="", lease_expires_at=None, updated_at=now
                )
            return
        if row.channel == Channel.SMS:
            self._send_sms(row, claim.batch)
        elif row.channel == Channel.PUSH:
            self._send_push(row)
        else:
            self._send_email(row)

    def refusal_reason(self, row: OutboxMessage, now: datetime) -> str:
        """Why this row must not go out now (JOB-05), or "" when it may: ``rules.refusal_reason``."""
        return refusal_reason(row, now)
