"""Provider delivery status → outbox state. States only move forward, so replays and late callbacks are harmless.

``sent`` < ``delivered`` | ``undelivered`` | ``failed``; whichever final state arrives first wins (SMS-03).
Carrier errors 30003–30008 are recorded and flagged for staff; 30006 (landline / unreachable carrier) marks the
number as unable to receive texts. Nothing is resent automatically (carrier rules, SMS-07).
"""

from __future__ import annotations

from django.utils import timezone

from notifications.models import OutboxMessage, SmsPhone

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
    if error_code == NOT_SMS_CAPABLE and target in (State.UNDELIVERED, State.FAILED):
        SmsPhone.objects.filter(
            e164__in=OutboxMessage.objects.filter(provider_message_id=sid).values("to_address")
        ).update(sms_capable=False, updated_at=timezone.now())
    return changed
