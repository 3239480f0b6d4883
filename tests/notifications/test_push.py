"""Web push through the outbox (issue #21): an encrypted, neutral notice in the recipient's language reaches a
local fake push service; 410 removes the subscription; consent and quiet hours are re-checked at send time; a new
message goes by push first and by text only if still unread after the program's delay."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from accounts.models import User
from consent.models import Consent
from messaging.offline import UNREAD_SUBJECT, scan_offline_notices, still_unread
from messaging.services import care_team_conversation, mark_read, send_message
from notifications.checks import register_subject_check
from notifications.models import OutboxMessage, PushSubscription
from notifications.push import save_subscription, validate_subscription
from notifications.services import enqueue_message
from notifications.vapid_keys import new_key_pair
from tests.notifications.conftest import run_worker
from tests.support import personas
from tests.support.fake_push import FakeBrowser, FakePushService

pytestmark = pytest.mark.django_db
State = OutboxMessage.State


@pytest.fixture
def push_on(settings: Any) -> str:
    public, private = new_key_pair()
    settings.WEB_PUSH_ENABLED = True
    settings.VAPID_PUBLIC_KEY = public
    settings.VAPID_PRIVATE_KEY = private
    settings.VAPID_SUBJECT = "mailto:it@example.org"
    settings.WEB_PUSH_TIMEOUT_S = 2.0
    settings.WEB_PUSH_ALLOW_HTTP = True  # the local fake push service
    return public


@pytest.fixture
def fake_push() -> Iterator[tuple[FakePushService, str]]:
    service = FakePushService()
    url = service.start()
    yield service, url
    service.stop()


def subscribe(user: User, endpoint: str, browser: FakeBrowser | None = None) -> FakeBrowser:
    browser = browser or FakeBrowser()
    save_subscription(user=user, session_key="s1", data=validate_subscription(browser.subscription(endpoint)))
    return browser


def queue_notice(user: User, patient: User, key: str = "n1") -> OutboxMessage:
    row = enqueue_message(
        recipient=user,
        template_key="new_message",
        idempotency_key=key,
        context={"link": "https://portal.example.org/notifications/go/abc", "path": "/messages/"},
        patient=patient,
        scope="messaging",
        channel="push",
    )
    assert row is not None
    return row


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "You have a new message in Family Portal"), ("es", "Tiene un mensaje nuevo en Family Portal")],
)
def test_encrypted_neutral_notice_in_the_recipients_language(
    daytime: Any, family_member: User, patient: User, push_on: str, fake_push: Any, language: str, words: str
) -> None:
    service, url = fake_push
    User.objects.filter(pk=family_member.pk).update(preferred_language=language)
    browser = subscribe(family_member, f"{url}/push/device-1")
    row = queue_notice(family_member, patient)
    run_worker()

    [request] = service.requests
    assert request.path == "/push/device-1"
    assert request.headers["content-encoding"] == "aes128gcm"
    authorization = request.headers["authorization"]  # RFC 8292: signed with the portal's key
    assert authorization.startswith("vapid t=") and f"k={push_on}" in authorization
    payload = json.loads(browser.decrypt(request.body))
    expected = {"title": "Family Portal", "body": words, "url": "/messages/", "lang": language, "tag": "new_message"}
    assert payload == expected
    assert family_member.full_name not in json.dumps(payload) and patient.full_name not in json.dumps(payload)
    row.refresh_from_db()
    assert row.state == State.SENT and row.body == words
    assert PushSubscription.objects.get(user=family_member).last_success_at is not None


def test_gone_subscription_is_removed(
    daytime: Any, family_member: User, patient: User, push_on: str, fake_push: Any
) -> None:
    service, url = fake_push
    subscribe(family_member, f"{url}/push/old-device")
    service.answer("/push/old-device", 410)
    row = queue_notice(family_member, patient)
    run_worker()
    assert len(service.requests) == 1
    assert not PushSubscription.objects.filter(user=family_member).exists()
    row.refresh_from_db()
    assert row.state == State.FAILED


def test_revoked_consent_suppresses_the_push(
    daytime: Any, family_member: User, patient: User, consent: Consent, push_on: str, fake_push: Any
) -> None:
    service, url = fake_push
    subscribe(family_member, f"{url}/push/device-1")
    row = queue_notice(family_member, patient)
    personas.revoke(consent)
    run_worker()
    assert service.requests == []
    row.refresh_from_db()
    assert row.state == State.SUPPRESSED and row.state_reason == "consent no longer covers this"


def test_quiet_hours_hold_the_push_until_morning(
    family_member: User, patient: User, push_on: str, fake_push: Any
) -> None:
    service, url = fake_push
    night = datetime.now(UTC).replace(hour=7, minute=0, second=0, microsecond=0) + timedelta(days=1)  # 2-3 AM NY
    with time_machine.travel(night, tick=False):
        subscribe(family_member, f"{url}/push/device-1")
        row = queue_notice(family_member, patient)
        run_worker()
    assert service.requests == []
    row.refresh_from_db()
    assert row.state == State.QUEUED and row.send_after.astimezone(family_member.tz).hour == 8


@pytest.mark.parametrize("read_in_time", [True, False], ids=["read-no-text", "unread-text"])
def test_new_message_goes_by_push_first_and_by_text_only_if_still_unread(
    daytime: Any,
    texting_member: User,
    patient: User,
    counselor: User,
    program: Any,
    push_on: str,
    fake_push: Any,
    read_in_time: bool,
) -> None:
    register_subject_check(UNREAD_SUBJECT, still_unread)
    service, url = fake_push
    subscribe(texting_member, f"{url}/push/device-1")
    conversation = care_team_conversation(patient)
    message = send_message(sender=counselor, conversation=conversation, body="See you Thursday")
    daytime.shift(timedelta(minutes=program.offline_notice_minutes + 1))
    assert scan_offline_notices(timezone.now()) == 1
    push = OutboxMessage.objects.get(recipient=texting_member, template_key="new_message", channel="push")
    text = OutboxMessage.objects.get(recipient=texting_member, template_key="new_message", channel="sms")
    assert text.send_after - push.send_after > timedelta(minutes=program.push_fallback_minutes, seconds=-1)

    run_worker()
    push.refresh_from_db()
    text.refresh_from_db()
    assert push.state == State.SENT and len(service.requests) == 1
    assert text.state == State.QUEUED  # not due yet

    if read_in_time:
        mark_read(user=texting_member, conversation=conversation, up_to=message.pk)
    daytime.shift(timedelta(minutes=program.push_fallback_minutes + 1))
    run_worker()
    text.refresh_from_db()
    assert text.state == (State.SUPPRESSED if read_in_time else State.SENT)
