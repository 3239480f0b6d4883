"""Sign-in by an emailed code and passkeys as a staff second step (issue #21).

Asking for a sign-in code or a reset code answers the same for any address (AUTH-04's enumeration rule): the
same redirect, the same page, the same words; only the mail differs, and only the address's owner reads it.
"""

from __future__ import annotations

import re

import pytest
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core import mail
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.support import personas

pytestmark = pytest.mark.django_db

CODE = re.compile(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4}|[A-Z0-9]{6,8})\s*$", re.MULTILINE)
PER_REQUEST = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"|nonce="[^"]+"')
NOBODY = "nobody-here@example.org"


@pytest.fixture(autouse=True)
def _no_earlier_rate_limits() -> None:
    """Rate-limit counters live in the cache; on the PostgreSQL + Redis pass the cache outlives each test, and
    earlier tests' requests (the same addresses, the same site-wide key) would count against this one."""
    caches["default"].clear()


def _answer(url_name: str, email: str) -> tuple[int, str, str]:
    """Status, redirect and the page it leads to (CSRF token, CSP nonces and the address blanked out)."""
    client = Client()
    response = client.post(reverse(url_name), {"email": email})
    page = client.get(response["Location"]).content.decode()
    return response.status_code, response["Location"], PER_REQUEST.sub("", page).replace(email, "<address>")


@pytest.mark.parametrize("url_name", ["account_request_login_code", "account_reset_password"])
def test_known_and_unknown_addresses_get_the_same_answer(family_member, url_name):
    known = _answer(url_name, family_member.email)
    unknown = _answer(url_name, NOBODY)
    assert known[0] == unknown[0] == 302
    assert known[1] == unknown[1]
    assert known[2] == unknown[2]
    assert "<address>" in known[2]  # the page says where the code went, as typed


def _request_code(client: Client, user: User) -> str:
    client.post(reverse("account_request_login_code"), {"email": user.email})
    match = CODE.search(str(mail.outbox[-1].body))
    assert match, mail.outbox[-1].body
    return match.group(1)


def test_family_member_signs_in_with_the_emailed_code(client, family_member):
    code = _request_code(client, family_member)
    response = client.post(reverse("account_confirm_login_code"), {"code": code})
    assert response.status_code == 302
    assert client.get("/dashboard/").status_code == 200
    assert str(family_member.pk) == client.session["_auth_user_id"]


def test_the_sign_in_mail_is_neutral(client, family_member, patient):
    _request_code(client, family_member)
    [message] = mail.outbox
    text = f"{message.subject}\n{message.body}"
    assert patient.full_name not in text and "treatment" not in text.lower()


def test_a_wrong_code_three_times_ends_the_attempt(client, family_member):
    _request_code(client, family_member)
    for _ in range(settings.ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS):
        client.post(reverse("account_confirm_login_code"), {"code": "WRONG-CODE"})
    assert "_auth_user_id" not in client.session


def test_staff_signed_in_by_code_still_pass_the_second_step(client, counselor):
    code = _request_code(client, counselor)
    response = client.post(reverse("account_confirm_login_code"), {"code": code})
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    assert not settings.MFA_TRUST_ENABLED and not settings.ACCOUNT_LOGIN_BY_CODE_TRUST_ENABLED


@pytest.fixture
def passkey_counselor(program):
    """A counselor whose only second step is a passkey (no authenticator app)."""
    user = personas.make_user("keyholder@example.org", User.Role.COUNSELOR, program)
    Authenticator.objects.filter(user=user).delete()
    Authenticator.objects.create(user=user, type=Authenticator.Type.WEBAUTHN, data={"name": "Work laptop"})
    return user


def test_a_passkey_is_enough_to_be_enrolled(client, passkey_counselor):
    response = client.post(reverse("account_login"), {"login": passkey_counselor.email, "password": personas.PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")  # not the authenticator-app setup


def test_a_session_that_passed_the_passkey_reaches_staff_pages(client, passkey_counselor):
    client.force_login(passkey_counselor)
    assert client.get("/dashboard/").status_code == 302  # no second step yet: back through sign-in
    client.force_login(passkey_counselor)
    session = client.session
    session["account_authentication_methods_user"] = str(passkey_counselor.pk)
    session["account_authentication_methods"] = [
        {"method": "mfa", "at": 0, "type": "webauthn", "id": 1, "passwordless": True}
    ]
    session.save()
    assert client.get("/dashboard/").status_code == 200


def test_the_code_mail_comes_in_the_language_of_the_page_that_asked(family_member):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    client.post(reverse("account_request_login_code"), {"email": family_member.email})
    [message] = mail.outbox
    assert "código" in message.subject.lower() + message.body.lower(), message.body
    assert "Your sign-in code" not in message.body
