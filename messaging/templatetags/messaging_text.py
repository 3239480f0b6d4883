"""``{{ message.body|render_body }}``: escaped text with safe http(s) links."""

from django import template
from django.utils.safestring import SafeString

from messaging.text import render_body as _render_body

register = template.Library()


@register.filter
def render_body(value: str) -> SafeString:
    return _render_body(value or "")
