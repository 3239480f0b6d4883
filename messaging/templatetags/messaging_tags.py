"""``{% load messaging_tags %}{% unread_badge %}``: the unread-message count for the navigation."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.translation import ngettext

from messaging import unread

register = template.Library()


def unread_total(user: Any) -> int:
    """Unread messages from others across every conversation ``user`` may open (cached: ``messaging.unread``)."""
    return unread.counts(user)[0]


def remember_unread_total(request: Any, count: int) -> None:
    """Let a page that already counted the viewer's unread messages (the dashboard card) give the badge that
    number instead of a second query. ``count`` must be ``unread_total(request.user)`` for the same request."""
    request._messaging_unread = count


@register.simple_tag(takes_context=True)
def unread_badge(context: template.Context) -> str:
    """A count badge, or nothing when all is read. Computed once per request."""
    request = context.get("request")
    if request is None:
        return ""
    if not hasattr(request, "_messaging_unread"):
        request._messaging_unread = unread_total(getattr(request, "user", None))
    count = request._messaging_unread
    if not count:
        return ""
    noun = ngettext("unread message", "unread messages", count)
    return format_html(
        '<span class="badge-count" data-unread-badge>{}<span class="visually-hidden"> {}</span></span>', count, noun
    )
