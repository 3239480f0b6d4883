"""Sending one row: SMS (reconcile an earlier attempt, wait for a rate-limit slot, re-check just before it, record
the attempt, post) and email. Each ends in an outcome (``outcomes``); the provider is called only after the fenced
"attempt" update succeeded (SMS-06, JOB-04).
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import F
from django.template import TemplateDoesNotExist
from django.urls import reverse
from django.utils import timezone

from notifications import sms
from notifications.models import OutboxMessage, StatusCallbackReceipt
from notifications.phones import record_keyword_opt_out
from notifications.ratelimit import RateLimiter
from notifications.rendering import UnsafeMessageError, render_outbox_email, render_outbox_sms
from notifications.status import apply_status
from notifications.webpush import render_push, send_push
from notifications.worker.claims import DECISION_MAX_AGE_S, ClaimedBatch
from notifications.worker.outcomes import Outcomes
from notifications.worker.pool import release_pooled_connection
from notifications.worker.rules import refusal_reason

logger = logging.getLogger("notifications.worker")

State = OutboxMessage.State

SEND_LEAD_S = 0.25
"""How long before its rate-limit slot a text's last checks run and its attempt is recorded, in seconds (R3).

The database work before a send (a reload of the batch when due, the fenced "attempt" update) happens inside this
lead, then the worker sleeps to the slot and posts on time: a slow query delays nothing, so posts never bunch into a
provider's 1-second window. Checks made this early are reloaded when older than ``DECISION_MAX_AGE_S - SEND_LEAD_S``,
so at the post they are still within ``DECISION_MAX_AGE_S``."""


class Sending(Outcomes):
    """The sending half of ``Worker``."""

    limiter: RateLimiter
    _sent_sids: list[str]
    _callback_url: str | None

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
        self._note_sent(found[0])
        return True

    def _send_sms(self, row: OutboxMessage, batch: ClaimedBatch | None = None) -> None:
        try:
            body = row.body or render_outbox_sms(row, timezone.now())  # a resend keeps the first words (SMS-06)
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
        release_pooled_connection()  # not held through the wait and the provider's answer (PORTAL_DB_POOL)
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
            self._note_sent(result.sid)

    def _note_sent(self, sid: str) -> None:
        with self._count_lock:  # sending threads append while the worker's thread flushes
            self._sent_sids.append(sid)

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
        reason = refusal_reason(current, timezone.now())
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
        with self._count_lock:
            sids, self._sent_sids = self._sent_sids, []
        if not sids:
            return
        receipts = StatusCallbackReceipt.objects.filter(message_sid__in=sids).order_by("received_at", "pk")
        for sid, status, code in receipts.values_list("message_sid", "status", "error_code"):
            apply_status(sid=sid, status=status, error_code=code)

    # --- email ----------------------------------------------------------------------------------------------
    def _send_email(self, row: OutboxMessage) -> None:
        try:
            subject, body = render_outbox_email(row, timezone.now())
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

    # --- web push -------------------------------------------------------------------------------------------
    def _send_push(self, row: OutboxMessage) -> None:
        """Encrypt and post the notice to each of the recipient's devices (``notifications.webpush``). Sent when
        one device took it; retried when none did but one may later; failed when every device refused or is gone."""
        try:
            payload = render_push(row, timezone.now())
        except (UnsafeMessageError, TemplateDoesNotExist) as exc:
            self._finish(row, State.FAILED, last_error=str(exc)[:300], error_code="render")
            return
        if not self._start_attempt(row, body=payload["body"]):
            return
        result = send_push(row, payload)
        if result.delivered:
            self._finish(row, State.SENT, sent_at=timezone.now(), to_address=f"{result.delivered} device(s)")
        elif result.retryable:
            self._retry_later(row.pk, code="push", error=result.last_error, clear_claim=True)
        else:
            reason = result.last_error or "no subscribed device"
            self._finish(row, State.FAILED, error_code="push", last_error=reason[:300])
