"""The dashboard sessions card's rows (templates/scheduling/cards/family.html), written in Python (issue #17, H1).

Each upcoming session was a dozen template nodes: two ``reverse`` calls, four date filters, a badge chosen by five
``{% if %}`` and an answer form with a button per choice. ``card_rows`` writes the same HTML, byte for byte, as
those nodes did (tests/scheduling/test_card_rows.py renders both): values escaped as the template escapes them,
dates in the card's time zone (``{% timezone %}`` around the call) through the formats the filters used.
"""

from __future__ import annotations

from typing import Any

from django.template import Context
from django.urls import reverse
from django.utils import formats
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]
from django.utils.translation import gettext, gettext_noop

_SAMPLE = "00000000-0000-4000-8000-000000000000"

_ROW = """
  <li>
    <p><a href="{url}"><strong>{heading}</strong></a><br>
      <time datetime="{starts_iso}">{starts}</time>–<time datetime="{ends_iso}">{ends}</time>
<br>
      <span class="muted">{modality}</span> {badge}
</p>
    {form}
  </li>
  """
_FORM = """
<form method="post" action="{action}" class="rsvp-form">
  {csrf}
  {next}
  <fieldset class="rsvp-group">
    <legend>{legend}</legend>
    {buttons}
  </fieldset>
</form>
"""
_BUTTON = """
    <button type="submit" name="response" value="{value}" class="button{secondary}"{pressed}>{label}</button>
    """
# The badge of each answer (scheduling/_rsvp_badge.html): its class and its msgid.
BADGES = (
    ("accepted", ("badge-ok", gettext_noop("You’re going"))),
    ("tentative", ("badge-warn", gettext_noop("Maybe"))),
    ("declined", ("badge-neutral", gettext_noop("Not going"))),
    ("waitlisted", ("badge-warn", gettext_noop("On the waiting list"))),
    ("invited", ("badge-warn", gettext_noop("Please reply"))),
)


def _text(value: Any) -> str:
    """``{{ value }}`` as the template writes a string."""
    return str(conditional_escape(value))


def _date(value: Any, format_name: str, use_tz: bool | None) -> str:
    """``{{ value|date:format_name }}``."""
    if value in (None, ""):
        return ""
    return _text(formats.date_format(template_localtime(value, use_tz), format_name))


def card_rows(context: Context, ctx: dict[str, Any]) -> SafeString:
    """The ``<li>`` of each of ``ctx["upcoming"]`` as the card's loop wrote them."""
    sessions = ctx.get("upcoming") or []
    if not sessions:
        return SafeString("")
    detail = reverse("scheduling:session_detail", args=[_SAMPLE])
    rsvp = reverse("scheduling:rsvp", args=[_SAMPLE])
    badges = {answer: f'<span class="badge {css}">{_text(gettext(msgid))}</span>' for answer, (css, msgid) in BADGES}
    csrf = _csrf_field(context)
    next_url = ctx.get("next")
    next_field = f'<input type="hidden" name="next" value="{_text(next_url)}">' if next_url else ""
    legend = _text(gettext("Will you come?"))
    choices = [(value, _text(value), _text(label)) for value, label in ctx.get("rsvp_choices") or []]
    use_tz = context.use_tz
    rows = []
    for session in sessions:
        pk = str(session.pk)
        my_rsvp = getattr(session, "my_rsvp", None)
        form = ""
        if my_rsvp or session.is_open_event:
            buttons = "".join(
                _BUTTON.format(
                    value=value_text,
                    secondary="" if my_rsvp == value else " button-secondary",
                    pressed=' aria-pressed="true"' if my_rsvp == value else ' aria-pressed="false"',
                    label=label_text,
                )
                for value, value_text, label_text in choices
            )
            form = _FORM.format(
                action=_text(rsvp.replace(_SAMPLE, pk, 1)),
                csrf=csrf,
                next=next_field,
                legend=legend,
                buttons=buttons,
            )
        rows.append(
            _ROW.format(
                url=_text(detail.replace(_SAMPLE, pk, 1)),
                heading=_text(session.heading),
                starts_iso=_date(session.starts_at, "c", use_tz),
                starts=_date(session.starts_at, "FULL_DATETIME_FORMAT", use_tz),
                ends_iso=_date(session.ends_at, "c", use_tz),
                ends=_date(session.ends_at, "TIME_ZONE_FORMAT", use_tz),
                modality=_text(session.get_modality_display()),
                badge=badges.get(my_rsvp, "") if isinstance(my_rsvp, str) else "",
                form=form,
            )
        )
    return mark_safe("".join(rows))  # noqa: S308  (every value is escaped above)


def _csrf_field(context: Context) -> str:
    """``{% csrf_token %}``."""
    token = context.get("csrf_token")
    if not token or token == "NOTPROVIDED":  # noqa: S105  (CsrfTokenNode's marker, not a secret)
        return ""
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{_text(token)}">'
