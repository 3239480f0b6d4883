"""A video room's name is the key to the call: it travels only in the join redirect. It never reaches an email, a
text, a calendar file, the private feed, a portal page or a log line (the room is registered with the end-of-run
log scan, tests/support/phi_log_scan.py, and looked for in every body the outbox sent)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from notifications import sms
from notifications.models import OutboxMessage
from notifications.worker import Worker
from scheduling.services import cancel_session, issue_calendar_feed, reschedule_session
from tests.notifications.conftest import give_phone
from tests.scheduling.video import book_video, configure_jitsi, press_join, token_of
from tests.support import personas
from tests.support.phi_log_scan import register_phi

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _console_sms(settings: Any) -> Iterator[None]:
    settings.TWILIO_ACCOUNT_SID = ""
    settings.TWILIO_MPS = 1000.0
    settings.PORTAL_BASE_URL = "https://portal.example.org"
    sms.reset_backend()
    yield
    sms.reset_backend()


@pytest.fixture
def awake() -> Iterator[None]:
    """The next 15:00 UTC (11 AM in New York): texts are not held for quiet hours."""
    now = datetime.now(UTC)
    target = now.replace(hour=15, minute=0, second=0, microsecond=0)
    if target <= now:
        target += timedelta(days=1)
    with time_machine.travel(target, tick=True):
        yield


def send_everything_due() -> None:
    OutboxMessage.objects.filter(state=OutboxMessage.State.QUEUED).update(send_after=timezone.now())
    Worker(worker_id="video-privacy").run(once=True)


def sent_texts() -> list[str]:
    rows = OutboxMessage.objects.filter(channel=OutboxMessage.Channel.SMS, state=OutboxMessage.State.SENT)
    return [row.body for row in rows]


def everything_the_outbox_holds() -> str:
    rows = OutboxMessage.objects.values("body", "context", "subject", "idempotency_key", "to_address")
    return json.dumps(list(rows), default=str)


def test_the_room_name_reaches_no_email_text_calendar_feed_page_or_log(
    settings, awake, caplog, counselor, patient, family_member
) -> None:
    jitsi = configure_jitsi(settings)
    caplog.set_level(logging.DEBUG)
    give_phone(family_member)
    session = book_video(counselor, patient, [family_member])
    room = register_phi(session.video_room)

    # Invitation, a new time and the reminders: emails and texts actually sent.
    send_everything_due()
    new_start = session.starts_at + timedelta(days=1)
    reschedule_session(actor=counselor, session=session, starts_at=new_start, ends_at=new_start + timedelta(hours=1))
    session.refresh_from_db()
    send_everything_due()
    client = personas.login(Client(), family_member)
    feed = issue_calendar_feed(user=family_member)
    pages = [
        client.get(session.get_absolute_url()),
        client.get(reverse("scheduling:session_list")),
        client.get(reverse("scheduling:session_ics", args=[session.pk])),
        client.get(reverse("scheduling:calendar_feed", args=[feed])),
        personas.login(Client(), counselor).get(session.get_absolute_url()),
    ]
    with time_machine.travel(session.starts_at - timedelta(minutes=5), tick=False):
        joined = press_join(personas.login(Client(), family_member), session)
        assert token_of(joined, jitsi, session)  # the one place the room goes: the redirect to Jitsi
    cancel_session(actor=counselor, session=session, reason="Counselor unwell")
    send_everything_due()

    emails = [m for m in mail.outbox if m.to == [family_member.email]]
    subjects = {m.subject for m in emails}
    assert subjects >= {"New appointment", "Your appointment has a new time", "Appointment cancelled"}
    assert len(sent_texts()) >= 3
    assert all(page.status_code == 200 for page in pages)
    assert any(b"BEGIN:VEVENT" in page.content for page in pages)
    for email in emails:
        alternatives = " ".join(str(content) for content, _type in getattr(email, "alternatives", []))
        assert room not in f"{email.subject} {email.body} {alternatives}"
    for text in sent_texts():
        assert room not in text
    assert room not in everything_the_outbox_holds()
    for page in pages:
        assert room.encode() not in page.content
    assert room not in caplog.text
    assert all(room not in str(record.__dict__) for record in caplog.records)
