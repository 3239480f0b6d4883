"""``{% load scheduling_card %}{% upcoming_card_rows ctx %}``: the dashboard sessions card's rows
(``scheduling.card_rows``)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

from scheduling.card_rows import card_rows

register = template.Library()


@register.simple_tag(takes_context=True)
def upcoming_card_rows(context: template.Context, ctx: dict[str, Any]) -> SafeString:
    """Each upcoming session's line, badge and answer form, as the card's loop wrote them."""
    return card_rows(context, ctx)
