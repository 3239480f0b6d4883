"""The insights page's two date fields, rendered once per range and language instead of on every page (issue #17).

A valid range's fields are the same markup whenever the same two days are shown in the same language (the
``_field.html`` include and Django's widget templates: about a tenth of the page's rendering). They describe
dates, nothing about anyone, so they are kept per process (a small LRU). A form with errors (the 400 page) is
rendered every time.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from django.template import Context, Engine
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from console.insights.dates import DateRangeForm

FIELDS = '{% for field in form %}{% include "_field.html" %}{% endfor %}'  # what _charts.html's loop was


def range_fields(form: DateRangeForm, shown: tuple[date, date] | None) -> SafeString:
    """``form``'s fields as the template's loop writes them; ``shown`` is the checked range ``form`` shows (its
    fields are then taken from the kept markup), ``None`` for a form with errors."""
    if shown is None or form.errors:
        return _render(form)
    return _kept(shown[0], shown[1], form.today, get_language())


@lru_cache(maxsize=256)
def _kept(start: date, end: date, today: date, language: str | None) -> SafeString:
    form = DateRangeForm({"start": start.isoformat(), "end": end.isoformat()}, today=today)
    form.is_valid()
    return _render(form)


def _render(form: DateRangeForm) -> SafeString:
    return mark_safe(Engine.get_default().from_string(FIELDS).render(Context({"form": form})))  # noqa: S308
