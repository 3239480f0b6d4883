"""The inbox's rows: each listed conversation's link, title, unread badge and last-message time, and each
section's ``<li>`` markup built in Python (issue #17, H1), byte for byte what the template's loop wrote
(``tests/messaging/test_inbox_rows_markup.py`` keeps that loop and compares)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.formats import get_format, localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from messaging.models import Conversation

_PLACEHOLDER = UUID(int=0)


@dataclass
class ListRow:
    """One conversation as the list shows it, its link, unread badge and last-message time worked out here."""

    conversation: Any
    title: str
    last_message_at: Any  # None when there is nothing the viewer may read yet
    url: str = ""
    unread_text: str = ""  # "" when nothing is unread
    last_iso: str = ""  # the time element's machine-readable datetime
    last_text: str = ""  # when, in the viewer's time zone

    @classmethod
    def of(cls, conversation: Any, viewer: User, last: Any, *, url: str = "", when_format: str = "") -> ListRow:
        """``url``: the conversation's link when the caller has it (``Rows.url``), else reversed here;
        ``when_format``: the ``MONTH_DAY_TIME_FORMAT`` of the active language when the caller has it."""
        n = conversation.unread
        return cls(
            conversation,
            conversation.title_for(viewer),
            last,
            url=url or conversation.get_absolute_url(),
            unread_text=ngettext("%(n)s unread", "%(n)s unread", n) % {"n": localize(n)} if n else "",
            last_iso=timezone.localtime(last).isoformat() if last else "",  # the "c" format is isoformat()
            last_text=dateformat.format(
                timezone.localtime(last, viewer.tz), when_format or get_format("MONTH_DAY_TIME_FORMAT")
            )
            if last
            else "",
        )

    def html(self, last_message: str, no_messages: str) -> str:
        """The row's ``<li>`` as the list's loop wrote it, the two fixed texts given already escaped."""
        e = conditional_escape
        badge = f'<span class="badge badge-warn">{e(self.unread_text)}</span>' if self.unread_text else ""
        if self.last_message_at:
            when = f'{last_message} <time datetime="{e(self.last_iso)}">{e(self.last_text)}</time>'
        else:
            when = no_messages
        return (
            '\n  <li class="conversation-item">\n'
            f'    <a class="conversation-link" href="{e(self.url)}">\n'
            f'      <span class="conversation-title">{e(self.title)}</span>\n'
            f"      {badge}\n"
            "    </a>\n"
            '    <span class="helptext">\n'
            f"      {when}\n"
            "    </span>\n"
            "  </li>\n  "
        )


@dataclass
class ListSection:
    key: str
    heading: str
    note: str
    rows: list[ListRow]

    @property
    def rows_html(self) -> SafeString:
        """Every row's ``<li>``, escaped, as the template's ``{% for row in section.rows %}`` wrote them."""
        last_message, no_messages = conditional_escape(_("Last message")), conditional_escape(_("No messages yet"))
        return mark_safe("".join(row.html(last_message, no_messages) for row in self.rows))  # noqa: S308 (escaped)


class _Links:
    """Conversation links from one ``reverse`` per page: the path with a placeholder id, the id put in its place
    (the UUID converter writes ``str(uuid)``, so the result is what ``reverse`` gives)."""

    def __init__(self) -> None:
        self._pattern = reverse("messaging:conversation", args=[_PLACEHOLDER])
        self._placeholder = str(_PLACEHOLDER)

    def url(self, conversation: Conversation) -> str:
        pk = conversation.pk
        if type(pk) is not UUID or self._pattern.count(self._placeholder) != 1:
            return conversation.get_absolute_url()
        return self._pattern.replace(self._placeholder, str(pk))


def sections(user: User, conversations: list[Any]) -> list[ListSection]:
    """The listed conversations by kind, each kind under a heading that says who reads it."""
    family = user.is_family
    listed = [
        ListSection(
            "private",
            _("Private with the care team") if family else _("Private family conversations"),
            _("Only you and the care team read these.")
            if family
            else _("Each family member's private conversation with the care team. Other family members never see it."),
            [],
        ),
        ListSection(
            "shared",
            _("Shared family threads"),
            _(
                "Read by the care team and every family member who takes part. A family member who joins later "
                "sees only what is written from then on."
            ),
            [],
        ),
        ListSection("direct", _("One-to-one conversations"), _("Between one counselor and one family member."), []),
    ]
    by_kind = {
        Conversation.Kind.FAMILY_PRIVATE: listed[0],
        Conversation.Kind.CARE_TEAM: listed[1],
        Conversation.Kind.DIRECT: listed[2],
    }
    links = _Links() if conversations else None
    when_format = get_format("MONTH_DAY_TIME_FORMAT")
    for c in conversations:
        since = c.visible_from
        last = c.last_message_at if since is not None and c.last_message_at and c.last_message_at >= since else None
        url = links.url(c) if links is not None else ""
        by_kind[c.kind].rows.append(ListRow.of(c, user, last, url=url, when_format=when_format))
    return [section for section in listed if section.rows]
