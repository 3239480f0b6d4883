"""Message text: cleaning what people type, and making http(s) links clickable without ever trusting markup.

A body is split into text and link parts; templates escape every part, and chat.js builds DOM nodes from the same
parts (no innerHTML), so a message can never inject HTML. Only ``http://`` and ``https://`` become links.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

MAX_BODY_CHARS = 4000
LINK_REL = "noopener noreferrer nofollow"

_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?*"
# Control characters other than tab and newline (PostgreSQL also refuses NUL in text).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_body(raw: object) -> str:
    """Normalise newlines, drop control characters and trim; refuse empty or over-long messages."""
    if not isinstance(raw, str):
        raise ValidationError(_("Write a message before sending."), code="required")
    body = _CONTROL.sub("", raw.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if not body:
        raise ValidationError(_("Write a message before sending."), code="required")
    if len(body) > MAX_BODY_CHARS:
        raise ValidationError(
            ngettext(
                "Messages can be up to %(limit)s characters; this one has %(count)s. "
                "Please shorten it or split it in two.",
                "Messages can be up to %(limit)s characters; this one has %(count)s. "
                "Please shorten it or split it in two.",
                len(body),
            )
            % {
                "limit": number_format(MAX_BODY_CHARS, force_grouping=True),
                "count": number_format(len(body), force_grouping=True),
            },
            code="max_length",
        )
    return body


def _trim_url(url: str) -> str:
    """Leave sentence punctuation and an unbalanced closing bracket outside the link."""
    while url and (url[-1] in _TRAILING or (url[-1] == ")" and url.count(")") > url.count("("))):
        url = url[:-1]
    return url


def body_parts(body: str) -> list[dict[str, str]]:
    """Split ``body`` into ``{"text": ...}`` and ``{"url": ...}`` parts, in order."""
    parts: list[dict[str, str]] = []
    position = 0
    for match in _URL.finditer(body):
        url = _trim_url(match.group(0))
        if len(url) <= len("https://"):
            continue
        start, end = match.start(), match.start() + len(url)
        if start > position:
            parts.append({"text": body[position:start]})
        parts.append({"url": url})
        position = end
    if position < len(body):
        parts.append({"text": body[position:]})
    return parts


def render_body(body: str) -> SafeString:
    """HTML for a message body: every part escaped, links with ``rel="noopener noreferrer nofollow"``."""
    html = []
    for part in body_parts(body):
        if "url" in part:
            html.append(format_html('<a href="{}" rel="{}">{}</a>', part["url"], LINK_REL, part["url"]))
        else:
            html.append(escape(part["text"]))
    return mark_safe("".join(html))  # noqa: S308  (each piece is escaped above)
