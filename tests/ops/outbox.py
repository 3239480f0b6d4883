"""Helpers for the ops tests: families who may receive texts now, and reminders queued through the real service."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

from django.utils import timezone

from accounts.models import User
from consent.models import Scope
from notifications.models import OutboxMessage, SmsPhone
from notifications.services import enqueue_message
from tests.support import personas

RECONCILED_LINE = re.compile(r"outbox row ([0-9a-f-]{36}): reconciled")


def waking_zone(now: datetime | None = None) -> str:
    """A fixed-offset zone where it is about noon now, so quiet hours (8 AM–9 PM) never hold a test text back."""
    hour = (now or datetime.now(UTC)).hour
    offset = (12 - hour + 12) % 24 - 12  # UTC offset in hours, in [-12, 11]
    if offset == 0:
        return "Etc/GMT"
    return f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"  # Etc/GMT signs are inverted


def texting_family(patient: User, count: int, prefix: str = "ops") -> list[User]:
    """``count`` family members of ``patient`` with a schedule consent and a confirmed, opted-in phone each.

    Phone numbers are in the fictional +1 555 range (no area-code time zone); each member's profile zone is
    chosen so that it is daytime now.
    """
    zone = waking_zone()
    now = timezone.now()
    members = []
    for n in range(count):
        member = personas.make_user(
            f"{prefix}-{n}-{uuid.uuid4().hex[:6]}@example.net", User.Role.FAMILY, None, time_zone=zone
        )
        personas.consent_for(patient, member, scopes=[Scope.SCHEDULE])
        SmsPhone.objects.create(
            user=member,
            e164=f"+1555{n:07d}",
            verified_at=now,
            opted_in_at=now,
            opt_in_text="Yes, text me reminders.",
        )
        members.append(member)
    return members


def queue_reminders(patient: User, members: list[User], tag: str = "") -> list[OutboxMessage]:
    """One reminder per member through ``enqueue_message`` (consent re-checked at send time)."""
    starts = timezone.now() + timedelta(days=2)
    rows = []
    for member in members:
        row = enqueue_message(
            recipient=member,
            template_key="session_reminder",
            idempotency_key=f"ops:{tag}:{member.pk}:{uuid.uuid4().hex}",
            context={
                "when": "on Friday at 6:00 PM",
                "link": f"https://portal.example.org/s/{member.pk}{tag}",
                "starts_at": starts.isoformat(),
            },
            patient=patient,
            scope=Scope.SCHEDULE,
            channel=OutboxMessage.Channel.SMS,
        )
        assert row is not None
        rows.append(row)
    return rows
