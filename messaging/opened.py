"""The conversation a page opens, with its patient, program, member and seats, in one query (issue #17).

Everyone but family members gets it through ``Conversation.objects.visible_to`` (the consent gate's patients in the
query, AZ-03). A family member's page, the portal's most frequent, loads it by id through SQL compiled once per
process (``family_portal.prepared``) and then asks ``family_may_open``: the same rule as ``visible_to`` answered
from the row and the gate's answer for the viewer (``consent.gate.visibility``, already in memory for the request),
so nothing is shown and no ledger row written for a conversation ``visible_to`` would not return
(``tests/messaging/test_opened.py`` checks the two agree).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import FilteredRelation, QuerySet
from django.http import Http404

from accounts.models import User
from consent.gate import visibility
from consent.models import Scope
from family_portal.prepared import Prepared
from messaging.models import Conversation


def _with_seats(conversations: QuerySet[Conversation]) -> Any:  # Any: the stubs do not know FilteredRelation's joins
    """The seats in a LEFT JOIN, one row per seat (one row without a seat when nobody has one yet), rather than as
    a second query."""
    seated: Any = conversations.annotate(seat=FilteredRelation("participants"))
    return seated.select_related("patient__program", "member", "seat__user").order_by("seat__id")


_BY_ID = Prepared(lambda pk: _with_seats(Conversation.objects.filter(pk=pk)), pk=UUID)


def opened_conversation(user: Any, conversation_id: Any) -> Conversation:
    """The conversation if ``user`` may open it (else 404), its seats loaded: ``participants.all()`` answers from
    them without a query."""
    if isinstance(user, User) and user.is_family and isinstance(conversation_id, UUID):
        rows = _BY_ID.rows(pk=conversation_id)
        if rows and not family_may_open(user, rows[0], [getattr(row, "seat", None) for row in rows]):
            rows = []
    else:
        rows = list(_with_seats(Conversation.objects.visible_to(user).filter(pk=conversation_id)))
    if not rows:
        raise Http404("No conversation matches the given query.")
    return _seated(rows)


def family_may_open(user: User, conversation: Conversation, seats: list[Any]) -> bool:
    """``Conversation.objects.visible_to(user)`` for one family member and one conversation loaded with its patient
    and its seats (``None`` for the row of a conversation without any): an active member, a patient the gate lets
    them see messages of, and the shared thread, their own private thread, or a one-to-one they are seated in."""
    if not (user.is_authenticated and user.is_active and user.is_family):
        return False
    kinds = Conversation.Kind
    if conversation.kind == kinds.FAMILY_PRIVATE and conversation.member_id != user.pk:
        return False
    if conversation.kind == kinds.DIRECT and not any(seat is not None and seat.user_id == user.pk for seat in seats):
        return False
    if conversation.kind not in (kinds.CARE_TEAM, kinds.FAMILY_PRIVATE, kinds.DIRECT):
        return False
    patients = visibility(user).patient_ids(Scope.MESSAGING) or ()  # as ``consent.gate.visible_patients``
    return conversation.patient.role == User.Role.PATIENT and conversation.patient_id in patients


def _seated(rows: list[Any]) -> Conversation:
    """The first row's conversation with every row's seat in its ``participants`` cache, filled as
    ``prefetch_related`` fills it: an evaluated queryset."""
    conversation: Any = rows[0]
    seats: Any = conversation.participants.all()
    seats._result_cache = [row.seat for row in rows if getattr(row, "seat", None) is not None]  # None: no seat
    seats._prefetch_done = True
    for seat in seats._result_cache:
        seat.conversation = conversation
    conversation._prefetched_objects_cache = {"participants": seats}
    return conversation  # type: ignore[no-any-return]
