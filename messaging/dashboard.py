"""Dashboard card: unread conversations. Families see counts only (no names on the dashboard); counselors see
which conversations wait for them."""

from __future__ import annotations

from typing import Any

from django.db.models import prefetch_related_objects
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from consent.models import Scope
from family_portal.dashboard import Card, visible_patient_ids
from messaging import unread
from messaging.models import Conversation
from messaging.templatetags.messaging_tags import remember_unread_total

SHOWN = 5


def _takes_part(request: HttpRequest, user: Any) -> bool:
    """Whether messaging concerns ``user`` at all; a learner hears nothing about anyone (§ 2.13(c))."""
    if user.is_counselor:
        return True
    if user.is_patient:
        return bool(user.program and user.program.patients_join_care_team)
    if user.is_family:
        return bool(visible_patient_ids(request, Scope.MESSAGING))
    return False


def cards(request: HttpRequest) -> list[Card]:
    user: Any = request.user
    if not getattr(user, "is_authenticated", False) or not _takes_part(request, user):
        return []
    items: list[tuple[str, str, int]] = []
    if user.is_counselor:
        waiting = Conversation.objects.visible_to(user).with_unread(user).filter(unread__gt=0)
        rows = list(waiting.select_related("patient", "member").order_by("-last_message_at"))
        total, conversations = sum(c.unread for c in rows), len(rows)
        shown = rows[:SHOWN]
        # Only one-to-one titles name the other participants.
        prefetch_related_objects([c for c in shown if c.kind == Conversation.Kind.DIRECT], "participants__user")
        items = [(c.title_for(user), c.get_absolute_url(), c.unread) for c in shown]
    else:
        total, conversations = unread.counts(user)  # counts only: cached, like the badge
    remember_unread_total(request, total)  # the navigation badge shows the same number
    context = {
        "list_url": reverse("messaging:conversation_list"),
        # A family member's default conversation is private with the care team (MSG-01).
        "private_url": reverse("messaging:care_team") if user.is_family else "",
        "unread_total": total,
        "unread_conversations": conversations,
        "items": items,
    }
    return [Card(title=_("Messages"), template="messaging/dashboard_card.html", context=context, order=40)]
