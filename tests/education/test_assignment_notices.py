"""A new assignment reaches each family member whose consent covers education (issue 15): a neutral email (and a
text when opted in) that says only that something new is on their learning page, re-checked at send time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail

from accounts.models import User
from consent.models import Consent, Scope
from consent.services import revoke_consent
from education import services
from education.models import Module
from notifications import sms
from notifications.models import OutboxMessage
from notifications.rendering import clinical_words_in
from notifications.worker import Worker
from tests.notifications.conftest import give_phone
from tests.support import personas

pytestmark = pytest.mark.django_db

State = OutboxMessage.State


@pytest.fixture(autouse=True)
def _console(settings: Any) -> Iterator[None]:
    settings.TWILIO_ACCOUNT_SID = ""
    settings.TWILIO_MPS = 1000.0
    settings.PORTAL_BASE_URL = "https://portal.example.org"
    sms.reset_backend()
    now = datetime.now(UTC)
    noon_in_new_york = now.replace(hour=16, minute=0, second=0, microsecond=0) + timedelta(days=1)
    with time_machine.travel(noon_in_new_york, tick=True):
        yield
    sms.reset_backend()


def notices(member: User) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(recipient=member, template_key="assignment_new").order_by("channel"))


def run_worker() -> None:
    Worker(worker_id="test-worker").run(once=True)


def test_new_assignment_tells_the_family_in_neutral_words(
    counselor: User, patient: User, family_member: User, shared_module: Module
) -> None:
    give_phone(family_member)
    no_education = personas.make_user("ned@example.org", User.Role.FAMILY, None, full_name="Ned Rivera")
    personas.consent_for(patient, no_education, scopes=[Scope.SCHEDULE])

    services.assign_module(counselor=counselor, patient=patient, module=shared_module)

    rows = notices(family_member)
    assert [r.channel for r in rows] == ["email", "sms"]
    assert all(r.patient_id == patient.pk and r.scope == Scope.EDUCATION for r in rows)
    assert notices(no_education) == [] and notices(patient) == []

    run_worker()

    [email] = [m for m in mail.outbox if m.to == [family_member.email]]
    assert email.subject == "Something new for you in the portal"
    assert "https://portal.example.org/learn/" in email.body
    title = shared_module.current_version.title if shared_module.current_version else ""
    texts = [str(email.subject), str(email.body), OutboxMessage.objects.get(pk=rows[1].pk).body]
    for text in texts:
        assert clinical_words_in(text) == [], text
        assert title.lower() not in text.lower() and "rivera" not in text.lower()
    assert texts[2].startswith("You have an update in your Family Portal: ")


def test_a_withdrawn_assignment_or_a_revoked_consent_sends_nothing(
    counselor: User, patient: User, family_member: User, consent: Consent, shared_module: Module
) -> None:
    assignment = services.assign_module(counselor=counselor, patient=patient, module=shared_module)
    services.cancel_assignment(assignment=assignment, actor=counselor)
    run_worker()
    [withdrawn] = notices(family_member)
    assert (withdrawn.state, withdrawn.state_reason) == (State.SUPPRESSED, "no longer current")

    other = personas.make_user("olga@example.org", User.Role.FAMILY, None, full_name="Olga Rivera")
    other_consent = personas.consent_for(patient, other, scopes=[Scope.EDUCATION])
    services.assign_module(counselor=counselor, patient=patient, module=shared_module)
    revoke_consent(consent=other_consent, actor=patient)
    run_worker()
    [refused] = notices(other)
    assert (refused.state, refused.state_reason) == (State.SUPPRESSED, "consent no longer covers this")
    assert [m.subject for m in mail.outbox if m.to == [other.email]] == ["Your access in the portal has changed"]
