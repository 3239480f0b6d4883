"""Outcomes: the fenced final update of a row (sent, failed, suppressed, dead…), retries with backoff, and the
audit event of a dead row (JOB-07). Every update is ``WHERE lease_owner = me`` (JOB-03): a late result of a worker
that lost its lease is discarded.
"""

from __future__ import annotations

import logging
import random
import threading
import uuid
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from consent.audit import record_audit
from consent.models import AuditEvent
from notifications.models import OutboxMessage
from notifications.worker.claims import Leases

logger = logging.getLogger("notifications.worker")

State = OutboxMessage.State

SENSITIVE_TEMPLATES = frozenset({"phone_code"})  # body and context wiped once the row is done
BACKOFF_BASE_S = 30.0
BACKOFF_CAP_S = 3600.0
DONE_STATES = frozenset(
    {
        State.SENT,
        State.DELIVERED,
        State.UNDELIVERED,
        State.FAILED,
        State.OPTED_OUT,
        State.CANCELLED,
        State.SUPPRESSED,
        State.DEAD,
    }
)
"""States a row never leaves by itself: it was sent, or it never will be (cancelled, refused, failed, dead)."""


def backoff_seconds(attempts: int, rng: random.Random | None = None) -> float:
    """Capped exponential backoff with jitter: a random value in [½·c, c], c = min(cap, base·2^(attempts−1))."""
    ceiling = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** max(0, attempts - 1))
    return ceiling / 2 + (rng or random).random() * ceiling / 2


class Outcomes(Leases):
    """The recording half of ``Worker``: finish, retry later, or give up on a leased row."""

    max_attempts: int
    processed: int
    _count_lock: threading.Lock

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
