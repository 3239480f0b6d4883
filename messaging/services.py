"""Messaging workflows, and the only module that talks to the channel layer (style 2.3).

Every write is atomic and re-checks ``can_participate``; live events are sent with ``transaction.on_commit`` so a
rolled-back write never reaches a socket. Each conversation event carries ``recipients``: the ids of the people
who may take part, decided by the gate in the same transaction (``participant_ids``), so a socket delivers it
without a query (performance plan §7.7). The channel layer is at-most-once (WS-08): a failed broadcast is logged
(ids only, never text) and clients catch up by message id.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from consent import policy
from consent.gate import (
    acts_as_patient,
    effective_consent,
    recipients_by_patient,
    visible_patient_ids,
    visible_patients,
)
from consent.models import Scope
from messaging.access import (
    can_participate,
    participant_ids,
    readable_messages,
    require_participant,
    require_participant_among,
    session_group_suffix,
    withheld_from,
)
from messaging.models import Conversation, Message, MessageRevision, Participant
from messaging.text import clean_body

logger = logging.getLogger(__name__)

REPLAY_LIMIT = 200
THREAD_PAGE = 100


# --- Group names (one group per conversation; recipients on purpose) ---------------------------------------------


def group_name(conversation_id: Any) -> str:
    return f"conversation_{conversation_id}"


def user_group(user_id: int) -> str:
    return f"user_{user_id}"


def consent_group(consent_id: Any) -> str:
    return f"consent_{consent_id}"


def session_group(session_key: str) -> str:
    return f"session_{session_group_suffix(session_key)}"


# --- Conversations ------------------------------------------------------------------------------------------------


def ensure_care_team_conversations(viewer: Any, *, existing: set[int] | None = None) -> bool:
    """Create the shared family thread (kind ``CARE_TEAM``) of every patient ``viewer`` may message about and that
    has none yet; True when any was missing.

    ``existing``: the patients whose shared thread the caller has just listed, so finding what is missing costs no
    query inside a read-only request; otherwise one query. ``ignore_conflicts`` makes concurrent page loads
    harmless.
    """
    if not (viewer.is_counselor or viewer.is_family or viewer.is_patient):
        return False
    if existing is not None:
        missing = sorted(visible_patient_ids(viewer, Scope.MESSAGING) - existing)[:200]
    else:
        has_thread = Conversation.objects.filter(patient=OuterRef("pk"), kind=Conversation.Kind.CARE_TEAM)
        missing = list(
            visible_patients(viewer, Scope.MESSAGING).exclude(Exists(has_thread)).values_list("pk", flat=True)[:200]
        )
    if missing:
        Conversation.objects.bulk_create(
            [Conversation(kind=Conversation.Kind.CARE_TEAM, patient_id=pk) for pk in missing], ignore_conflicts=True
        )
    return bool(missing)


def care_team_conversation(patient: User) -> Conversation:
    """The patient's shared family thread (kind ``CARE_TEAM``), created on first use."""
    conversation, _ = Conversation.objects.get_or_create(patient=patient, kind=Conversation.Kind.CARE_TEAM)
    return conversation


def ensure_private_conversations(member: Any, *, existing: set[int] | None = None) -> bool:
    """Create a family member's private conversation with the care team for every patient they may message about
    and that has none yet: their default conversation (MSG-01). True when any was missing.

    ``existing``: the patients whose private conversation the caller has just listed (no query then, inside a
    read-only request); otherwise one query. The relationship shown to staff comes from the consent relied on."""
    if not getattr(member, "is_family", False):
        return False
    patients = visible_patient_ids(member, Scope.MESSAGING)
    if existing is None:
        existing = set(
            Conversation.objects.filter(
                kind=Conversation.Kind.FAMILY_PRIVATE, member=member, patient_id__in=patients
            ).values_list("patient_id", flat=True)
        )
    missing = sorted(patients - existing)[:200]
    if missing:
        Conversation.objects.bulk_create(
            [
                Conversation(
                    kind=Conversation.Kind.FAMILY_PRIVATE,
                    patient_id=pk,
                    member=member,
                    member_relationship=_relationship(member, pk),
                )
                for pk in missing
            ],
            ignore_conflicts=True,
        )
    return bool(missing)


