"""The outbox worker: claim due rows with a lease, re-check at send time, send, record the outcome (style §2.5).

One pass: close stale connections → heartbeat → registered periodic functions → claim a small batch
(``SELECT … FOR UPDATE SKIP LOCKED`` in a short transaction, JOB-02) → load the batch with its send-time facts and
the consent gate's answer for all of it (``ClaimedBatch``, R1) → for each row, outside any transaction: reconcile if
an earlier attempt may have reached Twilio (SMS-06), re-check consent / opt-out / phone / subject / quiet hours
(JOB-05), reserve a send slot, re-check shortly before it if the batch's facts would be older than
``DECISION_MAX_AGE_S`` at the slot, record the attempt, send on the slot, and finish with an update fenced by
``lease_owner`` (JOB-03, JOB-04): a worker that lost its lease changes nothing. Logs carry row ids and codes only,
never names, numbers or bodies.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.models import Exists, F, OuterRef
from django.template import TemplateDoesNotExist
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from consent.audit import record_audit
from consent.gate import Pair, can_disclose, disclosable_pairs
from consent.models import AuditEvent
from notifications import sms
from notifications.checks import subject_still_valid
from notifications.models import OutboxMessage, SmsOptOut, SmsPhone, StatusCallbackReceipt, WorkerHeartbeat
from notifications.periodic import run_periodic
from notifications.phones import is_opted_out, record_keyword_opt_out
from notifications.quiet_hours import earliest_waking_at_or_after, is_waking, profile_zone, zones_for
from notifications.ratelimit import RateLimiter
from notifications.rendering import UnsafeMessageError, render_email, render_sms
from notifications.status import apply_status
from notifications.wakeup import Wakeup

logger = logging.getLogger(__name__)

State = OutboxMessage.State
Channel = OutboxMessage.Channel

SENSITIVE_TEMPLATES = frozenset({"phone_code"})  # body and context wiped once the row is done
ADDRESS_PINNED_TEMPLATES = frozenset({"phone_code"})  # go to the number being confirmed, not a confirmed one
QUIET_HOURS_EXEMPT = frozenset({"phone_code"})  # the person just asked for it
QUIET_HOURS_SKIP = frozenset({"session_reminder"})  # a late reminder is dropped, never moved later
BACKOFF_BASE_S = 30.0
BACKOFF_CAP_S = 3600.0
DONE_STATES = frozenset(
    {State.SENT, State.DELIVERED, State.UNDELIVERED, State.FAILED, State.OPTED_OUT, State.SUPPRESSED, State.DEAD}
)
DECISION_MAX_AGE_S = 1.0
"""How old, in seconds, the facts a text is sent on may be: consent, STOP, phone, lease (JOB-05 with batching).

