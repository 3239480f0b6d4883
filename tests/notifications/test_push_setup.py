"""Web push setup (issue #21): subscribing a device (validated, CSRF-protected), removal at sign-out, per-kind
choices, the production startup check and the key generator."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client
from django.urls import reverse

from accounts.models import User
from consent.models import Consent
from notifications.models import PushPreferences, PushSubscription
from notifications.push import wants_push
from notifications.push_checks import web_push_settings_check
from notifications.vapid_keys import new_key_pair, public_key_of
from tests.support import personas
from tests.support.fake_push import FakeBrowser

pytestmark = pytest.mark.django_db
SUBSCRIBE = "/notifications/push/subscribe/"


@pytest.fixture
def push_on(settings: Any) -> None:
    public, private = new_key_pair()
    settings.WEB_PUSH_ENABLED = True
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = public, private
    settings.VAPID_SUBJECT = "mailto:it@example.org"
    settings.WEB_PUSH_ALLOW_HTTP = False  # as in production


def _post(client: Client, body: Any) -> Any:
    raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(SUBSCRIBE, raw, content_type="application/json")


def test_a_device_subscribes_and_signing_out_removes_it(client: Client, family_member: User, push_on: None) -> None:
    personas.login(client, family_member)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "Notifications on this device" in page and "js/push.js" in page
    subscription = FakeBrowser().subscription("https://push.example.net/send/abc")
    assert _post(client, subscription).status_code == 201
    saved = PushSubscription.objects.get(user=family_member)
    assert saved.session_key == client.session.session_key and saved.p256dh == subscription["keys"]["p256dh"]
    assert wants_push(family_member, "new_message")

    client.post(reverse("account_logout"))
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        [],
        {"endpoint": "https://push.example.net/x"},
        {"endpoint": "http://push.example.net/x", "keys": "valid-below"},  # plain http outside DEBUG
        {"endpoint": "https://push.example.net/x", "keys": {"p256dh": "AAAA", "auth": "AAAA"}},
        {"endpoint": "javascript:alert(1)", "keys": "valid-below"},
        {"endpoint": "https://" + "a" * 1100, "keys": "valid-below"},
    ],
    ids=["not-json", "list", "no-keys", "http", "short-keys", "scheme", "too-long"],
)
def test_a_bad_subscription_is_refused_and_nothing_saved(
    client: Client, family_member: User, push_on: None, body: Any
) -> None:
    if isinstance(body, dict) and body.get("keys") == "valid-below":
        body = {**body, "keys": FakeBrowser().subscription("x")["keys"]}
    personas.login(client, family_member)
    assert _post(client, body).status_code == 400
    assert not PushSubscription.objects.exists()


def test_subscribing_needs_the_csrf_token(family_member: User, push_on: None) -> None:
    client = Client(enforce_csrf_checks=True)
    personas.login(client, family_member)
    assert _post(client, FakeBrowser().subscription("https://push.example.net/a")).status_code == 403
    assert not PushSubscription.objects.exists()


def test_a_family_member_whom_no_consent_names_loses_their_devices(
    client: Client, family_member: User, consent: Consent, push_on: None
) -> None:
    personas.login(client, family_member)
    _post(client, FakeBrowser().subscription("https://push.example.net/a"))
    personas.revoke(consent)
    assert not PushSubscription.objects.filter(user=family_member).exists()


def test_kinds_are_chosen_on_the_account_page(client: Client, family_member: User, push_on: None) -> None:
    personas.login(client, family_member)
    _post(client, FakeBrowser().subscription("https://push.example.net/a"))
    response = client.post(reverse("notifications:push_preferences"), {"session_changes": "on"})
    assert response.status_code == 302
    prefs = PushPreferences.objects.get(user=family_member)
    assert (prefs.new_messages, prefs.session_changes, prefs.reminders) == (False, True, False)
    assert not wants_push(family_member, "new_message") and wants_push(family_member, "session_rescheduled")
    assert not wants_push(family_member, "consent_granted")  # never by push


def test_the_device_section_reads_in_spanish(client: Client, family_member: User, push_on: None) -> None:
    User.objects.filter(pk=family_member.pk).update(preferred_language="es")
    personas.login(client, family_member)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "Notificaciones en este dispositivo" in page and "Activar notificaciones en este dispositivo" in page
    assert "Notifications on this device" not in page


def test_without_push_configured_there_is_no_section_and_no_subscribing(client: Client, family_member: User) -> None:
    personas.login(client, family_member)
    assert "Notifications on this device" not in client.get(reverse("accounts:profile")).content.decode()
    assert _post(client, FakeBrowser().subscription("https://push.example.net/a")).status_code == 404


def test_startup_check_lists_each_missing_setting(settings: Any) -> None:
    settings.WEB_PUSH_ENABLED = False
    assert web_push_settings_check() == []
    settings.WEB_PUSH_ENABLED = True
    settings.VAPID_PUBLIC_KEY = settings.VAPID_PRIVATE_KEY = settings.VAPID_SUBJECT = ""
    assert {m.id for m in web_push_settings_check()} == {
        "notifications.E201",
        "notifications.E202",
        "notifications.E203",
    }
    public, private = new_key_pair()
    other_public, _ = new_key_pair()
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = other_public, private
    settings.VAPID_SUBJECT = "mailto:it@example.org"
    assert [m.id for m in web_push_settings_check()] == ["notifications.E204"]
    settings.VAPID_PUBLIC_KEY = public
    assert web_push_settings_check() == []


def test_production_refuses_to_start_with_push_on_and_no_keys(settings: Any) -> None:
    """``manage.py check`` (run before the web service and by the worker at start) fails: errors, not warnings."""
    settings.DEBUG = False
    settings.WEB_PUSH_ENABLED = True
    settings.VAPID_PUBLIC_KEY = settings.VAPID_PRIVATE_KEY = ""
    settings.VAPID_SUBJECT = "mailto:it@example.org"
    with pytest.raises(SystemCheckError, match=r"notifications\.E201[\s\S]*notifications\.E202"):
        call_command("check")


def test_generated_key_pair_matches(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("generate_vapid_keys")
    lines = dict(line.split("=", 1) for line in capsys.readouterr().out.split())
    assert public_key_of(lines["VAPID_PRIVATE_KEY"]) == lines["VAPID_PUBLIC_KEY"]
