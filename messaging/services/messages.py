"""Messages: send, edit, delete, mark read, replay and page a thread. Every write is atomic and re-checks
``can_participate``; each event carries ``recipients`` (the gate's ``participant_ids`` in the same transaction), so a
socket delivers it without a query (performance plan §7.7)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from consent.gate import instant
from family_portal.prepared import Prepared, PreparedUpdate
from messaging import unread
from messaging.access import (
    participant_ids,
    readable_messages,
    require_participant,
    require_participant_among,
    withheld_from,
)
from messaging.models import Conversation, Message, MessageRevision, Participant
from messaging.services.conversations import closed_text, open_with, seat_user_ids
from messaging.services.live import broadcast_on_commit, conversation_event, group_name
from messaging.text import clean_body

REPLAY_LIMIT = 200
THREAD_PAGE = 100


# of=("self",): PostgreSQL cannot lock the nullable side of the outer join to the patient's program. Compiled once
# (``family_portal.prepared``): the lock is taken on every message.
_LOCK = Prepared(
    lambda pk: Conversation.objects.select_for_update(of=("self",)).select_related("patient__program").filter(pk=pk),
    pk=uuid.UUID,
)


_LATEST = PreparedUpdate(
    lambda pk, message_id, at: (
        Conversation.objects.filter(pk=pk),
        {"last_message_id": message_id, "last_message_at": at},
    ),
    pk=uuid.UUID,
    message_id=int,
    at=datetime,
)
_SENDER_READ = PreparedUpdate(
    lambda pk, user_id, message_id: (
        Participant.objects.filter(conversation_id=pk, user_id=user_id),
        {"last_read_message_id": message_id},
    ),
    pk=uuid.UUID,
    user_id=int,
    message_id=int,
)


def _locked(conversation: Conversation) -> Conversation:
    """Serialise writes per conversation, so message ids commit in order and replay-by-id never skips one."""
    found = _LOCK.rows(pk=conversation.pk)
    if not found:
        raise Conversation.DoesNotExist("Conversation matching query does not exist.")
    return found[0]  # type: ignore[no-any-return]


@transaction.atomic
def send_message(*, sender: User, conversation: Conversation, body: object, at: datetime | None = None) -> Message:
    """Store a message, move the sender's read position, then push it to the conversation's sockets on commit.

    Six queries whatever the number of people: the gate's answer for everyone at once (``participant_ids``, read
    from the database, so a deactivated or refused sender is caught even if ``sender`` is an older object) checks
    the sender, keeps a one-to-one closed once the other person may no longer take part, gives a seat (read
    state, offline notices) to whoever may take part and has none, and names the recipients in the broadcast."""
    conversation = _locked(conversation)
    recipients = require_participant_among(sender, conversation)
    seats = seat_user_ids(conversation)
    if not open_with(conversation, sender.pk, seats, recipients):
        raise ValidationError(closed_text(conversation))
    message = Message(conversation=conversation, sender=sender, body=clean_body(body), created_at=at or timezone.now())
    message.full_clean(exclude=["conversation", "sender"])  # both just checked above: no existence queries
    message.save()
    _LATEST.update(pk=conversation.pk, message_id=message.pk, at=message.created_at)
    _add_seats(conversation, recipients - seats)
    _SENDER_READ.update(pk=conversation.pk, user_id=sender.pk, message_id=message.pk)
    broadcast_on_commit(
        group_name(conversation.pk), conversation_event("message.created", recipients, message=message.as_event())
    )
    return message


def _add_seats(conversation: Conversation, user_ids: Iterable[int]) -> None:
    """Seats hold read positions and offline-notice state, not permissions: access is always the gate's."""
    seats = [Participant(conversation=conversation, user_id=pk) for pk in sorted(user_ids)]
    if seats:
        Participant.objects.bulk_create(seats, ignore_conflicts=True)


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
        raise ValidationError(_("This message was deleted."))
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
    event = conversation_event("message.updated", recipients, message=message.as_event())
    broadcast_on_commit(group_name(message.conversation_id), event)


