"""Fixtures for notifications tests: the fake Twilio server, Twilio/console settings, daytime clocks, texting users."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection

from accounts.models import User
from notifications import checks, periodic, sms
from notifications.models import OutboxMessage
from notifications.phones import OPT_IN_TEXT, confirm_phone, opt_in_to_texts, set_phone
from notifications.worker import Worker
from tests.support.fake_twilio import FakeTwilio

AUTH_TOKEN = "test-auth-token-0123456789abcdef"
FROM_NUMBER = "+15005550006"
MEMBER_NUMBER = "+12125550142"


@pytest.fixture(autouse=True)
def _console_sms(settings: Any) -> Iterator[None]:
    """Default: the console backend, fast backoff-free worker settings."""
    settings.TWILIO_ACCOUNT_SID = ""
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_FROM_NUMBER = FROM_NUMBER
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    settings.TWILIO_API_BASE_URL = ""
    settings.TWILIO_MPS = 1000.0
    settings.TWILIO_WEBHOOK_BASE_URL = "https://portal.example.org"
    settings.PORTAL_BASE_URL = "https://portal.example.org"
    settings.PORTAL_OUTBOX_MAX_ATTEMPTS = 4
    sms.reset_backend()
    yield
    sms.reset_backend()


@pytest.fixture(autouse=True)
def _isolated_registries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Other apps' subject checks and periodic scans are registered at startup; tests here start with none."""
    monkeypatch.setattr(checks, "_checks", {})
    monkeypatch.setattr(periodic, "_periodic", [])


@pytest.fixture
def fake_twilio(settings: Any) -> Iterator[FakeTwilio]:
    """The real twilio client pointed at a local fake server."""
    fake = FakeTwilio()
    url = fake.start()
    settings.TWILIO_ACCOUNT_SID = fake.account_sid
    settings.TWILIO_API_BASE_URL = url
    settings.TWILIO_TIMEOUT_S = 1.0
    sms.reset_backend()
    yield fake
    fake.stop()
    sms.reset_backend()


@pytest.fixture
def daytime() -> Iterator[time_machine.Traveller]:
    """The clock at the next 15:00 UTC (11 AM in New York): inside everyone's texting window. Ticks."""
    now = datetime.now(UTC)
    target = now.replace(hour=15, minute=0, second=0, microsecond=0)
    if target <= now:
        target += timedelta(days=1)
    with time_machine.travel(target, tick=True) as traveller:
        yield traveller


def give_phone(user: User, number: str = MEMBER_NUMBER, *, opt_in: bool = True) -> None:
    """Add, confirm and (by default) opt in a number through the real services; the code text is set aside."""
    set_phone(user=user, raw_number=number)
    row = OutboxMessage.objects.filter(recipient=user, template_key="phone_code").latest("created_at")
    confirm_phone(user=user, code=row.context["code"])
    OutboxMessage.objects.filter(recipient=user, template_key="phone_code").update(state=OutboxMessage.State.CANCELLED)
    if opt_in:
        opt_in_to_texts(user=user, wording=OPT_IN_TEXT)


@pytest.fixture
def texting_member(daytime: Any, family_member: User) -> User:
    give_phone(family_member)
    return family_member


def run_worker(**kwargs: Any) -> Worker:
    worker = Worker(worker_id=kwargs.pop("worker_id", "test-worker"), **kwargs)
    worker.run(once=True)
    return worker


@pytest.fixture
def postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL)")
