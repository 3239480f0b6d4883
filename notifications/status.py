"""Provider delivery status → outbox state. States only move forward, so replays and late callbacks are harmless.

``sent`` < ``delivered`` | ``undelivered`` | ``failed``; whichever final state arrives first wins (SMS-03).
Carrier errors 30003–30008 are recorded and flagged for staff; 30006 (landline / unreachable carrier) marks the
number as unable to receive texts. Only 30003 (handset off or out of coverage) is resent, once, later (SMS-07's
policy); 30004–30008 are never resent automatically (carrier rules).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from notifications.models import OutboxMessage, SmsPhone
from notifications.services import enqueue_message

State = OutboxMessage.State

# Twilio status → (our state, the states it may replace)
_TRANSITIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "sent": (State.SENT, (State.SENDING, State.UNKNOWN)),
    "delivered": (State.DELIVERED, (State.SENDING, State.UNKNOWN, State.SENT)),
    "read": (State.DELIVERED, (State.SENDING, State.UNKNOWN, State.SENT)),
    "undelivered": (State.UNDELIVERED, (State.SENDING, State.UNKNOWN, State.SENT)),
    "failed": (State.FAILED, (State.SENDING, State.UNKNOWN, State.SENT)),
}

CARRIER_ERRORS = {
    "30003": "Unreachable handset",
    "30004": "Message blocked",
    "30005": "Unknown handset",
    "30006": "Landline or unreachable carrier",
    "30007": "Filtered by the carrier",
    "30008": "Unknown carrier error",
}
NOT_SMS_CAPABLE = "30006"
UNREACHABLE = "30003"
RETRY_SUFFIX = ":retry-30003"
# Notices worth a second try hours later; a confirmation code would be stale, a keyword reply moot.
RETRIED_TEMPLATES = frozenset({"session_reminder", "new_message"})


def apply_status(*, sid: str, status: str, error_code: str = "") -> int:
    """Move the row with provider id ``sid`` forward to ``status`` (at most 2 queries). Returns rows changed."""
    transition = _TRANSITIONS.get(status)
    if transition is None or not sid:
        return 0
    target, replaceable = transition
    values: dict[str, object] = {"state": target, "updated_at": timezone.now()}
    if error_code:
        values["error_code"] = error_code[:16]
        values["last_error"] = CARRIER_ERRORS.get(error_code, f"Carrier error {error_code}")
        values["flagged"] = error_code in CARRIER_ERRORS
    changed = OutboxMessage.objects.filter(provider_message_id=sid, state__in=replaceable).update(**values)
    if changed and error_code == UNREACHABLE and target in (State.UNDELIVERED, State.FAILED):
        retry_unreachable_later(sid=sid)
    if error_code == NOT_SMS_CAPABLE and target in (State.UNDELIVERED, State.FAILED):
        SmsPhone.objects.filter(
            e164__in=OutboxMessage.objects.filter(provider_message_id=sid).values("to_address")
        ).update(sms_capable=False, updated_at=timezone.now())
    return changed


def retry_unreachable_later(*, sid: str) -> list[OutboxMessage]:
    """Queue the one later retry SMS-07 allows for a text the carrier could not deliver because the handset was
    unreachable (30003): the same template and context, ``PORTAL_SMS_UNREACHABLE_RETRY_S`` later.

    A retry is never retried again (its key ends in ``RETRY_SUFFIX``), and the key makes a replayed callback
    harmless. The worker re-checks everything at send time like any other row: consent, opt-out, phone, quiet
    hours and the subject (a reminder for a session that has started by then is suppressed)."""
    delay = settings.PORTAL_SMS_UNREACHABLE_RETRY_S
    if delay <= 0:
        return []
    retries = []
    for row in OutboxMessage.objects.filter(provider_message_id=sid, channel=OutboxMessage.Channel.SMS):
        if row.idempotency_key.endswith(RETRY_SUFFIX) or row.template_key not in RETRIED_TEMPLATES:
            continue
        retry = enqueue_message(
            recipient=row.recipient,
            template_key=row.template_key,
            idempotency_key=row.idempotency_key[: 200 - len(RETRY_SUFFIX)] + RETRY_SUFFIX,
            context=row.context,
            send_after=timezone.now() + timedelta(seconds=delay),
            patient=row.patient,
            scope=row.scope or None,
            subject=row.subject,
            channel=OutboxMessage.Channel.SMS,
        )
        if retry is not None:
            retries.append(retry)
    return retries
