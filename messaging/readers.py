"""Who reads what is written in a conversation, for the composer (MSG-01: the writer knows who reads).

The readers are exactly ``messaging.access.participant_ids``: the gate's answer that also decides who a message is
delivered to, so the composer cannot promise one audience while the message reaches another. Shown by name and the
role the server knows for each account (AUTH-13), care team first.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from accounts.models import User
from messaging.models import Conversation
from messaging.roles import SenderRole, sender_role

_ROLE_ORDER = {SenderRole.CARE_TEAM: 0, SenderRole.FAMILY: 1, SenderRole.PATIENT: 2}


@dataclass(frozen=True)
class Reader:
    name: str
    role: SenderRole


def composer_readers(conversation: Conversation, viewer: Any, reader_ids: Collection[int]) -> list[Reader]:
    """Everyone but ``viewer`` among ``reader_ids``, care team first, then family, then the patient, by name.

    Users come from the conversation's prefetched seats; readers without a seat yet (someone whose access began
    since the last message, a private thread's first visit) are loaded in one query, so the count never grows
    with the number of readers."""
    known: dict[int, User] = {seat.user_id: seat.user for seat in conversation.participants.all()}
    missing = set(reader_ids) - set(known) - {viewer.pk}
    if missing:
        known |= User.objects.in_bulk(missing)
    people = [known[pk] for pk in reader_ids if pk != viewer.pk and pk in known]
    readers = [Reader(person.display_name, sender_role(person)) for person in people]
    return sorted(readers, key=lambda r: (_ROLE_ORDER[r.role], r.name.casefold(), r.name))
