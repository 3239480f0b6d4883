"""Helpers for the video-room tests: Jitsi settings, a booked video session, pressing "Join" and reading the token."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from django.test import Client
from django.urls import reverse

from accounts.models import User
from scheduling.models import FamilySession
from tests.scheduling.conftest import book

BASE_URL = "https://meet.example.org"
APP_ID = "family-portal"


@dataclass(frozen=True)
class Jitsi:
    base_url: str
    app_id: str
    secret: str


def configure_jitsi(settings: Any, base_url: str = BASE_URL) -> Jitsi:
    """Turn the portal's own video rooms on for one test (a fresh random secret)."""
    secret = secrets.token_urlsafe(48)
    settings.VIDEO_PROVIDER = "jitsi"
    settings.JITSI_BASE_URL = base_url
    settings.JITSI_APP_ID = APP_ID
    settings.JITSI_APP_SECRET = secret
    settings.JITSI_TOKEN_MARGIN_S = 900
    return Jitsi(base_url=base_url, app_id=APP_ID, secret=secret)


def book_video(counselor: User, patient: User | None, members: list[User], **extra: Any) -> FamilySession:
    extra.setdefault("location", "")
    return book(counselor, patient, members, modality=FamilySession.Modality.VIDEO, **extra)


def press_join(client: Client, session: FamilySession) -> Any:
    return client.post(reverse("scheduling:video_join", args=[session.pk]))


def token_of(response: Any, jitsi: Jitsi, session: FamilySession) -> str:
    """The token of a join redirect, after checking the redirect goes to ``<base>/<room>?jwt=<token>``."""
    assert response.status_code == 302, response.status_code
    target = urlsplit(response["Location"])
    assert f"{target.scheme}://{target.netloc}" == jitsi.base_url
    assert target.path == f"/{session.video_room}"
    (token,) = parse_qs(target.query)["jwt"]
    return token


def claims_of(response: Any, jitsi: Jitsi, session: FamilySession) -> dict[str, Any]:
    """The join redirect's token, verified with the app secret as Prosody would (signature, audience, times)."""
    token = token_of(response, jitsi, session)
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    return jwt.decode(token, jitsi.secret, algorithms=["HS256"], audience="jitsi", issuer=jitsi.app_id)
