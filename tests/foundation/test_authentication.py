"""Login rate limits (AUTH-03), enumeration safety (AUTH-04), hashing and password policy (AUTH-01, AUTH-02)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from accounts.models import User
from tests.support import personas

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _real_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "auth"}}
    cache.clear()
    yield
    cache.clear()


def _login(client, email, password, **headers):
    return client.post(reverse("account_login"), {"login": email, "password": password}, **headers)


@pytest.mark.parametrize("headers", [{}, {"HTTP_X_FORWARDED_FOR": "1.2.3.4"}], ids=["plain", "spoofed-xff"])
def test_login_is_rate_limited_after_five_failures(client, family_member, headers):
    for attempt in range(5):
        spoof = {"HTTP_X_FORWARDED_FOR": f"10.0.0.{attempt}"} if headers else {}
        assert _login(client, family_member.email, "wrong password here", **spoof).status_code == 200
    response = _login(client, family_member.email, personas.PASSWORD, **headers)
    assert response.status_code == 429


def test_correct_password_logs_in_before_the_limit(client, family_member):
    response = _login(client, family_member.email, personas.PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(family_member.pk)


def _normalise(response) -> tuple[int, str, str]:
    body = response.content.decode()
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)
    body = re.sub(r'nonce="[^"]+"', "", body)
    return response.status_code, response.get("Location", ""), body


def test_password_reset_does_not_reveal_whether_an_account_exists(client, family_member):
    known = client.post(reverse("account_reset_password"), {"email": family_member.email})
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody@example.org"})
    assert _normalise(known)[:2] == _normalise(unknown)[:2]
    assert len(mail.outbox) == 2  # allauth mails the unknown address too, saying no account exists


def test_signup_with_a_taken_email_looks_like_a_new_signup(client, family_member):
    data = {"password1": "a quiet morning walk", "password2": "a quiet morning walk"}
    taken = client.post(reverse("account_signup"), {"email": family_member.email, **data})
    fresh = client.post(reverse("account_signup"), {"email": "brand.new@example.org", **data})
    assert taken.status_code == fresh.status_code == 302
    assert taken["Location"] == fresh["Location"] == reverse("account_email_verification_sent")
    assert User.objects.filter(email="brand.new@example.org", role=User.Role.FAMILY).exists()


def test_new_passwords_are_hashed_with_argon2(settings, db):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    user = User.objects.create_user("hash@example.org", "a long enough passphrase")
    assert user.password.startswith("argon2$")


def test_old_pbkdf2_hash_is_upgraded_to_argon2_at_login(client, settings, family_member):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    User.objects.filter(pk=family_member.pk).update(password=make_password(personas.PASSWORD, hasher="pbkdf2_sha256"))
    assert _login(client, family_member.email, personas.PASSWORD).status_code == 302
    family_member.refresh_from_db()
    assert family_member.password.startswith("argon2$")


@pytest.mark.parametrize(
    ("password", "accepted"),
    [
        ("x" * 64, True),
        ("a long lowercase passphrase without digits", True),
        ("password123", False),
        ("abc1234", False),
        ("y" * 129, False),
    ],
)
def test_password_policy(client, password, accepted):
    response = client.post(
        reverse("account_signup"), {"email": "policy@example.org", "password1": password, "password2": password}
    )
    assert (response.status_code == 302) is accepted


def test_a_fresh_sign_in_counts_as_reauthentication(client, patient):
    """AUTH-08: a sensitive action needs an authentication within the last ACCOUNT_REAUTHENTICATION_TIMEOUT."""
    assert _login(client, patient.email, personas.PASSWORD).status_code == 302
    assert client.get(reverse("consent:grant")).status_code == 200


def test_an_older_sign_in_must_reauthenticate(login, patient):
    response = login(patient).get(reverse("consent:grant"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
