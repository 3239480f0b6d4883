"""Everything sent to a person is in THEIR language, worded at send time by the real worker (issue #18): texts and
emails in one batch for people with different languages, a language changed after queueing, and the query cost."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Program, User
from consent.models import Consent
from notifications.models import OutboxMessage
from notifications.rendering import clinical_words_in, is_single_gsm7_segment
from notifications.services import enqueue_message, plan_reminders
from notifications.worker import Worker
from tests.notifications.conftest import MEMBER_NUMBER, give_phone, run_worker
from tests.support import personas
from tests.support.fake_twilio import FakeTwilio

pytestmark = pytest.mark.django_db

State = OutboxMessage.State
ENGLISH_NUMBER = "+12125550143"


def _speaks(user: User, language: str) -> User:
    user.preferred_language = language
    user.save(update_fields=["preferred_language"])
    return user


@pytest.fixture
def english_relative(daytime: Any, program: Program, patient: User) -> User:
    member = personas.make_user("eden@example.org", User.Role.FAMILY, None, full_name="Eden Rivera")
    personas.consent_for(patient, member)
    give_phone(member, ENGLISH_NUMBER)
    return member


def _plan_due_reminders(recipients: list[User], patient: User, program: Program, daytime: Any) -> list[Any]:
    """Reminders planned by the real service for a session 2.5 h away (the 2 h reminder), then the clock moves to
    their send time."""
    rows = plan_reminders(
        subject="session:lang",
        recipients=recipients,
        starts_at=timezone.now() + timedelta(hours=2, minutes=30),
        program=program,
        patient=patient,
        link_path="/sessions/lang/",
    )
    assert len(rows) == len(recipients)
    daytime.shift(timedelta(minutes=31))
    return rows


def test_one_batch_sends_each_reminder_in_its_recipients_language(
    fake_twilio: FakeTwilio,
    texting_member: User,
    english_relative: User,
    patient: User,
    program: Program,
    consent: Consent,
    daytime: Any,
) -> None:
    spanish_relative = _speaks(texting_member, "es")
    _plan_due_reminders([spanish_relative, english_relative], patient, program, daytime)

    worker = Worker(worker_id="languages", batch_size=10)
    assert worker.run_pass() == 2  # both rows claimed and sent in one batch

    (spanish,) = fake_twilio.posts(to=MEMBER_NUMBER)
    (english,) = fake_twilio.posts(to=ENGLISH_NUMBER)
    assert spanish.get("Body").startswith("Recordatorio: cita hoy a las "), spanish.get("Body")
    assert "Responda PARAR para no recibir mas." in spanish.get("Body")
    assert english.get("Body").startswith("Reminder: you have an appointment today at "), english.get("Body")
    assert english.get("Body").endswith("Reply STOP to opt out.")
    for body in (spanish.get("Body"), english.get("Body")):
        assert is_single_gsm7_segment(body) and clinical_words_in(body) == []
        assert "Rivera" not in body and program.name not in body


def test_a_language_chosen_after_queueing_is_the_one_sent(
    fake_twilio: FakeTwilio, texting_member: User, patient: User, program: Program, consent: Consent, daytime: Any
) -> None:
    (row,) = _plan_due_reminders([texting_member], patient, program, daytime)
    assert row.context["when"].startswith("today at ")  # worded in English when it was planned
    _speaks(texting_member, "es")
    run_worker()
    (sent,) = fake_twilio.posts(to=MEMBER_NUMBER)
    assert sent.get("Body").startswith("Recordatorio: cita hoy a las ")  # the time too, not "today at"
    row.refresh_from_db()
    assert row.state == State.SENT and row.body == sent.get("Body")


def test_emails_are_written_in_the_recipients_language(
    daytime: Any, family_member: User, patient: User, consent: Consent
) -> None:
    _speaks(family_member, "es")
    starts_at = (timezone.now() + timedelta(days=3)).replace(hour=16, minute=30)  # 12:30 PM in New York (EDT/EST)
    enqueue_message(
        recipient=family_member,
        template_key="session_invited",
        idempotency_key="invite-es",
        context={
            "link": "https://portal.example.org/notifications/go/AbCd1234",
            "url": "https://portal.example.org/sessions/lang/",
            "starts_at": starts_at.isoformat(),
            "tz": "America/New_York",
        },
        channel=OutboxMessage.Channel.EMAIL,
    )
    run_worker()
    (email,) = mail.outbox
    assert email.subject == "Cita nueva"
    assert email.body.startswith("Hola:\n\nTiene una cita nueva el ")
    assert " a las " in email.body and "Por su privacidad" in email.body
    assert clinical_words_in(f"{email.subject}\n{email.body}") == []


def _batch_queries(member: User, patient: User, tag: str) -> int:
    starts_at = timezone.now() + timedelta(hours=3)
    for n in range(5):
        enqueue_message(
            recipient=member,
            template_key="session_reminder",
            idempotency_key=f"{tag}{n}",
            context={"link": "https://p.example/go/x", "starts_at": starts_at.isoformat(), "tz": "America/New_York"},
            patient=patient,
            scope="schedule",
            subject="session:q",
        )
    with CaptureQueriesContext(connection) as ctx:
        run_worker(worker_id=f"w-{tag}", clock=lambda: 0.0)
    assert OutboxMessage.objects.filter(idempotency_key__startswith=tag, state=State.SENT).count() == 5
    return len([q for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))])


def test_wording_a_batch_in_another_language_costs_no_query(
    fake_twilio: FakeTwilio, texting_member: User, patient: User, consent: Consent
) -> None:
    english = _batch_queries(texting_member, patient, "en")
    _speaks(texting_member, "es")
    spanish = _batch_queries(texting_member, patient, "es")
    assert spanish == english, (english, spanish)
    assert all(p.get("Body").startswith("Recordatorio") for p in fake_twilio.posts()[5:])


def test_an_offline_message_notice_reaches_a_spanish_reader_in_spanish(
    fake_twilio: FakeTwilio, texting_member: User, patient: User, consent: Consent
) -> None:
    from messaging.offline import TEMPLATE_KEY

    _speaks(texting_member, "es")
    enqueue_message(  # queued as ``messaging.offline`` queues it: a link only, no words
        recipient=texting_member,
        template_key=TEMPLATE_KEY,
        idempotency_key="offline-es",
        context={"link": "https://portal.example.org/notifications/go/AbCd1234"},
        patient=patient,
        scope="messaging",
    )
    run_worker()
    (sent,) = fake_twilio.posts(to=MEMBER_NUMBER)
    assert sent.get("Body") == (
        "Tiene un mensaje seguro nuevo en el portal. https://portal.example.org/notifications/go/AbCd1234 "
        "Responda PARAR para no recibir mas."
    )