The worker loads a claimed batch and asks the consent gate about all of it at once (``ClaimedBatch``). At the
per-sender rate limit (1–3 texts a second) a batch takes many seconds to send, so right before each send the rest of
the batch is reloaded and re-decided whenever the last load is older than this: a consent revoked, a STOP or a lease
lost stops the next text at most this long after it happened. The price is one reload (1 query + the gate's ≤ 6)
per this many seconds, not per text."""
SEND_LEAD_S = 0.25
"""How long before its rate-limit slot a text's last checks run and its attempt is recorded, in seconds (R3).

The database work before a send (a reload of the batch when due, the fenced "attempt" update) happens inside this
lead, then the worker sleeps to the slot and posts on time: a slow query delays nothing, so posts never bunch into a
provider's 1-second window. Checks made this early are reloaded when older than ``DECISION_MAX_AGE_S - SEND_LEAD_S``,
so at the post they are still within ``DECISION_MAX_AGE_S``."""


def backoff_seconds(attempts: int, rng: random.Random | None = None) -> float:
    """Capped exponential backoff with jitter: a random value in [½·c, c], c = min(cap, base·2^(attempts−1))."""
    ceiling = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** max(0, attempts - 1))
    return ceiling / 2 + (rng or random).random() * ceiling / 2


def _phone_of(user: Any) -> SmsPhone | None:
    """The user's phone, from ``select_related("recipient__sms_phone")`` when loaded that way (no query)."""
    try:
        phone: SmsPhone = user.sms_phone
    except SmsPhone.DoesNotExist:
        return None
    return phone


def _opted_out(row: OutboxMessage, phone: SmsPhone) -> bool:
    """The ``phone_opted_out`` annotation from ``Worker._load``; a query only for rows loaded another way."""
    flag = getattr(row, "phone_opted_out", None)
    return is_opted_out(phone.e164) if flag is None else bool(flag)


def _disclosable(row: OutboxMessage, now: datetime) -> bool:
    """The gate's answer for the row's recipient, patient and scope: ``ClaimedBatch``'s batch decision when the row
    came from one (``row.disclosable``), else ``can_disclose`` now."""
    decided = getattr(row, "disclosable", None)
    return can_disclose(row.recipient, row.patient, row.scope, at=now) if decided is None else bool(decided)


def decide_consent(rows: list[OutboxMessage], at: datetime) -> None:
    """Set ``row.disclosable`` on every row that names a patient and scope, with one ``disclosable_pairs`` call per
    scope (≤ 6 queries each, whatever the number of rows). The same answer ``can_disclose`` gives row by row; a row
    with an unknown scope is left undecided, so the per-row check raises for it as before."""
    by_scope: dict[str, set[Pair]] = {}
    for row in rows:
        if row.patient_id and row.scope:
            by_scope.setdefault(row.scope, set()).add((row.recipient_id, row.patient_id))
    for scope, pairs in by_scope.items():
        try:
            allowed = disclosable_pairs(pairs, scope, at)
        except ValueError:
            continue
        for row in rows:
            if row.patient_id and row.scope == scope:
                row.disclosable = (row.recipient_id, row.patient_id) in allowed  # type: ignore[attr-defined]


class ClaimedBatch:
    """The rows of one claimed batch with the facts they are sent on, never older than ``DECISION_MAX_AGE_S``.

    One query loads every row still leased to this worker with its recipient, phone, opt-out flag and the patient's
    program; ``decide_consent`` then answers the gate for all of them. ``row(id)`` reloads and re-decides the whole
    rest of the batch first when that load is older than the bound, so the per-batch cost stays constant in the
    number of rows and a revocation still reaches the next send. A row that is finished or no longer ours drops out
    (``None``). Thread-safe: the sending threads of one worker share it.
    """

    def __init__(self, worker: Worker, ids: list[uuid.UUID]) -> None:
        self._worker = worker
        self._ids = ids
        self._lock = threading.Lock()
        self._rows: dict[uuid.UUID, OutboxMessage] = {}
        self._loaded_at: float | None = None

    def row(self, row_id: uuid.UUID, max_age: float = DECISION_MAX_AGE_S) -> OutboxMessage | None:
        """The row as last loaded, reloading the batch first if that was more than ``max_age`` seconds ago. A
        different object than the previous call returned means the facts were refreshed and must be checked again."""
        with self._lock:
            started = self._worker.clock()
            if self._loaded_at is None or started - self._loaded_at > max_age:
                rows = list(self._worker.with_send_facts(self._worker.mine(self._ids)))
                decide_consent(rows, timezone.now())
                self._rows = {row.pk: row for row in rows}
                self._loaded_at = started
            return self._rows.get(row_id)


@dataclass(frozen=True)
class Claim:
    id: uuid.UUID
    previous_claimed_at: datetime | None
    batch: ClaimedBatch | None = field(default=None, compare=False, repr=False)


class Worker:
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
        if self.senders > 1 and len(claims) > 1:
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
        """R2: up to ``senders`` threads take rows from the batch, each with its own database connection (closed
        when the thread ends) and its own twilio client. Leases, fencing and the shared rate limiter are per row,
        so this changes no guarantee. On stop the rows not yet started are released; a database error stops every
        thread and is raised here (the rest of the batch stays leased, as in the sequential path)."""
        pending = deque(claims)
        lock = threading.Lock()
        errors: list[DatabaseError] = []

        def sender() -> None:
            try:
                while True:
                    with lock:
                        if self.stopping.is_set() or errors or not pending:
                            return
                        claim = pending.popleft()
                    try:
                        self._process_guarded(claim)
                    except DatabaseError as exc:
                        with lock:
                            errors.append(exc)
                        return
            finally:
                connection.close()

        threads = [
            threading.Thread(target=sender, name=f"outbox-sender-{n}", daemon=True)
            for n in range(min(self.senders, len(claims)))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        if pending:
            self.release([claim.id for claim in pending])

    def heartbeat(self, now: datetime) -> None:
        beat = {"last_beat_at": now, "processed": self.processed}
        if not WorkerHeartbeat.objects.filter(worker_id=self.worker_id).update(**beat):
            WorkerHeartbeat.objects.update_or_create(worker_id=self.worker_id, defaults=beat)

    # --- claim ----------------------------------------------------------------------------------------------
    def claim(self, now: datetime) -> list[Claim]:
        """Lock up to ``batch_size`` due rows (skipping rows other workers hold) and lease them to this worker."""
        with transaction.atomic():
            rows = list(
                OutboxMessage.objects.due(now)
                .select_for_update(skip_locked=True)
                .order_by("send_after")
                .values_list("id", "claimed_at")[: self.batch_size]
            )
            if not rows:
                return []
            ids = [row_id for row_id, _ in rows]
            # Re-apply the due filter: on SQLite the lock above is a no-op, so fence the update itself.
            OutboxMessage.objects.due(now).filter(id__in=ids).update(
                state=State.SENDING, lease_owner=self.worker_id, lease_expires_at=now + self.lease, updated_at=now
            )
            owned = set(
                OutboxMessage.objects.filter(id__in=ids, lease_owner=self.worker_id, state=State.SENDING).values_list(
                    "id", flat=True
                )
            )
        batch = ClaimedBatch(self, [row_id for row_id, _ in rows if row_id in owned])
        return [
            Claim(id=row_id, previous_claimed_at=claimed_at, batch=batch)
            for row_id, claimed_at in rows
            if row_id in owned
        ]

    def release(self, ids: list[uuid.UUID]) -> None:
        """Give rows back at once (shutdown): the lease expires now, so any worker may claim them."""
        if ids:
            now = timezone.now()
            OutboxMessage.objects.filter(id__in=ids, lease_owner=self.worker_id, state=State.SENDING).update(
                lease_owner="", lease_expires_at=now, updated_at=now
            )

    def _mine(self, row_id: uuid.UUID) -> Any:
        return OutboxMessage.objects.filter(pk=row_id, lease_owner=self.worker_id, state=State.SENDING)

    def mine(self, ids: list[uuid.UUID]) -> Any:
        """The rows among ``ids`` still leased to this worker and not finished."""
        return OutboxMessage.objects.filter(id__in=ids, lease_owner=self.worker_id, state=State.SENDING)

    @staticmethod
    def with_send_facts(rows: Any) -> Any:
        """``rows`` with recipient, phone, opt-out flag (``phone_opted_out``) and patient's program: one query."""
        opted_out = SmsOptOut.objects.filter(e164=OuterRef("recipient__sms_phone__e164"), active=True)
        return rows.select_related("recipient__sms_phone", "patient__program").annotate(
            phone_opted_out=Exists(opted_out)
        )

    # --- one row --------------------------------------------------------------------------------------------
    def _load(self, claim: Claim) -> OutboxMessage | None:
        """The row if still ours, with its send-time facts: from the claim's batch, else one query of its own."""
        if claim.batch is not None:
            return claim.batch.row(claim.id)
        return self.with_send_facts(self._mine(claim.id)).first()

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
        reason = self.refusal_reason(row, now)
        if reason:
            self._finish(row, State.SUPPRESSED, state_reason=reason)
            return
        if row.channel == Channel.SMS and row.template_key not in QUIET_HOURS_EXEMPT:
            phone = _phone_of(row.recipient)
            patient = row.patient if row.patient_id else None
            program = patient.program if patient is not None and patient.program_id else None
            zones = zones_for(profile_zone(row.recipient, program), phone.e164 if phone else None)
            if not is_waking(now, zones):
                if row.template_key in QUIET_HOURS_SKIP:
                    self._finish(row, State.SUPPRESSED, state_reason="quiet hours (never sent later)")
                else:
                    later = earliest_waking_at_or_after(now, zones) or now + timedelta(hours=1)
                    self._mine(row.pk).update(
                        state=State.QUEUED, send_after=later, lease_owner="", lease_expires_at=None, updated_at=now
                    )
                return
        if row.channel == Channel.SMS:
            self._send_sms(row, claim.batch)
        else:
            self._send_email(row)

    def refusal_reason(self, row: OutboxMessage, now: datetime) -> str:
        """Why this row must not go out now (JOB-05), or "" when it may. No provider call is made on refusal."""
        recipient = row.recipient
        if not recipient.is_active:
            return "recipient account inactive"
        if row.patient_id and row.scope and not _disclosable(row, now):
            return "consent no longer covers this"
        if not subject_still_valid(row):
            return "no longer current"
        starts_at = parse_datetime(str(row.context.get("starts_at", ""))) if row.context.get("starts_at") else None
        if starts_at is not None and starts_at <= now:
            return "too late: already started"
        if row.channel == Channel.EMAIL:
            return "" if recipient.email else "no email address"
        phone = _phone_of(recipient)
        if row.template_key in ADDRESS_PINNED_TEMPLATES:
            if phone is None or phone.e164 != row.to_address:
                return "number changed"
            return "number opted out" if _opted_out(row, phone) else ""
        if phone is None:
            return "no mobile number"
        if not phone.verified_at:
            return "number not confirmed"
        if not phone.opted_in_at:
            return "texts turned off"
        if not phone.sms_capable:
            return "number cannot receive texts"
        if _opted_out(row, phone):
            return "number opted out"
        if row.to_address != phone.e164:
            row.to_address = phone.e164
        return ""

    # --- SMS ------------------------------------------------------------------------------------------------
    def _reconcile(self, row: OutboxMessage, since: datetime) -> bool:
        """An earlier attempt may have reached Twilio: look for it before any resend (SMS-06). True if settled."""
        try:
            sids = sms.find_sent(to=row.to_address, body=row.body, since=since)
        except sms.SendError as exc:
            logger.warning("outbox row %s: reconciliation failed (%s); will retry", row.pk, exc)
            self._retry_later(row.pk, code=str(exc.code or ""), error="reconciliation failed", clear_claim=False)
            return True
        taken = set(
            OutboxMessage.objects.filter(provider_message_id__in=sids)
            .exclude(pk=row.pk)
            .values_list("provider_message_id", flat=True)
        )
        found = [sid for sid in sids if sid not in taken]
        if not found:
            return False
        logger.info("outbox row %s: reconciled with an earlier send, no resend", row.pk)
        self._finish(row, State.SENT, provider_message_id=found[0], state_reason="reconciled", sent_at=timezone.now())
        self._sent_sids.append(found[0])
        return True

    def _send_sms(self, row: OutboxMessage, batch: ClaimedBatch | None = None) -> None:
        try:
            body = row.body or render_sms(row.template_key, row.context)
        except (UnsafeMessageError, TemplateDoesNotExist) as exc:
            self._finish(row, State.FAILED, last_error=str(exc)[:300], error_code="render")
            return
        sms.prepare()
        slot = self.limiter.reserve(sms.sender_id())
        self.limiter.sleep_until(slot - SEND_LEAD_S)
        current = self._still_sendable(row, batch)
        if current is None or not self._start_attempt(current, body=body):
            return  # the slot goes unused: never early, so the limit holds
        row = current
        self.limiter.sleep_until_slot(sms.sender_id(), slot)
        callback = self._status_callback_url() if sms.uses_twilio() else None
        try:
            result = sms.send_sms(to=row.to_address, body=body, status_callback=callback)
        except sms.OptedOutError as exc:
            self._finish(row, State.OPTED_OUT, error_code=str(exc.code), last_error="recipient opted out")
            record_keyword_opt_out(e164=row.to_address, source="21610")
            return
        except sms.TerminalSendError as exc:
            self._finish(row, State.FAILED, error_code=str(exc.code or exc.status or ""), last_error=str(exc))
            return
        except sms.AmbiguousSendError as exc:
            logger.warning("outbox row %s: outcome unknown (%s); will reconcile", row.pk, exc)
            self._retry_later(row.pk, code=str(exc.code or ""), error=str(exc), clear_claim=False, unknown=True)
            return
        except sms.RetryableSendError as exc:
            self._retry_later(row.pk, code=str(exc.code or exc.status or ""), error=str(exc), clear_claim=True)
            return
        if self._finish(row, State.SENT, provider_message_id=result.sid, sent_at=timezone.now()):
            self._sent_sids.append(result.sid)

    def _status_callback_url(self) -> str:
        """Where Twilio posts delivery statuses; built once per worker (a ``reverse`` per text shows in R1)."""
        if self._callback_url is None:
            self._callback_url = f"{settings.TWILIO_WEBHOOK_BASE_URL}{reverse('notifications:twilio_status')}"
        return self._callback_url

    def _still_sendable(self, row: OutboxMessage, batch: ClaimedBatch | None) -> OutboxMessage | None:
        """``SEND_LEAD_S`` before the send slot: the row to send, or None. When the batch's facts would be older than
        ``DECISION_MAX_AGE_S`` at the slot they are reloaded and the send-time checks run again on the fresh row; a
        refusal suppresses it here, before any attempt is recorded or the provider is called."""
        if batch is None:
            return row
        current = batch.row(row.pk, max_age=DECISION_MAX_AGE_S - SEND_LEAD_S)
        if current is None or current is row:
            return current
        reason = self.refusal_reason(current, timezone.now())
        if reason:
            self._finish(current, State.SUPPRESSED, state_reason=reason)
            return None
        return current

    def _start_attempt(self, row: OutboxMessage, *, body: str) -> bool:
        """Fenced: store what we are about to send, renew the lease, count the attempt. False if the lease is gone."""
        now = timezone.now()
        updated = self._mine(row.pk).update(
            body=body,
            to_address=row.to_address,
            claimed_at=now,
            lease_expires_at=now + self.lease,
            attempts=F("attempts") + 1,
            updated_at=now,
        )
        if not updated:
            logger.warning("worker %s: lost the lease on outbox row %s before sending", self.worker_id, row.pk)
            return False
        row.body, row.claimed_at, row.attempts = body, now, row.attempts + 1
        return True

    def flush_early_callbacks(self) -> None:
        """A status callback can beat our own "sent" update (the webhook then finds no row for the SID and only
        keeps a receipt): apply such receipts for this batch's sends. One query per batch, more only if one came."""
        sids, self._sent_sids = self._sent_sids, []
        if not sids:
            return
        receipts = StatusCallbackReceipt.objects.filter(message_sid__in=sids).order_by("received_at", "pk")
        for sid, status, code in receipts.values_list("message_sid", "status", "error_code"):
            apply_status(sid=sid, status=status, error_code=code)

    # --- email ----------------------------------------------------------------------------------------------
    def _send_email(self, row: OutboxMessage) -> None:
        try:
            subject, body = render_email(row.template_key, row.context)
        except (UnsafeMessageError, TemplateDoesNotExist) as exc:
            self._finish(row, State.FAILED, last_error=str(exc)[:300], error_code="render")
            return
        row.to_address = row.recipient.email
        if not self._start_attempt(row, body=body):
            return
        try:
            EmailMessage(subject=subject, body=body, to=[row.to_address]).send()
        except Exception as exc:
            self._retry_later(row.pk, code="smtp", error=type(exc).__name__, clear_claim=True)
            return
        self._finish(row, State.SENT, sent_at=timezone.now())

    # --- outcomes -------------------------------------------------------------------------------------------
    def _finish(self, row: OutboxMessage, state: str, **fields: Any) -> bool:
        """Fenced final update (``WHERE lease_owner = me``). 0 rows → another worker owns it: change nothing."""
        now = timezone.now()
        values: dict[str, Any] = {"state": state, "lease_owner": "", "lease_expires_at": None, "updated_at": now}
        values.update(fields)
        if row.template_key in SENSITIVE_TEMPLATES and state in DONE_STATES:
            values.update(context={}, body="")
        updated = self._mine(row.pk).update(**values)
        if not updated:
            logger.warning("worker %s: lease on outbox row %s was lost; late result discarded", self.worker_id, row.pk)
            return False
        with self._count_lock:
            self.processed += 1
        logger.info("outbox row %s → %s", row.pk, state)
        return True

    def _retry_later(
        self, row_id: uuid.UUID, *, code: str, error: str, clear_claim: bool, unknown: bool = False
    ) -> None:
        """Schedule another attempt with backoff, or give up (``dead``) once attempts are exhausted."""
        row = self._mine(row_id).select_related("patient").first()
        if row is None:
            return
        if row.attempts >= self.max_attempts and not unknown:
            self._dead(row, error=error, code=code)
            return
        now = timezone.now()
        values: dict[str, Any] = {
            "state": State.UNKNOWN if unknown else State.QUEUED,
            "send_after": now + timedelta(seconds=backoff_seconds(max(1, row.attempts))),
            "lease_owner": "",
            "lease_expires_at": None,
            "error_code": code[:16],
            "last_error": error[:300],
            "updated_at": now,
        }
        if clear_claim:
            values["claimed_at"] = None  # Twilio did not take it: nothing to reconcile next time
        self._mine(row_id).update(**values)

    def _dead(self, row: OutboxMessage, *, error: str, code: str = "") -> None:
        """Retries exhausted: park the row as ``dead`` for staff to requeue, and write an audit event (JOB-07)."""
        with transaction.atomic():
            if not self._finish(row, State.DEAD, last_error=error[:300], error_code=code[:16] or row.error_code):
                return
            record_audit(
                kind=AuditEvent.Kind.OUTBOX_DEAD,
                patient=row.patient,
                data={"outbox_id": str(row.pk), "template": row.template_key, "attempts": row.attempts},
            )
        logger.error("outbox row %s is dead after %d attempts", row.pk, row.attempts)
