"""Dashboard cards: staff see messages that need attention; everyone else sees their text-message settings."""

from __future__ import annotations

from typing import cast

from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts.models import User
from family_portal.dashboard import Card
from notifications.models import OutboxMessage
from notifications.views import outbox_rows_for, phone_status


def cards(request: HttpRequest) -> list[Card]:
    if not request.user.is_authenticated:
        return []
    user = cast(User, request.user)
    if user.is_care_staff:
        counts = outbox_rows_for(user).aggregate(
            dead=Count("pk", filter=Q(state=OutboxMessage.State.DEAD)),
            flagged=Count("pk", filter=Q(flagged=True)),
        )
        return [Card(_("Texts and emails"), "notifications/cards/staff.html", counts, order=80)]
    status = phone_status(user)
    status.pop("phone", None)
    return [Card(_("Text message reminders"), "notifications/cards/family.html", status, order=80)]