def private_conversation(member: User, patient: User) -> Conversation:
    """``member``'s private conversation with ``patient``'s care team, created on first use. Who may open it is
    still the gate's answer (``can_participate``)."""
    conversation, _ = Conversation.objects.get_or_create(
        kind=Conversation.Kind.FAMILY_PRIVATE,
        patient=patient,
        member=member,
        defaults={"member_relationship": _relationship(member, patient.pk)},
    )
    return conversation


def _relationship(member: Any, patient_id: int) -> str:
    consent = effective_consent(member, patient_id, Scope.MESSAGING)
    if consent is not None and consent.recipient_relationship:
        return consent.recipient_relationship[:80]
    if acts_as_patient(member, patient_id):
        return "Personal representative"
    return ""


def direct_partner_options(viewer: Any) -> list[tuple[User, User]]:
    """``(patient, person)`` pairs ``viewer`` may start a one-to-one with: a counselor's family contacts who may
    see the patient's messages (a consent or an authority), or a family member's assigned counselors. Each pair
    is re-checked by the gate when started. Three queries whatever their number."""
    if viewer.is_counselor:
        grants = [policy.CONSENT, policy.REPRESENTATIVE]
    elif viewer.is_family:
        grants = [policy.CASELOAD]
    else:
        return []
    patient_ids = visible_patient_ids(viewer, Scope.MESSAGING)
    by_patient = recipients_by_patient(patient_ids, Scope.MESSAGING, grants=grants)
    people = User.objects.in_bulk({pk for ids in by_patient.values() for pk in ids} | set(by_patient))
    pairs = [(people[p], people[person]) for p, ids in by_patient.items() for person in ids if person != viewer.pk]
    return sorted(pairs, key=lambda pair: (pair[0].full_name, pair[0].pk, pair[1].full_name, pair[1].pk))


@transaction.atomic
def start_direct_conversation(*, starter: User, patient: User, other: User) -> Conversation:
    """Open (or reuse) the one-to-one between a counselor and a family member about ``patient``; both must pass
    the gate for the patient's messaging scope now."""
    counselor, family = (starter, other) if starter.is_counselor else (other, starter)
    if not (counselor.is_counselor and family.is_family):
        raise PermissionDenied("A one-to-one is between a counselor and a family member.")
    key = f"{patient.pk}:{counselor.pk}:{family.pk}"
    conversation = Conversation.objects.filter(direct_key=key).first()
    if conversation is None:
        conversation = Conversation(kind=Conversation.Kind.DIRECT, patient=patient, direct_key=key)
        conversation.full_clean()
        conversation.save()
        Participant.objects.bulk_create(
            [
                Participant(conversation=conversation, user=counselor),
                Participant(conversation=conversation, user=family),
            ]
        )
    if not (can_participate(counselor, conversation) and can_participate(family, conversation)):
        raise PermissionDenied("Not allowed")
    return conversation


def is_open_for_both(conversation: Conversation, viewer: Any, readers: frozenset[int] | None = None) -> bool:
    """Whether ``viewer`` may still write: a shared family thread always; a private conversation while its family
    member may take part; a one-to-one while the other person may. ``readers``: ``participant_ids`` when the
    caller has them (no query then, with the seats prefetched)."""
    if conversation.is_shared:
        return True
    readers = participant_ids(conversation) if readers is None else readers
    seats = {seat.user_id for seat in conversation.participants.all()}
    return _open_with(conversation, viewer.pk, seats, readers)


def _open_with(conversation: Conversation, writer_id: int, seats: set[int], readers: frozenset[int]) -> bool:
    if conversation.is_shared:
        return True
    if conversation.is_private:
        return conversation.member_id in readers
    return seats - {writer_id} <= readers


def closed_text(conversation: Conversation) -> str:
    """Why a conversation no longer takes messages, and where to write instead."""
    if conversation.is_private:
        return gettext("This conversation is closed because the family member can no longer take part.")
    return gettext(
        "This one-to-one is closed because the other person can no longer take part. Family members can write "
        "in their private conversation with the care team instead."
    )


def _seat_user_ids(conversation: Conversation) -> set[int]:
    return set(Participant.objects.filter(conversation_id=conversation.pk).values_list("user_id", flat=True))


# --- Messages -----------------------------------------------------------------------------------------------------


def _locked(conversation: Conversation) -> Conversation:
    """Serialise writes per conversation, so message ids commit in order and replay-by-id never skips one."""
    # of=("self",): PostgreSQL cannot lock the nullable side of the outer join to the patient's program.
    return (
        Conversation.objects.select_for_update(of=("self",)).select_related("patient__program").get(pk=conversation.pk)
    )


