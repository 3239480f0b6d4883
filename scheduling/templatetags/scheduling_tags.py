"""Small display helpers for scheduling templates."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def tz_label(zone: Any) -> str:
    """ "America/New_York" → "New York time"; "UTC" stays "UTC"."""
    key = str(zone)
    if "/" not in key:
        return key
    return f"{key.rsplit('/', 1)[-1].replace('_', ' ')} time"
