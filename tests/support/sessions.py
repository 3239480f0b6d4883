"""Signed-in sessions for load clients: the same session rows a browser login creates (staff past MFA)."""

from __future__ import annotations

from django.conf import settings
from django.test import Client
from django.utils import timezone

from accounts.middleware import LOGIN_AT_KEY, SEEN_AT_KEY
from accounts.models import User
from tests.support import personas


def session_key_for(user: User) -> str:
    """Log ``user`` in through the test client (MFA stage recorded for staff) and return the session key."""
    client = personas.login(Client(), user)
    session = client.session
    now = timezone.now().timestamp()
    session[LOGIN_AT_KEY] = now
    session[SEEN_AT_KEY] = now
    session.save()
    assert session.session_key
    return session.session_key


def cookie_header(session_key: str) -> str:
    return f"{settings.SESSION_COOKIE_NAME}={session_key}"
