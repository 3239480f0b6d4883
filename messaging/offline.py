"""Offline notices: one neutral "new secure message" text or email when someone has unread messages and no socket.

Runs once per notifications-worker pass (registered in ``MessagingConfig.ready``). A participant qualifies when a
message from someone else has been unread for the program's ``offline_notice_minutes`` and they have no fresh
socket. One notice per burst: nothing more is sent until they have read past the last notice (``notified_up_to``),
and the idempotency key (conversation + user + latest message id) makes a repeated pass harmless. The notice never
carries message content, names or clinical words; the outbox worker re-checks consent before sending (JOB-05).

Push first, text later (issue #21): a person who has push on for new messages gets a push notice now, and the text
(or email) only if the message is still unread the program's ``push_fallback_minutes`` after the push could go
out (quiet hours move both). The later row carries the subject ``unread:<seat>:<message id>``, whose check
(``still_unread``) drops it once the person has read that far.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Case, DateTimeField, Exists, F, OuterRef, Q, Value, When
from django.urls import reverse

from accounts.models import Program, User
from consent.history import EVERYTHING, history_start
from consent.models import Scope
from messaging.access import can_participate
from messaging.models import Conversation, Message, Participant
from messaging.presence import online_exists, purge_stale

if TYPE_CHECKING:
    from notifications.models import OutboxMessage

logger = logging.getLogger(__name__)

TEMPLATE_KEY = "new_message"
UNREAD_SUBJECT = "unread"
BATCH = 200


def notice_key(*, conversation_id: object, user_id: int, latest_message_id: int) -> str:
    return f"message-notice:{conversation_id}:{user_id}:{latest_message_id}"


def due_seats(program: Program, now: datetime) -> list[Participant]:
    """Participants of ``program``'s conversations who are owed a notice at ``now``. A family member's seat in a
    shared family thread counts only messages from the start of their own sharing (MSG-01)."""
    cutoff = now - timedelta(minutes=program.offline_notice_minutes)
    aged_unread = Message.objects.filter(
        conversation=OuterRef("conversation"),
        id__gt=OuterRef("last_read_message_id"),
        created_at__lte=cutoff,
        created_at__gte=OuterRef("visible_from"),
        deleted_at__isnull=True,
    ).exclude(sender=OuterRef("user"))
    family_in_shared = Q(user__role=User.Role.FAMILY, conversation__kind=Conversation.Kind.CARE_TEAM)
    visible_from = Case(
        When(
            family_in_shared,
            then=history_start(OuterRef("user_id"), OuterRef("conversation__patient_id"), Scope.MESSAGING, now),
        ),
        default=Value(EVERYTHING, output_field=DateTimeField()),
        output_field=DateTimeField(),
    )
    return list(
        Participant.objects.annotate(visible_from=visible_from)
        .filter(
            conversation__patient__program=program,
            user__is_active=True,
            notified_up_to__lte=F("last_read_message_id"),
            conversation__last_message_id__gt=F("last_read_message_id"),
        )
        .filter(Exists(aged_unread))
        .exclude(online_exists(OuterRef("user"), now))
        .select_related("user", "conversation__patient__program")
        .order_by("pk")[:BATCH]
    )


def run_offline_scan(now: datetime) -> None:
    """The worker's periodic hook."""
    scan_offline_notices(now)


def scan_offline_notices(now: datetime) -> int:
    """Queue the notices that are due; returns how many were queued."""
    queued = 0
    purge_stale(now)
    for program in Program.objects.all():
        for seat in due_seats(program, now):
            queued += _notify(seat, now)
    return queued


@transaction.atomic
def _notify(seat: Participant, now: datetime) -> int:
    from notifications.push import wants_push
    from notifications.services import enqueue_message, portal_link

    conversation = seat.conversation
    latest = conversation.last_message_id
    # Mark first: whatever happens below, this burst is handled and the seat leaves the scan until read again.
    Participant.objects.filter(pk=seat.pk).update(notified_up_to=latest)
    if not can_participate(seat.user, conversation, now):
        return 0
    path = reverse("messaging:conversation_list")
    key = notice_key(conversation_id=conversation.pk, user_id=seat.user_id, latest_message_id=latest)
    common: dict[str, Any] = {
        "recipient": seat.user,
        "template_key": TEMPLATE_KEY,
        "context": {"link": portal_link(path), "path": path},
        "patient": conversation.patient,
        "scope": Scope.MESSAGING,
    }
    row: OutboxMessage | None
    if wants_push(seat.user, TEMPLATE_KEY):
        row = enqueue_message(**common, idempotency_key=f"push:{key}", channel="push")
        enqueue_message(
            **common,
            idempotency_key=key,
            send_after=fallback_at(seat, now),
            subject=f"{UNREAD_SUBJECT}:{seat.pk}:{latest}",
        )
    else:
        row = enqueue_message(**common, idempotency_key=key)
    if row is not None:
        logger.info("offline notice queued for conversation %s", conversation.pk)
    return 1 if row is not None else 0


def fallback_at(seat: Participant, now: datetime) -> datetime:
    """When the text or email after a push notice is due: the program's ``push_fallback_minutes`` after the push
    can go out (now, or the next waking time in quiet hours)."""
    from notifications.models import SmsPhone
    from notifications.quiet_hours import earliest_waking_at_or_after, profile_zone, zones_for

    program = seat.conversation.patient.program
    phone = SmsPhone.objects.filter(user=seat.user).only("e164").first()
    zones = zones_for(profile_zone(seat.user, program), phone.e164 if phone else None)
    pushed_at = earliest_waking_at_or_after(now, zones) or now
    minutes = program.push_fallback_minutes if program is not None else Program().push_fallback_minutes
    return pushed_at + timedelta(minutes=minutes)


def still_unread(row: OutboxMessage) -> bool:
    """Subject check of ``unread:<seat>:<message id>``: True while that participant has not read that message."""
    _prefix, seat_id, message_id = row.subject.split(":")
    return Participant.objects.filter(pk=int(seat_id), last_read_message_id__lt=int(message_id)).exists()
