"""Consent changes reach the family member a consent names (issue 15): "something is shared with you" when it takes
effect, and only "your access changed" when it is revoked or ends; by email (verified address) and text (opted in),
re-checked against the consent gate when sent, held by quiet hours, once per event."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core import mail
from django.utils import timezone

from accounts.models import User
from consent.models import Consent, Scope
from consent.services import end_consent_by_event, grant_consent, replace_consent, revoke_consent
from notifications.models import OutboxMessage
from notifications.rendering import clinical_words_in, is_single_gsm7_segment
from tests.notifications.conftest import give_phone, run_worker
from tests.support import personas

pytestmark = pytest.mark.django_db

Channel = OutboxMessage.Channel
State = OutboxMessage.State
CONSENT_GRANTED, ACCESS_CHANGED = "consent_granted", "access_changed"
SHARED_WITH_ME = "https://portal.example.org/consent/shared-with-me/"


@pytest.fixture
def member(program: Any) -> User:
    """A family member with an account but no consent yet."""
    return personas.make_user("gail@example.org", User.Role.FAMILY, None, full_name="Gail Rivera")


def share(patient: User, member: User, **extra: Any) -> Consent:
    extra.setdefault("expires_at", timezone.now() + timedelta(days=90))
    return grant_consent(
        patient=patient,
        recipient=member,
        recipient_name=member.full_name,
        recipient_email=member.email,
        recipient_relationship="Sister",
        scopes=[Scope.SCHEDULE, Scope.MESSAGING],
        signature=patient.full_name,
        **extra,
    )


def rows(member: User, template_key: str) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(recipient=member, template_key=template_key).order_by("channel"))


def assert_neutral(text: str, patient: User, member: User) -> None:
    assert clinical_words_in(text) == [], text
    lowered = re.sub(r"https://\S+", "", text).lower()
    for word in [*patient.full_name.split(), *member.full_name.split(), "riverside", "schedul", "message", "revok"]:
        assert word.lower() not in lowered, (word, text)


def test_a_consent_naming_an_account_tells_them_by_email_and_text(daytime: Any, patient: User, member: User) -> None:
    give_phone(member)
    consent = share(patient, member)

    email, text = rows(member, CONSENT_GRANTED)
    assert (email.channel, text.channel) == (Channel.EMAIL, Channel.SMS)
    assert {(r.patient_id, r.scope) for r in (email, text)} == {(patient.pk, consent.scopes[0])}  # re-checked

    run_worker()

    [sent] = [m for m in mail.outbox if m.to == [member.email]]
    assert sent.subject == "You have an update in the portal"
    assert SHARED_WITH_ME in sent.body
    assert_neutral(sent.subject + sent.body, patient, member)
    text.refresh_from_db()
    assert text.state == State.SENT
    assert re.fullmatch(
        r"You have an update in your Family Portal: https://portal\.example\.org/notifications/go/\w+ "
        r"Reply STOP to opt out\.",
        text.body,
    )
    assert is_single_gsm7_segment(text.body)


def test_a_consent_without_a_linked_account_sends_nothing(patient: User) -> None:
    grant_consent(
        patient=patient,
        recipient_name="Nora Rivera",
        recipient_email="nora@example.org",
        scopes=[Scope.SCHEDULE],
        expires_at=timezone.now() + timedelta(days=30),
        signature=patient.full_name,
    )
    assert not OutboxMessage.objects.exists()  # the invitation email is how they hear of it


def test_revocation_says_only_that_access_changed(daytime: Any, patient: User, member: User) -> None:
    give_phone(member)
    consent = share(patient, member)
    run_worker()
    mail.outbox.clear()

    revoke_consent(consent=consent, actor=patient)

    changed = rows(member, ACCESS_CHANGED)
    assert {r.channel for r in changed} == {Channel.EMAIL, Channel.SMS}
    assert all(r.patient_id is None and r.scope == "" for r in changed)  # names nothing the consent covered

    run_worker()

    [sent] = mail.outbox
    assert sent.subject == "Your access in the portal has changed"
    assert SHARED_WITH_ME in sent.body
    assert_neutral(sent.subject + sent.body, patient, member)
    text = OutboxMessage.objects.get(recipient=member, template_key=ACCESS_CHANGED, channel=Channel.SMS)
    assert text.state == State.SENT
    assert text.body.startswith("You have an update in your Family Portal: ")
    assert_neutral(text.body, patient, member)


def test_an_ending_event_says_access_changed_once(daytime: Any, patient: User, member: User, counselor: User) -> None:
    consent = share(patient, member, expiry_event="Discharge from the program")
    end_consent_by_event(consent=consent, actor=counselor, note="Discharged")
    revoke_consent(consent=consent, actor=patient)  # a later revocation of the ended consent: no second notice
    assert [r.channel for r in rows(member, ACCESS_CHANGED)] == [Channel.EMAIL]


@pytest.mark.parametrize("scopes", [[Scope.SCHEDULE], [Scope.MESSAGING, Scope.EDUCATION]])
def test_a_change_of_what_is_shared_is_told_once_as_access_changed(
    daytime: Any, patient: User, member: User, scopes: list[str]
) -> None:
    give_phone(member)
    consent = share(patient, member)  # schedule and messaging
    run_worker()
    mail.outbox.clear()

    new = replace_consent(
        consent=consent,
        scopes=scopes,
        expires_at=timezone.now() + timedelta(days=30),
        signature=patient.full_name,
        signed_by=patient,
    )

    assert [r.state for r in rows(member, CONSENT_GRANTED) if r.subject == f"consent:{new.pk}"] == [State.CANCELLED] * 2
    changed = rows(member, ACCESS_CHANGED)
    assert [r.channel for r in changed] == [Channel.EMAIL, Channel.SMS]  # one notice, whether messaging ended or not
    assert all(r.patient_id is None and r.scope == "" for r in changed)
    run_worker()
    assert [m.subject for m in mail.outbox] == ["Your access in the portal has changed"]


def test_a_shared_notice_still_waiting_is_withdrawn_when_the_consent_is_revoked(
    daytime: Any, patient: User, member: User
) -> None:
    consent = share(patient, member)
    revoke_consent(consent=consent, actor=patient)

    run_worker()

    [granted] = rows(member, CONSENT_GRANTED)
    assert granted.state == State.CANCELLED
    assert [m.subject for m in mail.outbox] == ["Your access in the portal has changed"]


def test_the_gate_is_asked_again_when_the_notice_is_sent(daytime: Any, patient: User, member: User) -> None:
    share(patient, member, expires_at=timezone.now() + timedelta(minutes=5))
    daytime.shift(timedelta(minutes=10))  # the consent expired before the worker got to the row (no signal)

    run_worker()

    [granted] = rows(member, CONSENT_GRANTED)
    assert granted.state == State.SUPPRESSED
    assert granted.state_reason == "consent no longer covers this"
    assert mail.outbox == []


def test_a_text_notice_waits_for_the_morning(patient: User, member: User) -> None:
    with time_machine.travel(timezone.now().replace(hour=16), tick=False):  # noon in New York
        give_phone(member)
    night = timezone.now().replace(hour=4, minute=0) + timedelta(days=1)  # midnight in New York
    with time_machine.travel(night, tick=False):
        share(patient, member, expires_at=night + timedelta(days=30))
        run_worker()
    text = OutboxMessage.objects.get(recipient=member, template_key=CONSENT_GRANTED, channel=Channel.SMS)
    assert text.state == State.QUEUED
    assert text.send_after > night and text.send_after.astimezone(ZoneInfo("America/New_York")).hour == 8
    assert [m.to for m in mail.outbox] == [[member.email]]  # the email is not held back


def test_one_notice_per_event_person_and_channel(daytime: Any, patient: User, member: User) -> None:
    from notifications.notices import send_notice

    give_phone(member)
    first = send_notice(recipient=member, template_key=ACCESS_CHANGED, event="consent:x:ended", link_path="/")
    again = send_notice(recipient=member, template_key=ACCESS_CHANGED, event="consent:x:ended", link_path="/")
    assert len(first) == 2 and again == []
    assert OutboxMessage.objects.filter(template_key=ACCESS_CHANGED).count() == 2


def test_no_email_to_an_unverified_address(daytime: Any, member: User) -> None:
    from notifications.notices import send_notice

    EmailAddress.objects.filter(user=member).update(verified=False)
    assert send_notice(recipient=member, template_key=ACCESS_CHANGED, event="e", link_path="/") == []
    give_phone(member)
    [only] = send_notice(recipient=member, template_key=ACCESS_CHANGED, event="e", link_path="/")
    assert only.channel == Channel.SMS


def test_unknown_notice_is_refused(member: User) -> None:
    from notifications.notices import send_notice

    with pytest.raises(ValueError):
        send_notice(recipient=member, template_key="free_text", event="e", link_path="/")
    with pytest.raises(ValueError):
        send_notice(recipient=member, template_key=ACCESS_CHANGED, event="e", link_path="https://evil.example/")
