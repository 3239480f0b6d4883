"""Consent test helpers: a recently re-authenticated session (AUTH-08), CSRF-free body comparison, mail links."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from django.test import Client

from accounts.models import User

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
NONCE_RE = re.compile(r'nonce="[^"]+"')
LINK_RE = re.compile(r"https?://\S+/consent/invitation/[^/\s]+/")


def mark_reauthenticated(client: Client, at: float | None = None) -> None:
    """Record a password re-authentication in the client's session, as allauth does after the prompt."""
    session = client.session
    records = list(session.get("account_authentication_methods", []))
    records.append({"method": "password", "at": at if at is not None else time.time(), "reauthenticated": True})
    session["account_authentication_methods"] = records
    session["account_authentication_methods_user"] = str(client.session["_auth_user_id"])
    session.save()


def strip_csrf(body: bytes) -> str:
    """The page without its per-request secrets (CSRF token, CSP nonce), for comparing two responses."""
    return NONCE_RE.sub('nonce=""', CSRF_RE.sub('name="csrfmiddlewaretoken" value=""', body.decode()))


def invitation_link(message: Any) -> str:
    match = LINK_RE.search(message.body)
    assert match, message.body
    return match.group(0)


@pytest.fixture
def reauth_login(login):
    """``reauth_login(user)``: signed in and re-authenticated just now."""

    def _login(user: User, c: Client | None = None) -> Client:
        client = login(user, c)
        mark_reauthenticated(client)
        return client

    return _login
