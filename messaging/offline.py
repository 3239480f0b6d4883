"""Offline notices: one neutral "new secure message" text or email when someone has unread messages and no socket.

Runs once per notifications-worker pass (registered in ``MessagingConfig.ready``). A participant qualifies when a
message from someone else has been unread for the program's ``offline_notice_minutes`` and they have no fresh
socket. One notice per burst: nothing more is sent until they have read past the last notice (``notified_up_to``),
and the idempotency key (conversation + user + latest message id) makes a repeated pass harmless. The notice never
carries message content, names or clinical words; the outbox worker re-checks consent before sending (JOB-05).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Case, DateTimeField, Exists, F, OuterRef, Q, Value, When
from django.urls import reverse

from accounts.models import Program, User
from consent.history import EVERYTHING, history_start
from consent.models import Scope
from messaging.access import can_participate
from messaging.models import Conversation, Message, Participant
from messaging.presence import online_exists, purge_stale

logger = logging.getLogger(__name__)

TEMPLATE_KEY = "new_message"
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
    from notifications.services import enqueue_message, portal_link

    conversation = seat.conversation
    latest = conversation.last_message_id
    # Mark first: whatever happens below, this burst is handled and the seat leaves the scan until read again.
    Participant.objects.filter(pk=seat.pk).update(notified_up_to=latest)
    if not can_participate(seat.user, conversation, now):
        return 0
    row = enqueue_message(
        recipient=seat.user,
        template_key=TEMPLATE_KEY,
        idempotency_key=notice_key(conversation_id=conversation.pk, user_id=seat.user_id, latest_message_id=latest),
        context={"link": portal_link(reverse("messaging:conversation_list"))},
        patient=conversation.patient,
        scope=Scope.MESSAGING,
    )
    if row is not None:
        logger.info("offline notice queued for conversation %s", conversation.pk)
    return 1 if row is not None else 0
