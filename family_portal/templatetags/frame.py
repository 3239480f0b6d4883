"""``{% load frame %}{% main_nav %}``: the main navigation's links (``family_portal.chrome``), for base.html."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from family_portal import chrome
from messaging.templatetags.messaging_tags import unread_badge

register = template.Library()


@register.simple_tag(takes_context=True)
def main_nav(context: template.Context) -> SafeString:
    """The signed-in person's navigation items, "Home" to "Account", the unread badge after "Messages"."""
    return chrome.main_nav(context["request"], unread_badge(context))
