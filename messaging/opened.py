"""The conversation a page opens, with its patient, program, member and seats, in one query (issue #17).

Everyone but family members gets it through ``Conversation.objects.visible_to`` (the consent gate's patients in the
query, AZ-03). A family member's page, the portal's most frequent, loads it by id through SQL compiled once per
process (``family_portal.prepared``) and then asks ``messaging.access.can_participate`` (the rule ``visible_to``
mirrors as one query) with the seats it loaded and the gate's answer already in memory for the request, so nothing
is shown and no ledger row written for a conversation ``visible_to`` would not return
(``tests/messaging/test_opened.py`` checks the two agree).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import FilteredRelation, QuerySet
from django.http import Http404

from accounts.models import User
from family_portal.prepared import Prepared
from messaging.access import can_participate
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
    """``can_participate`` for one family member and a conversation loaded with its patient and its seats
    (``None`` for the row of a conversation without any), answered from those seats and the request's gate memo."""
    return user.is_family and can_participate(user, conversation, seated={s.user_id for s in seats if s is not None})


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
