"""Password reset by code (DATA-09) and mail links built from PORTAL_BASE_URL only, whatever the Host header says."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.support import personas

pytestmark = pytest.mark.django_db

PORTAL = "https://portal.example.org"
HOSTILE = "attacker.example.net"
URL = re.compile(r"https?://[^\s\"'<>]+")
CODE = re.compile(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", re.MULTILINE)
NEW_PASSWORD = "harbour lights at seven"


@pytest.fixture(autouse=True)
def _hostile_host_allowed(settings):
    """The forged Host passes ALLOWED_HOSTS (an internal name, a proxy that forwards it): links must not follow it."""
    settings.PORTAL_BASE_URL = PORTAL
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, HOSTILE]


def _reset(client, email: str):
    return client.post(reverse("account_reset_password"), {"email": email}, HTTP_HOST=HOSTILE)


def _signup(client, email: str):
    data = {"email": email, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    return client.post(reverse("account_signup"), data, HTTP_HOST=HOSTILE)


@pytest.mark.parametrize(
    ("flow", "expects_link"),
    [("reset known", False), ("reset unknown", True), ("signup new", True), ("signup taken", True)],
)
def test_every_account_mail_links_only_to_the_portal_base_url(client, family_member, flow, expects_link):
    if flow == "reset known":
        _reset(client, family_member.email)
    elif flow == "reset unknown":
        _reset(client, "nobody@example.org")
    elif flow == "signup new":
        _signup(client, "brand.new@example.org")
    else:
        _signup(client, family_member.email)
    [message] = mail.outbox
    text = f"{message.subject}\n{message.body}"
    assert HOSTILE not in text
    links = URL.findall(text)
    assert all(link.startswith(f"{PORTAL}/") for link in links), links
    assert bool(links) == expects_link, text
    assert "portal.example.org" in message.body  # the footer names our host, not the request's


def test_reset_mails_a_code_and_no_link(client, family_member):
    response = _reset(client, family_member.email)
    assert response["Location"] == reverse("account_confirm_password_reset_code")
    [message] = mail.outbox
    assert CODE.search(str(message.body)), message.body
    assert "/accounts/password/reset/key/" not in message.body
    assert client.get("/accounts/password/reset/key/1-abc-def/").status_code == 404  # the link form is gone


def _code(message) -> str:
    match = CODE.search(str(message.body))
    assert match, message.body
    return match.group(1)


def test_the_code_works_only_in_the_browser_that_asked(client, family_member):
    """A code copied from anywhere (a mailbox, a log) opens nothing in another browser."""
    _reset(client, family_member.email)
    code = _code(mail.outbox[-1])
    stranger = Client()
    answer = stranger.post(reverse("account_confirm_password_reset_code"), {"code": code})
    assert answer.status_code == 302
    assert answer["Location"] == reverse("account_login")  # no reset in progress in this browser
    assert stranger.get(reverse("account_complete_password_reset"))["Location"] == reverse("account_reset_password")

    confirmed = client.post(reverse("account_confirm_password_reset_code"), {"code": code}, HTTP_HOST=HOSTILE)
    assert confirmed["Location"] == reverse("account_complete_password_reset")
    done = client.post(
        reverse("account_complete_password_reset"), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert done.status_code == 302
    family_member.refresh_from_db()
    assert family_member.check_password(NEW_PASSWORD)


def test_three_wrong_codes_end_the_reset(client, family_member):
    _reset(client, family_member.email)
    code = _code(mail.outbox[-1])
    url = reverse("account_confirm_password_reset_code")
    for _ in range(3):
        client.post(url, {"code": "BBBB-CCCC" if code != "BBBB-CCCC" else "DDDD-FFFF"})
    answer = client.post(url, {"code": code})
    assert answer.status_code == 302 and answer["Location"] == reverse("account_login")
    family_member.refresh_from_db()
    assert family_member.check_password(personas.PASSWORD)
