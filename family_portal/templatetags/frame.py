"""``{% load frame %}``: ``{% main_nav %}``, the main navigation's links (``family_portal.chrome``), and
``{% frame_once %}…{% endframe_once %}``, a part of the frame rendered once (``family_portal.frame_once``); for
base.html."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from family_portal import chrome
from family_portal.frame_once import frame_once
from messaging.templatetags.messaging_tags import unread_badge

register = template.Library()
register.tag("frame_once", frame_once)


@register.simple_tag(takes_context=True)
def main_nav(context: template.Context) -> SafeString:
    """The signed-in person's navigation items, "Home" to "Account", the unread badge after "Messages"."""
    return chrome.main_nav(context["request"], unread_badge(context))
