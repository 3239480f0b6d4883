"""Codes and short links in texts never reach a log (DATA-09); the text itself still goes out whole."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from accounts.models import User
from notifications import sms
from notifications.links import short_link
from notifications.models import OutboxMessage
from notifications.phones import set_phone
from notifications.services import enqueue_message
from tests.notifications.conftest import MEMBER_NUMBER, run_worker

pytestmark = pytest.mark.django_db
State = OutboxMessage.State


def _send_phone_code(user: User) -> str:
    set_phone(user=user, raw_number=MEMBER_NUMBER)
    code = str(OutboxMessage.objects.get(template_key="phone_code").context["code"])
    run_worker()
    assert OutboxMessage.objects.get(template_key="phone_code").state == State.SENT
    return code


def test_console_backend_logs_the_phone_code_masked(caplog: Any, family_member: User, daytime: Any) -> None:
    caplog.set_level("DEBUG")
    code = _send_phone_code(family_member)
    assert code not in caplog.text
    assert "Your Family Portal code is ••••••. It expires in 10 minutes." in caplog.text


def test_twilio_gets_the_whole_code_and_the_log_does_not(
    caplog: Any, fake_twilio: Any, family_member: User, daytime: Any
) -> None:
    caplog.set_level("DEBUG")
    code = _send_phone_code(family_member)
    [post] = fake_twilio.posts(to=MEMBER_NUMBER)
    assert f"Your Family Portal code is {code}." in post.get("Body")
    assert code not in caplog.text


def test_console_backend_logs_short_links_redacted_and_the_outbox_keeps_them(caplog: Any, texting_member: User) -> None:
    caplog.set_level("DEBUG")
    link = short_link("/messages/")
    token = urlsplit(link).path.rsplit("/", 1)[1]
    row = enqueue_message(
        recipient=texting_member, template_key="new_message", idempotency_key="masking", context={"link": link}
    )
    assert row is not None
    run_worker()
    row.refresh_from_db()
    assert row.state == State.SENT
    assert link in row.body  # staff read the real text on the outbox page
    assert token not in caplog.text
    assert "/notifications/go/[redacted]" in caplog.text


def test_mask_text_keeps_the_wording() -> None:
    assert sms.mask_text("Code 123456, link https://p.example/notifications/go/Ab12Cd34 at 10:30.") == (
        "Code ••••••, link https://p.example/notifications/go/[redacted] at 10:30."
    )
