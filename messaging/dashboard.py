"""Dashboard card: unread conversations. Families see counts only (no names on the dashboard); counselors see
which conversations wait for them."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from consent.gate import visible_patients
from consent.models import Scope
from family_portal.dashboard import Card
from messaging.models import Conversation

SHOWN = 5


def _takes_part(user: Any) -> bool:
    """Whether messaging concerns ``user`` at all; a learner hears nothing about anyone (§ 2.13(c))."""
    if user.is_counselor:
        return True
    if user.is_patient:
        return bool(user.program and user.program.patients_join_care_team)
    if user.is_family:
        return visible_patients(user, Scope.MESSAGING).exists()
    return False


def cards(request: HttpRequest) -> list[Card]:
    user: Any = request.user
    if not getattr(user, "is_authenticated", False) or not _takes_part(user):
        return []
    unread = list(
        Conversation.objects.visible_to(user)
        .with_unread(user)
        .filter(unread__gt=0)
        .select_related("patient")
        .prefetch_related("participants__user")
        .order_by("-last_message_at")
    )
    context = {
        "list_url": reverse("messaging:conversation_list"),
        "unread_total": sum(c.unread for c in unread),
        "unread_conversations": len(unread),
        "items": [(c.title_for(user), c.get_absolute_url(), c.unread) for c in unread[:SHOWN]]
        if user.is_counselor
        else [],
    }
    return [Card(title="Messages", template="messaging/dashboard_card.html", context=context, order=40)]