@transaction.atomic
def send_message(*, sender: User, conversation: Conversation, body: object, at: datetime | None = None) -> Message:
    """Store a message, move the sender's read position, then push it to the conversation's sockets on commit.

    Six queries whatever the number of people: the gate's answer for everyone at once (``participant_ids``, read
    from the database, so a deactivated or refused sender is caught even if ``sender`` is an older object) checks
    the sender, keeps a one-to-one closed once the other person may no longer take part, gives a seat (read
    state, offline notices) to whoever may take part and has none, and names the recipients in the broadcast."""
    conversation = _locked(conversation)
    recipients = require_participant_among(sender, conversation)
    seats = _seat_user_ids(conversation)
    if not _open_with(conversation, sender.pk, seats, recipients):
        raise ValidationError(closed_text(conversation))
    message = Message(conversation=conversation, sender=sender, body=clean_body(body), created_at=at or timezone.now())
    message.full_clean(exclude=["conversation", "sender"])  # both just checked above: no existence queries
    message.save()
    Conversation.objects.filter(pk=conversation.pk).update(
        last_message_id=message.pk, last_message_at=message.created_at
    )
    _add_seats(conversation, recipients - seats)
    Participant.objects.filter(conversation=conversation, user=sender).update(last_read_message_id=message.pk)
    _broadcast_on_commit(group_name(conversation.pk), _event("message.created", recipients, message=message.as_event()))
    return message


def _add_seats(conversation: Conversation, user_ids: Iterable[int]) -> None:
    """Seats hold read positions and offline-notice state, not permissions: access is always the gate's."""
    seats = [Participant(conversation=conversation, user_id=pk) for pk in sorted(user_ids)]
    if seats:
        Participant.objects.bulk_create(seats, ignore_conflicts=True)


def _event(kind: str, recipients: Iterable[int], **fields: Any) -> dict[str, Any]:
    """A conversation event: ``recipients`` are the user ids the gate allowed when it was made (sockets of anyone
    else check the gate themselves before delivering it)."""
    return {"type": kind, **fields, "recipients": sorted(recipients)}


def _own_message(editor: User, message: Message) -> Message:
    message = (
        Message.objects.select_for_update(of=("self",))
        .select_related("conversation__patient__program")
        .get(pk=message.pk)
    )
    require_participant(editor, message.conversation)
    if message.sender_id != editor.pk:
        raise PermissionDenied("Only the sender may change a message.")
    if message.is_deleted:
        raise ValidationError("This message was deleted.")
    return message


@transaction.atomic
def edit_message(*, editor: User, message: Message, body: object) -> Message:
    """Change the text of one's own message; the previous text is kept as a revision for staff."""
    message = _own_message(editor, message)
    new_body = clean_body(body)
    if new_body == message.body:
        return message
    MessageRevision.objects.create(
        message=message, kind=MessageRevision.Kind.EDITED, previous_body=message.body, changed_by=editor
    )
    message.body = new_body
    message.edited_at = timezone.now()
    message.full_clean()
    message.save(update_fields=["body", "edited_at"])
    _broadcast_update(message)
    return message


@transaction.atomic
def delete_message(*, actor: User, message: Message) -> Message:
    """Remove one's own message from the thread ("Message deleted" stays); staff keep the text as a revision."""
    message = _own_message(actor, message)
    MessageRevision.objects.create(
        message=message, kind=MessageRevision.Kind.DELETED, previous_body=message.body, changed_by=actor
    )
    message.body = ""
    message.deleted_at = timezone.now()
    message.save(update_fields=["body", "deleted_at"])
    _broadcast_update(message)
    return message


def _broadcast_update(message: Message) -> None:
    """An edit or a delete reaches whoever may take part, except family members whose own sharing began after the
    message was written (MSG-01): they never had it."""
    recipients = participant_ids(message.conversation)
    recipients -= withheld_from(message.conversation, message.created_at, recipients)
    event = _event("message.updated", recipients, message=message.as_event())
    _broadcast_on_commit(group_name(message.conversation_id), event)


