"""Claiming and leases: lock a small batch of due rows and lease them to this worker (JOB-02), keep the facts they
are sent on fresh (``ClaimedBatch``, R1), give rows back on shutdown. Every later write is fenced by
``lease_owner`` (``Leases.mine``): a worker that lost its lease changes nothing (JOB-03, JOB-04).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from consent.gate import Pair, disclosable_pairs
from notifications.models import OutboxMessage, SmsOptOut

State = OutboxMessage.State

DECISION_MAX_AGE_S = 1.0
"""How old, in seconds, the facts a text is sent on may be: consent, STOP, phone, lease (JOB-05 with batching).

The worker loads a claimed batch and asks the consent gate about all of it at once (``ClaimedBatch``). At the
per-sender rate limit (1–3 texts a second) a batch takes many seconds to send, so right before each send the rest of
the batch is reloaded and re-decided whenever the last load is older than this: a consent revoked, a STOP or a lease
lost stops the next text at most this long after it happened. The price is one reload (1 query + the gate's ≤ 6)
per this many seconds, not per text."""


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

    def __init__(self, worker: Leases, ids: list[uuid.UUID]) -> None:
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


class Leases:
    """The claiming half of ``Worker``: which rows are this worker's, and taking and giving them back."""

    worker_id: str
    batch_size: int
    lease: timedelta
    clock: Callable[[], float]

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

    def _load(self, claim: Claim) -> OutboxMessage | None:
        """The row if still ours, with its send-time facts: from the claim's batch, else one query of its own."""
        if claim.batch is not None:
            return claim.batch.row(claim.id)
        return self.with_send_facts(self._mine(claim.id)).first()
