"""The portal's own video rooms: a self-hosted Jitsi Meet with JWT authentication (``VIDEO_PROVIDER=jitsi``).

Each video session gets an unguessable room name when it is booked (``new_room_name``). The name is kept on the
session and handed out only inside the redirect a participant receives when they press "Join"
(``scheduling.views.video``): never in a page, an SMS, an email, a calendar file or a log line. The redirect carries
a token signed with the app secret that Jitsi's Prosody checks (``mod_auth_token``): audience ``jitsi``, issuer the
app id, subject the Jitsi domain, the room, the name shown in the room, not valid before 15 minutes ahead of the
start and expiring at the end plus ``JITSI_TOKEN_MARGIN_S``; moderator only for care staff. ``docs/operations.md``
describes the Jitsi side.

Without ``VIDEO_PROVIDER`` staff paste a link as before (``FamilySession.join_url``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import jwt
from django.conf import settings
from django.utils.translation import gettext as _

JITSI = "jitsi"
PROVIDERS = (JITSI,)
OPENS_BEFORE_START = timedelta(minutes=15)
ROOM_NAME_BYTES = 32  # 256 random bits before lower-casing; about 225 after, far beyond guessing
AUDIENCE = "jitsi"


def portal_rooms_enabled() -> bool:
    """Whether the portal creates video rooms itself (else a video session needs a pasted link)."""
    return settings.VIDEO_PROVIDER == JITSI


def new_room_name() -> str:
    """An unguessable room name. Lower case because Prosody compares the token's room with the lower-cased room
    of the conference it guards (``string.lower`` in ``token/util.lib.lua``)."""
    return secrets.token_urlsafe(ROOM_NAME_BYTES).lower()


def jitsi_domain() -> str:
    """The Jitsi domain, the token's ``sub``: the host of ``JITSI_BASE_URL``."""
    return urlsplit(settings.JITSI_BASE_URL).hostname or ""


@dataclass(frozen=True)
class RoomWindow:
    """When a session's room may be entered: from ``opens`` until ``closes`` (the session's end); the token itself
    stays valid until ``expires`` so a session running a little late is not cut off."""

    opens: datetime
    closes: datetime
    expires: datetime

    @classmethod
    def for_session(cls, session: Any) -> RoomWindow:
        margin = timedelta(seconds=settings.JITSI_TOKEN_MARGIN_S)
        opens = session.starts_at - OPENS_BEFORE_START
        return cls(opens=opens, closes=session.ends_at, expires=session.ends_at + margin)


def name_in_room(user: Any) -> str:
    """The name the others in the room see: the person's own name, which for a family member can never be a care
    team member's (AUTH-13, ``accounts/names.py``). Never the email address the portal shows when there is no name:
    in a multi-family group other families would read it."""
    if name := (user.preferred_name or user.full_name).strip():
        return str(name)
    if user.is_care_staff:
        return _("Care team")
    return _("Family member") if user.is_family else _("Participant")


def join_token(*, session: Any, user: Any, now: datetime) -> str:
    """The signed token (HS256) that lets ``user`` into ``session``'s room during its window (Jitsi's token
    format). ``moderator`` is true for care staff only; ``affiliation`` says the same for Prosody modules that
    read it instead."""
    window = RoomWindow.for_session(session)
    moderator = bool(user.is_care_staff)
    claims = {
        "aud": AUDIENCE,
        "iss": settings.JITSI_APP_ID,
        "sub": jitsi_domain(),
        "room": session.video_room,
        "iat": int(now.timestamp()),
        "nbf": int(window.opens.timestamp()),
        "exp": int(window.expires.timestamp()),
        "context": {
            "user": {
                "name": name_in_room(user),
                "moderator": moderator,
                "affiliation": "owner" if moderator else "member",
            }
        },
    }
    return jwt.encode(claims, settings.JITSI_APP_SECRET, algorithm="HS256")


def room_url(session: Any, token: str) -> str:
    """Where the browser goes: ``<JITSI_BASE_URL>/<room>?jwt=<token>``."""
    return f"{settings.JITSI_BASE_URL}/{session.video_room}?{urlencode({'jwt': token})}"