@transaction.atomic
def mark_read(*, user: User, conversation: Conversation, up_to: int, recipients: frozenset[int] | None = None) -> int:
    """Move ``user``'s "seen up to" position forward (never back); others see it unless receipts are off.
    ``recipients``: ``participant_ids`` when the caller has just asked for them."""
    require_participant(user, conversation)
    latest = Conversation.objects.filter(pk=conversation.pk).values_list("last_message_id", flat=True).get()
    up_to = max(0, min(int(up_to), latest))
    seat, _ = Participant.objects.get_or_create(conversation=conversation, user=user)
    if up_to <= seat.last_read_message_id:
        return seat.last_read_message_id
    Participant.objects.filter(pk=seat.pk, last_read_message_id__lt=up_to).update(last_read_message_id=up_to)
    if user.read_receipts_enabled:
        recipients = participant_ids(conversation) if recipients is None else recipients
        event = _event("read.updated", recipients, user_id=user.pk, name=user.display_name, up_to=up_to)
        _broadcast_on_commit(group_name(conversation.pk), event)
    return up_to


def messages_after(conversation: Conversation, user: User, after_id: int, limit: int = REPLAY_LIMIT) -> list[Message]:
    """What a reconnecting client missed: messages ``user`` may read (``readable_messages``: never from before
    a family member's own sharing of a shared thread) with an id above ``after_id``, oldest first, at most
    ``limit``."""
    require_participant(user, conversation)
    readable = readable_messages(user, conversation).filter(id__gt=max(0, int(after_id)))
    return list(readable.select_related("sender").order_by("id")[:limit])


def thread_messages(
    conversation: Conversation, viewer: Any, *, before: int | None = None
) -> tuple[list[Message], bool]:
    """The newest ``THREAD_PAGE`` messages ``viewer`` may read (before ``before``), oldest first, and whether
    earlier ones they may read exist. One query, the reading cut-off included (MSG-01)."""
    queryset: QuerySet[Message] = readable_messages(viewer, conversation).select_related("sender")
    if before:
        queryset = queryset.filter(id__lt=before)
    newest = list(queryset.order_by("-id")[: THREAD_PAGE + 1])
    return list(reversed(newest[:THREAD_PAGE])), len(newest) > THREAD_PAGE


@transaction.atomic
def set_read_receipts(*, user: User, enabled: bool) -> None:
    """Counselors may stop showing others how far they have read."""
    if not user.is_counselor:
        raise PermissionDenied("Only counselors can turn read receipts off.")
    User.objects.filter(pk=user.pk).update(read_receipts_enabled=enabled)
    user.read_receipts_enabled = enabled


# --- Live events ---------------------------------------------------------------------------------------------------


async def broadcast_typing(*, user: User, conversation_id: Any, recipients: Iterable[int]) -> None:
    """Tell the others in a conversation that ``user`` is typing (ephemeral: nothing is stored); ``recipients``
    come from ``participant_ids`` at the moment the typing frame passed the gate."""
    event = _event("typing.started", recipients, user_id=user.pk, name=user.display_name)
    try:
        await get_channel_layer().group_send(group_name(conversation_id), event)
    except Exception as exc:  # a lost typing hint is harmless
        logger.warning("typing broadcast failed: %s", type(exc).__name__)


def close_user_sockets(*, user_id: int) -> None:
    """After commit, close every socket of a deactivated user with 4403 (WS-04)."""
    _broadcast_on_commit(user_group(user_id), {"type": "force.close"})


def close_consent_sockets(*, consent_id: Any) -> None:
    """After commit, close the sockets opened under a consent that has ended (revoked, expired by event)."""
    _broadcast_on_commit(consent_group(consent_id), {"type": "force.close"})


def close_signed_out_sockets(*, user_id: int) -> None:
    """After commit, close every socket of a user whose sessions all ended (password changed) with 4401 (WS-11)."""
    _broadcast_on_commit(user_group(user_id), {"type": "session.ended"})


def close_session_sockets(*, session_key: str) -> None:
    """After commit, close the sockets of one ended session with 4401 (WS-11)."""
    _broadcast_on_commit(session_group(session_key), {"type": "session.ended"})


def _broadcast_on_commit(group: str, event: dict[str, Any]) -> None:
    transaction.on_commit(lambda: _broadcast(group, event), robust=True)


def _broadcast(group: str, event: dict[str, Any]) -> None:
    """Send to a group; the database already holds the record, so a failure is only logged (no text, no names)."""
    try:
        async_to_sync(get_channel_layer().group_send)(group, event)
    except Exception as exc:  # channel layer down: clients replay by id
        logger.warning("live update %s to %s failed: %s", event.get("type"), group, type(exc).__name__)
