"""Each inbox section's rows built in Python (``messaging.inbox_rows``) are what the template's loop wrote, byte for
byte, in English and Spanish, for titles that need escaping, unread badges and threads with no message yet."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from uuid import UUID

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from messaging.inbox_rows import ListRow, ListSection, _Links

# The loop as templates/messaging/conversation_list.html had it before the rows were built in Python.
LOOP = Template(
    """{% load i18n %}{% for row in section.rows %}
  <li class="conversation-item">
    <a class="conversation-link" href="{{ row.url }}">
      <span class="conversation-title">{{ row.title }}</span>
      {% if row.unread_text %}<span class="badge badge-warn">{{ row.unread_text }}</span>{% endif %}
    </a>
    <span class="helptext">
      {% if row.last_message_at %}{% translate "Last message" %} <time datetime="{{ row.last_iso }}">{{ row.last_text }}</time>{% else %}{% translate "No messages yet" %}{% endif %}
    </span>
  </li>
  {% endfor %}"""  # noqa: E501
)


def _conversation(n: int, unread: int, title: str) -> Any:
    pk = UUID(int=n + 1)
    return SimpleNamespace(
        pk=pk,
        unread=unread,
        title_for=lambda viewer: title,
        get_absolute_url=lambda: reverse("messaging:conversation", args=[pk]),
    )


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_rows_are_the_loops_markup(language: str) -> None:
    viewer: Any = SimpleNamespace(pk=1, tz=UTC)
    at = datetime(2026, 3, 4, 1, 30, tzinfo=UTC)
    with translation.override(language):
        rows = [
            ListRow.of(_conversation(1, 3, 'Ana <b>"Nana"</b> & Co (about O\'Brien)'), viewer, at),
            ListRow.of(_conversation(2, 0, "Plain"), viewer, None),
            ListRow.of(_conversation(3, 1200, "Many"), viewer, at),
        ]
        section = ListSection("shared", "Heading", "Note", rows)
        assert section.rows_html == LOOP.render(Context({"section": section}))
    assert "&lt;b&gt;&quot;Nana&quot;&lt;/b&gt; &amp; Co" in section.rows_html


def test_a_link_from_the_placeholder_is_reverses() -> None:
    conversation: Any = SimpleNamespace(pk=UUID("12345678-1234-5678-1234-567812345678"))
    assert _Links().url(conversation) == reverse("messaging:conversation", args=[conversation.pk])
