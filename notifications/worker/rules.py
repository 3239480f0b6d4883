"""The send-time rules (JOB-05): may this row go out now, and if not, why; quiet hours for texts and push.

Run by the worker on a claimed row right before it sends (``refusal_reason`` again shortly before the rate-limit
slot when the batch's facts were reloaded). The facts come from ``ClaimedBatch`` (one query and the gate's batch
answer) when the row was loaded that way, else from a query each. Nothing here writes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils.dateparse import parse_datetime

from consent.gate import can_disclose
from notifications.checks import subject_still_valid
from notifications.models import OutboxMessage, SmsPhone
from notifications.phones import is_opted_out
from notifications.push import wants_push
from notifications.quiet_hours import earliest_waking_at_or_after, is_waking, profile_zone, zones_for

Channel = OutboxMessage.Channel

ADDRESS_PINNED_TEMPLATES = frozenset({"phone_code"})  # go to the number being confirmed, not a confirmed one
QUIET_HOURS_EXEMPT = frozenset({"phone_code"})  # the person just asked for it
QUIET_HOURS_SKIP = frozenset({"session_reminder"})  # a late reminder is dropped, never moved later


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


def refusal_reason(row: OutboxMessage, now: datetime) -> str:
    """Why this row must not go out now (JOB-05), or "" when it may. No provider call is made on refusal."""
    recipient = row.recipient
    if not recipient.is_active:
        return "recipient account inactive"
    if row.patient_id and row.scope and not _disclosable(row, now):
        return "consent no longer covers this"
    if not subject_still_valid(row):
        return "no longer current"
    starts_at = parse_datetime(str(row.context["starts_at"])) if "starts_at" in row.context else None
    if starts_at is not None and starts_at <= now:
        return "too late: already started"
    if row.channel == Channel.EMAIL:
        return "" if recipient.email else "no email address"
    if row.channel == Channel.PUSH:
        return "" if wants_push(recipient, row.template_key) else "push turned off"
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


def next_waking_time(row: OutboxMessage, now: datetime) -> datetime | None:
    """None when quiet hours allow the row now; else the earliest waking time in every zone that may apply to the
    recipient (profile or program zone and the number's area code), or an hour from now if there is none. Texts
    and push notices are held (a phone buzzes either way); emails and ``QUIET_HOURS_EXEMPT`` texts never are."""
    if row.channel == Channel.EMAIL or row.template_key in QUIET_HOURS_EXEMPT:
        return None
    phone = _phone_of(row.recipient)
    patient = row.patient
    program = patient.program if patient is not None else None
    zones = zones_for(profile_zone(row.recipient, program), phone.e164 if phone else None)
    if is_waking(now, zones):
        return None
    return earliest_waking_at_or_after(now, zones) or now + timedelta(hours=1)