@transaction.atomic
def mark_read(*, user: User, conversation: Conversation, up_to: int, recipients: frozenset[int] | None = None) -> int:
    """Move ``user``'s "seen up to" position forward (never back); others see it unless receipts are off.
    ``recipients``: ``participant_ids`` when the caller has just asked for them."""
    require_participant(user, conversation)
    latest = Conversation.objects.filter(pk=conversation.pk).values_list("last_message_id", flat=True).get()
    up_to = max(0, min(int(up_to), latest))
    seat, _created = Participant.objects.get_or_create(conversation=conversation, user=user)
    if up_to <= seat.last_read_message_id:
        return seat.last_read_message_id
    Participant.objects.filter(pk=seat.pk, last_read_message_id__lt=up_to).update(last_read_message_id=up_to)
    unread.changed([conversation.patient_id])
    if user.read_receipts_enabled:
        recipients = participant_ids(conversation) if recipients is None else recipients
        event = conversation_event("read.updated", recipients, user_id=user.pk, name=user.display_name, up_to=up_to)
        broadcast_on_commit(group_name(conversation.pk), event)
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
    earlier ones they may read exist. One query, the reading cut-off included (MSG-01); its SQL compiled once per
    kind of conversation and role of viewer (``family_portal.prepared``), the ORM's when a value does not fit."""
    at = instant()
    newest = _compiled_page(conversation, viewer, before, at)
    if newest is None:
        newest = list(_newest(readable_messages(viewer, conversation, at), before))
    return list(reversed(newest[:THREAD_PAGE])), len(newest) > THREAD_PAGE


def _compiled_page(conversation: Conversation, viewer: Any, before: int | None, at: datetime) -> list[Message] | None:
    """``thread_messages``'s rows through its compiled query, or ``None`` when a value does not fit the compiled
    SQL (``Prepared`` raises ``TypeError``) or the viewer is no user: the caller asks the ORM."""
    if not isinstance(viewer, User):
        return None
    try:
        return _thread_query(conversation.kind, viewer.role, bool(before)).rows(
            pk=conversation.pk, viewer=viewer.pk, patient=conversation.patient_id, at=at, before=before or 0
        )
    except TypeError:
        return None


def _newest(readable: QuerySet[Message], before: int | None) -> QuerySet[Message]:
    """The page's query: the newest readable messages (before ``before``) with their senders, one more than a page."""
    if before:
        readable = readable.filter(id__lt=before)
    return readable.select_related("sender").order_by("-id")[: THREAD_PAGE + 1]


_THREAD_QUERIES: dict[tuple[str, str, bool], Prepared] = {}


def _thread_query(kind: str, role: str, paged: bool) -> Prepared:
    """``thread_messages``'s query for a kind of conversation and a role of viewer, built by ``readable_messages``
    itself from a conversation and a viewer that carry only the values the rule reads (so the cut-off stays where
    it is written), with the viewer, patient, instant and ``before`` as values."""
    key = (kind, role, paged)
    if (prepared := _THREAD_QUERIES.get(key)) is None:

        def build(pk: uuid.UUID, viewer: int, patient: int, at: datetime, before: int) -> QuerySet[Message]:
            reader = User(pk=viewer, role=role)
            conversation = Conversation(pk=pk, kind=kind, patient_id=patient)
            return _newest(readable_messages(reader, conversation, at), before if paged else None)

        prepared = Prepared(build, pk=uuid.UUID, viewer=int, patient=int, at=datetime, before=int)
        _THREAD_QUERIES[key] = prepared
    return prepared


@transaction.atomic
def set_read_receipts(*, user: User, enabled: bool) -> None:
    """Counselors may stop showing others how far they have read."""
    if not user.is_counselor:
        raise PermissionDenied("Only counselors can turn read receipts off.")
    User.objects.filter(pk=user.pk).update(read_receipts_enabled=enabled)
    user.read_receipts_enabled = enabled
