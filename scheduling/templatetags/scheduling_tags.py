"""Small display helpers for scheduling templates."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def tz_label(zone: Any) -> str:
    """ "America/New_York" → "New York time"; "UTC" stays "UTC"."""
    key = str(zone)
    if "/" not in key:
        return key
    return _("%(place)s time") % {"place": key.rsplit("/", 1)[-1].replace("_", " ")}


@register.filter
def attendance_label(value: str) -> str:
    """An attendance mark ("late") as people read it ("Late"), in the active language."""
    from scheduling.models import Participant

    try:
        return str(Participant.Attendance(value).label)
    except ValueError:
        return value
