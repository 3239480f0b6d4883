"""Automatic logoff (AUTH-10) and session termination (AUTH-09)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.backends.cached_db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.middleware import SEEN_AT_KEY
from tests.support import personas

pytestmark = pytest.mark.django_db


def _login_by_form(client: Client, user) -> None:
    response = client.post(reverse("account_login"), {"login": user.email, "password": personas.PASSWORD})
    assert response.status_code == 302


def test_idle_session_is_signed_out(client, family_member):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        _login_by_form(client, family_member)
        assert client.get("/dashboard/").status_code == 200
        clock.shift(timedelta(seconds=settings.PORTAL_IDLE_TIMEOUT_S + 1))
        response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session


def test_activity_keeps_the_session_until_the_absolute_cap(client, family_member):
    step = timedelta(seconds=settings.PORTAL_IDLE_TIMEOUT_S - 60)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        _login_by_form(client, family_member)
        while timezone.now() - start + step < timedelta(seconds=settings.PORTAL_ABSOLUTE_SESSION_S):
            clock.shift(step)
            assert client.get("/dashboard/").status_code == 200
        clock.shift(step)
        response = client.get("/dashboard/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_keep_alive_refreshes_the_idle_clock(client, family_member):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        _login_by_form(client, family_member)
        clock.shift(timedelta(seconds=settings.PORTAL_IDLE_TIMEOUT_S - 30))
        assert client.post(reverse("keep_alive")).status_code == 200
        clock.shift(timedelta(seconds=60))
        assert client.get("/dashboard/").status_code == 200


def test_pages_carry_the_idle_warning_timing(login, family_member):
    body = login(family_member).get("/dashboard/").content.decode()
    assert f'data-idle-timeout="{settings.PORTAL_IDLE_TIMEOUT_S}"' in body
    assert 'id="idle-dialog"' in body


def test_login_rotates_the_session_key(client, family_member):
    client.get(reverse("account_login"))
    client.session.save()
    before = client.session.session_key
    _login_by_form(client, family_member)
    assert client.session.session_key != before


def _session_exists(key: str) -> bool:
    """Whether the server still holds the session, as the session engine sees it (cache and database)."""
    return SessionStore().exists(key) or Session.objects.filter(session_key=key).exists()


def test_logout_ends_the_session(client, family_member):
    _login_by_form(client, family_member)
    key = client.session.session_key
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")
    assert not _session_exists(key)
    assert "_auth_user_id" not in client.session
    after = client.get("/dashboard/")
    assert after.status_code == 302
    assert after["Location"].startswith("/accounts/login/")


def test_password_change_signs_out_other_sessions(family_member):
    phone, laptop = Client(), Client()
    _login_by_form(phone, family_member)
    _login_by_form(laptop, family_member)
    family_member.set_password("a completely new passphrase")
    family_member.save()
    assert laptop.get("/dashboard/").status_code == 302
    assert phone.get("/dashboard/").status_code == 302


def test_deactivated_user_is_signed_out(client, family_member):
    _login_by_form(client, family_member)
    key = client.session.session_key
    family_member.is_active = False
    family_member.save()
    assert not _session_exists(key)  # ended at deactivation, not merely ignored while the account is inactive
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session
    family_member.is_active = True
    family_member.save()
    assert client.get("/dashboard/").status_code == 302  # reactivating the account does not revive the old session


def test_sessions_are_server_side():
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"
    assert settings.ACCOUNT_SESSION_REMEMBER is False


def _session_statements(client: Client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [q["sql"].split()[0] for q in captured.captured_queries if "django_session" in q["sql"]]


def test_activity_is_stamped_at_most_once_per_resolution(client, family_member):
    start = timezone.now().replace(microsecond=0)  # whole seconds: the differences below are exact
    with time_machine.travel(start, tick=False) as clock:
        _login_by_form(client, family_member)
        assert _session_statements(client, "/dashboard/") == []  # read from the cache, nothing to save
        clock.shift(timedelta(seconds=settings.PORTAL_SEEN_RESOLUTION_S - 1))
        assert _session_statements(client, "/dashboard/") == []
        clock.shift(timedelta(seconds=1))  # exactly one resolution since the last stamp
        assert _session_statements(client, "/dashboard/") == ["UPDATE"]
        assert client.session[SEEN_AT_KEY] == timezone.now().timestamp()


def test_page_tells_the_idle_warning_the_time_really_left(client, family_member):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        _login_by_form(client, family_member)
        clock.shift(timedelta(seconds=40))
        body = client.get("/dashboard/").content.decode()
    assert f'data-idle-left="{settings.PORTAL_IDLE_TIMEOUT_S - 40}"' in body


def test_keep_alive_always_starts_a_full_period(client, family_member):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        _login_by_form(client, family_member)
        clock.shift(timedelta(seconds=10))  # within the resolution: a page view would not stamp
        assert client.post(reverse("keep_alive")).status_code == 200
        clock.shift(timedelta(seconds=settings.PORTAL_IDLE_TIMEOUT_S - 5))
        assert client.get("/dashboard/").status_code == 200


def test_idle_sign_out_says_why(client, family_member):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        _login_by_form(client, family_member)
        clock.shift(timedelta(seconds=settings.PORTAL_IDLE_TIMEOUT_S + 1))
        page = client.get("/dashboard/", follow=True)
    assert "You were signed out to protect your privacy. Please sign in again." in page.content.decode()
