"""A thread's messages as the conversation page shows them, each row's markup built in Python.

The page formats a hundred rows; filters, tags and an include per row cost ten times what these few string
operations do. ``static/js/chat.js`` writes the same ``<li>`` for live messages, so the two must agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from accounts.models import User
from messaging.models import Conversation, Message
from messaging.roles import SenderRole
from messaging.text import render_body


@dataclass
class MessageRow:
    """One message as the thread shows it, with its sender, times, text and links worked out once here rather than
    through filters, tags and an include in the template for each of the page's rows."""

    message: Message
    mine: bool
    seen_by: list[str] = field(default_factory=list)
    role: SenderRole | None = None  # the sender's role badge (others' messages only)
    at_iso: str = ""  # machine-readable, in the page's time zone
    at_label: str = ""  # "Dec 7, 9:14 AM" in the viewer's time zone
    at_time: str = ""  # "9:14 AM"
    edit_url: str = ""  # the viewer's own messages only
    delete_url: str = ""
    sender: str = ""  # "You", or the sender's display name
    body: SafeString | str = ""  # the rendered text (``render_body``); empty once deleted
    deleted: bool = False
    edited: bool = False  # edited and not deleted: the "Edited" flag
    actions_label: SafeString | str = ""  # "your message from 9:14 AM" when the Edit and Delete links show
    history_url: str = ""  # counselors, for edited or deleted messages

    @property
    def html(self) -> SafeString:
        """The row's ``<li>``, as the thread's markup has it (``static/js/chat.js`` writes the same for live
        messages): built here, the page's rows cost a tenth of a template loop's. Read when the page renders, after
        the view has added ``seen_by``."""
        e = conditional_escape
        pk = self.message.pk
        classes = "message" + (" message-mine" if self.mine else "") + (" message-deleted" if self.deleted else "")
        parts = [
            f'<li class="{classes}" id="m{pk}" data-message-id="{pk}">\n',
            f'  <p class="message-meta"><span class="message-sender">{e(self.sender)}</span>',
        ]
        if self.role:
            parts.append(f'\n    <span class="role-badge role-badge-{e(self.role.value)}">{e(self.role.label)}</span>')
        parts.append(f'\n    <time datetime="{e(self.at_iso)}">{e(self.at_label)}</time>')
        if self.edited:
            parts.append(f'\n    <span class="message-flag">{e(_("Edited"))}</span>')
        parts.append("</p>\n  ")
        if self.deleted:
            parts.append(f'<p class="message-body message-removed">{e(_("Message deleted"))}</p>\n  ')
        else:
            parts.append(f'<p class="message-body">{e(self.body)}</p>\n  ')
        if self.actions_label:
            label = e(self.actions_label)
            parts.append(
                f'<p class="message-actions">\n    <a href="{e(self.edit_url)}">{e(_("Edit"))}'
                f'<span class="visually-hidden"> {label}</span></a>\n    <a href="{e(self.delete_url)}">'
                f'{e(_("Delete"))}<span class="visually-hidden"> {label}</span></a></p>'
            )
        parts.append("\n  ")
        if self.history_url:
            parts.append(
                f'<p class="message-actions"><a href="{e(self.history_url)}">{e(_("Earlier versions"))}</a></p>'
            )
        parts.append("\n  ")
        if self.seen_by:
            names = ", ".join(str(e(name)) for name in self.seen_by)
            parts.append(f'<p class="message-seen">{_("Seen by %(names)s") % {"names": names}}</p>')
        parts.append("\n</li>\n")
        return mark_safe("".join(parts))  # noqa: S308  (every value is escaped above)


def _clock(local: datetime) -> str:
    """``dateformat.format(local, "g:i A")`` without the format parser (the page formats a hundred of these)."""
    return f"{local.hour % 12 or 12}:{local.minute:02d} {_('PM') if local.hour > 11 else _('AM')}"


def _day(local: datetime) -> str:
    """``dateformat.format(local, "M j, ")``."""
    return f"{str(MONTHS_3[local.month]).title()} {local.day}, "


def message_rows(
    page: list[Message], user: User, conversation: Conversation, *, is_open: bool, can_see_history: bool
) -> list[MessageRow]:
    """The page's messages as rows for ``user``: times in their zone, their own messages' links (while the
    conversation is open), earlier versions' links for those who may see them."""
    tz = user.tz
    page_tz = timezone.get_current_timezone()
    # One reverse per page for the links of the viewer's own messages, the id put in as chat.js does
    edit_url = reverse("messaging:edit_message", args=[conversation.pk, 0])
    delete_url = reverse("messaging:delete_message", args=[conversation.pk, 0])
    history_url = reverse("messaging:message_history", args=[conversation.pk, 0]) if can_see_history else ""
    you = _("You")
    days: dict[Any, str] = {}
    rows = []
    for message in page:
        mine = message.sender_id == user.pk
        deleted = message.deleted_at is not None
        local = message.created_at.astimezone(tz)
        at_time = _clock(local)
        day = days.get(local.date()) or days.setdefault(local.date(), _day(local))
        with_links = mine and not deleted and is_open
        changed = message.edited_at is not None or deleted
        rows.append(
            MessageRow(
                message=message,
                mine=mine,
                role=None if mine else message.sender_role,
                at_iso=message.created_at.astimezone(page_tz).isoformat(),  # what the "c" format gives
                at_label=day + at_time,
                at_time=at_time,
                edit_url=edit_url.replace("/0/", f"/{message.pk}/", 1) if mine else "",
                delete_url=delete_url.replace("/0/", f"/{message.pk}/", 1) if mine else "",
                sender=you if mine else message.sender.display_name,
                body="" if deleted else render_body(message.body or ""),
                deleted=deleted,
                edited=message.edited_at is not None and not deleted,
                actions_label=_yours(at_time) if with_links else "",
                history_url=history_url.replace("/0/", f"/{message.pk}/", 1) if history_url and changed else "",
            )
        )
    return rows


def _yours(at_time: str) -> SafeString:
    """What the Edit and Delete links read out, as ``{% blocktranslate %}`` renders it: the time escaped."""
    return mark_safe(_("your message from %(time)s") % {"time": conditional_escape(at_time)})  # noqa: S308
