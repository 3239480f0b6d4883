"""The inbox's queries (the conversation list and its start-conversation choices), their SQL compiled once per
process for the gate's list of patients (``family_portal.prepared_lists``; issue #17, H1: building and compiling
these querysets was most of a counselor's inbox).

Each compiled query is the queryset the ORM path builds, from the same model methods and policy grants, with the
gate's answer for the request (``consent.gate.visible_patient_ids``) given as its list of patients: who may see
what is decided exactly as before. A list that does not fit (none, or longer than ``LONGEST``) runs the ORM.

Only a counselor's list is compiled: a family member's conversations read from the start of their own sharing
(``messaging.models.visible_from``), an instant the query is built with rather than given.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

from django.db.models import F, Prefetch, QuerySet

from accounts.models import User
from consent import policy
from consent.gate import instant, recipients_by_patient, visible_patient_ids
from consent.models import Scope
from family_portal.prepared_lists import PreparedList
from messaging.models import Conversation, ConversationQuerySet, Participant

_SEATS = Prefetch("participants", queryset=Participant.objects.select_related("user").order_by("pk"))


def _patients(ids: Collection[Any]) -> QuerySet[User]:
    """``visible_patients`` for a viewer whose answer is ``ids``: the same filter."""
    return User.objects.filter(role=User.Role.PATIENT).filter(pk__in=ids)


def _listed(conversations: ConversationQuerySet, viewer: Any) -> Any:
    return (
        conversations.with_unread(viewer)
        .select_related("patient", "member")
        .order_by(F("last_message_at").desc(nulls_last=True), "-created_at")
    )


def _counselor(pk: int) -> User:
    return User(pk=pk, role=User.Role.COUNSELOR, is_active=True)


_COUNSELOR_LIST = PreparedList(
    lambda ids, viewer: _listed(
        Conversation.objects.visible_among(_counselor(viewer), _patients(ids)), _counselor(viewer)
    ),
    viewer=int,
)


def _direct_seats(ids: list[int], viewer: int) -> QuerySet[Participant]:
    """The seats of the one-to-ones in a counselor's list (their titles name the other person), as ``_SEATS``."""
    direct = Conversation.objects.visible_among(_counselor(viewer), _patients(ids)).filter(
        kind=Conversation.Kind.DIRECT
    )
    return Participant.objects.filter(conversation__in=direct.values("pk")).select_related("user").order_by("pk")


_COUNSELOR_SEATS = PreparedList(_direct_seats, viewer=int)


def listed_conversations(user: Any) -> list[Any]:
    """Every conversation ``user`` may open (``Conversation.objects.visible_to``), with ``with_unread``'s counts,
    the patient and member joined and the one-to-ones' seats loaded, newest activity first. Two queries."""
    if isinstance(user, User) and user.is_counselor and user.is_active:
        ids = visible_patient_ids(user, Scope.MESSAGING)
        rows = _COUNSELOR_LIST.rows(ids, viewer=user.pk)
        seats = _COUNSELOR_SEATS.rows(ids, viewer=user.pk)
        if rows is not None and seats is not None:
            _fill_seats(rows, seats)
            return rows
    return list(_listed(Conversation.objects.visible_to(user), user).prefetch_related(_SEATS))


def _fill_seats(conversations: list[Any], seats: list[Participant]) -> None:
    """Each one-to-one's seats in its ``participants`` cache, as ``prefetch_related`` fills it (an evaluated
    queryset); the other kinds' titles do not read their seats."""
    by_conversation: dict[Any, list[Participant]] = {}
    for seat in seats:
        by_conversation.setdefault(seat.conversation_id, []).append(seat)
    for conversation in conversations:
        if conversation.kind != Conversation.Kind.DIRECT:
            continue
        cached: Any = conversation.participants.all()
        cached._result_cache = by_conversation.get(conversation.pk, [])
        cached._prefetch_done = True
        for seat in cached._result_cache:
            seat.conversation = conversation
        conversation._prefetched_objects_cache = {"participants": cached}


def _pairs(grants: tuple[policy.Grant, ...]) -> PreparedList:
    def build(ids: list[int], at: datetime) -> QuerySet[Any]:
        first, *others = [grant.pairs(at, Scope.MESSAGING, patients=ids) for grant in grants]
        union = first.union(*others, all=True)
        union.query.clear_ordering()
        return union

    return PreparedList(build, at=datetime)


_PAIRS = {grants: _pairs(grants) for grants in [(policy.CONSENT, policy.REPRESENTATIVE), (policy.CASELOAD,)]}


def messaging_recipients(patient_ids: Collection[Any], grants: Iterable[policy.Grant]) -> dict[Any, frozenset[int]]:
    """``consent.gate.recipients_by_patient(patient_ids, messaging, grants=grants)`` now: the same union of the
    policy's grants (``consent.policy.allowed_pairs``), its SQL compiled once for the inbox's two sets of grants."""
    grants = tuple(grants)
    prepared = _PAIRS.get(grants)
    pairs = None if prepared is None else prepared.rows(patient_ids, at=instant())
    if pairs is None:
        return recipients_by_patient(patient_ids, Scope.MESSAGING, grants=grants)
    found: dict[Any, set[int]] = {pk: set() for pk in patient_ids}
    for viewer_id, patient_id in pairs:
        found[patient_id].add(viewer_id)
    return {pk: frozenset(ids) for pk, ids in found.items()}


_USERS = PreparedList(lambda ids: User.objects.filter(pk__in=ids))


def users_by_id(ids: Collection[Any]) -> dict[Any, User]:
    """``User.objects.in_bulk(ids)``, its SQL compiled once."""
    rows = _USERS.rows(ids)
    return User.objects.in_bulk(ids) if rows is None else {user.pk: user for user in rows}
