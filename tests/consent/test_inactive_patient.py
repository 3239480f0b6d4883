"""AZ-08 at every entry point: a deactivated patient's information reaches no family member and no personal
representative — pages, posts, the socket handshake and deliveries, calendar feeds, reminders — while the
patient's care team keeps access for records work, and reactivation gives the family their access back.

The cast: the patient, their counselor, a family member holding an effective consent for every scope, and a
personal representative holding a verified authority; both family members are invited to a session, can read the
care-team conversation and see an education assignment. Then staff deactivate the patient (``is_active=False``,
saved on the user as the admin does).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import time, timedelta
from typing import Any

import pytest
import time_machine
from channels.db import database_sync_to_async
from django.core import mail
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from accounts.models import User
from consent.models import Consent, Disclosure, PersonalRepresentative
from consent.services import record_personal_representative
from education import services as education
from education.models import Assignment
from messaging import services as messaging
from messaging.models import Conversation, Message
from notifications.models import OutboxMessage
from notifications.worker import Worker
from scheduling.models import Availability, FamilySession, Participant, SessionNotice, SessionRequest
from scheduling.services import issue_calendar_feed, reschedule_session
from scheduling.slots import open_slots
from tests.consent.conftest import mark_reauthenticated
from tests.consent.test_patient_views import _sign
from tests.messaging.conftest import communicator_for, session_key_for
from tests.scheduling.conftest import book
from tests.support import personas
from tests.support.education_content import published_module

NOTICE = "data-part2-notice"
FAMILY_SIDE = ["family_member", "representative"]


@dataclass
class World:
    patient: User
    counselor: User
    family_member: User
    representative: User
    session: FamilySession
    care_team: Conversation
    assignment: Assignment


@pytest.fixture
def representative(program: Any, patient: User, counselor: User) -> User:
    """Family member acting as the patient under a verified health-care power of attorney."""
    rep = personas.make_user("paula@example.org", User.Role.FAMILY, None, full_name="Paula Poa")
    record_personal_representative(
        staff=counselor,
        patient=patient,
        representative=rep,
        authority=PersonalRepresentative.Authority.HEALTH_CARE_POA,
        document_reference="POA 2026-3",
    )
    return rep


@pytest.fixture
def world(patient: User, counselor: User, family_member: User, representative: User) -> World:
    session = book(counselor, patient, [family_member, representative])
    care_team = messaging.care_team_conversation(patient)
    messaging.send_message(sender=counselor, conversation=care_team, body="Pat did well this week")
    module = published_module("family-recovery", title="Supporting recovery at home")
    assignment = education.assign_module(counselor=counselor, patient=patient, module=module, due_on=None)
    return World(patient, counselor, family_member, representative, session, care_team, assignment)


def set_active(user: User, active: bool) -> None:
    """Staff (de)activate the account: the flag saved on the user, signals and all."""
    user = User.objects.get(pk=user.pk)
    user.is_active = active
    user.save()


def disclosures_to(user: User) -> int:
    return Disclosure.objects.filter(recipient=user).count()


def family_pages(world: World, viewer: User) -> dict[str, str]:
    """Every family page that shows the patient's information, by what it shows."""
    pages = {
        "dashboard": reverse("dashboard"),
        "session list": reverse("scheduling:session_list"),
        "session": world.session.get_absolute_url(),
        "conversation list": reverse("messaging:conversation_list"),
        "conversation": world.care_team.get_absolute_url(),
        "education": reverse("education:catalogue"),
        "what you can see": reverse("consent:what_you_can_see"),
    }
    if viewer == world.representative:
        pages["sharing for the patient"] = reverse("consent:my_sharing_for", args=[world.patient.pk])
        pages["sharing history"] = reverse("consent:history_for", args=[world.patient.pk])
    else:
        consent = Consent.objects.get(patient=world.patient, recipient=viewer)
        pages["consent copy"] = reverse("consent:what_you_can_see_detail", args=[consent.pk])
    return pages


def patient_traces(world: World) -> list[str]:
    """What betrays the patient on a page: their name, their objects' addresses, the module shown as assigned (its
    title alone does not: general education is listed for everyone, issue 15), the § 2.32 notice that accompanies
    disclosed Part 2 information."""
    return [
        world.patient.full_name,
        world.session.get_absolute_url(),
        world.care_team.get_absolute_url(),
        "Assigned by your care team",
        NOTICE,
    ]


# --- Pages (AZ-08, AZ-03) ------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("persona", FAMILY_SIDE)
def test_family_pages_show_nothing_of_a_deactivated_patient(world: World, persona: str) -> None:
    viewer = getattr(world, persona)
    client = personas.login(Client(), viewer)
    urls = family_pages(world, viewer)
    before = {name: client.get(url) for name, url in urls.items()}
    assert {name: r.status_code for name, r in before.items()} == dict.fromkeys(urls, 200)
    assert [name for name, r in before.items() if not any(t in r.content.decode() for t in patient_traces(world))] == []

    set_active(world.patient, False)
    ledger = disclosures_to(viewer)
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code in (200, 404), name
        body = response.content.decode()
        assert not [t for t in patient_traces(world) if t in body], name
    assert disclosures_to(viewer) == ledger


@pytest.mark.django_db
@pytest.mark.parametrize("persona", FAMILY_SIDE)
def test_object_pages_of_a_deactivated_patient_answer_404(world: World, persona: str) -> None:
    viewer = getattr(world, persona)
    client = personas.login(Client(), viewer)
    set_active(world.patient, False)
    ledger = disclosures_to(viewer)
    urls = [
        world.session.get_absolute_url(),
        world.care_team.get_absolute_url(),
        reverse("scheduling:session_ics", args=[world.session.pk]),
    ]
    if viewer == world.representative:
        urls += [reverse(f"consent:{name}", args=[world.patient.pk]) for name in ("my_sharing_for", "history_for")]
    else:
        consent = Consent.objects.get(patient=world.patient, recipient=viewer)
        urls.append(reverse("consent:what_you_can_see_detail", args=[consent.pk]))
    assert {url: client.get(url).status_code for url in urls} == dict.fromkeys(urls, 404)
    assert disclosures_to(viewer) == ledger


@pytest.mark.django_db
@pytest.mark.parametrize("persona", FAMILY_SIDE)
def test_posts_about_a_deactivated_patient_are_refused_and_change_nothing(world: World, persona: str) -> None:
    viewer = getattr(world, persona)
    client = personas.login(Client(), viewer)
    set_active(world.patient, False)
    Availability.objects.create(
        counselor=world.counselor, weekday=2, start_time=time(10), end_time=time(12), time_zone="America/New_York"
    )
    slot = open_slots(counselor_ids=[world.counselor.pk])[0]
    ledger, messages = disclosures_to(viewer), Message.objects.count()

    rsvp = client.post(reverse("scheduling:rsvp", args=[world.session.pk]), {"response": "accepted"})
    message = client.post(world.care_team.get_absolute_url(), {"body": "Can we talk tonight?"})
    ask = client.post(reverse("scheduling:request_create"), {"slot": slot.key, "modality": "in_person"})

    assert (rsvp.status_code, message.status_code, ask.status_code) == (404, 404, 404)
    assert Participant.objects.get(session=world.session, user=viewer).rsvp == Participant.Rsvp.INVITED
    assert Message.objects.count() == messages
    assert not SessionRequest.objects.exists()
    assert disclosures_to(viewer) == ledger


@pytest.mark.django_db
def test_representative_cannot_sign_a_consent_for_a_deactivated_patient(world: World) -> None:
    client = personas.login(Client(), world.representative)
    mark_reauthenticated(client)
    set_active(world.patient, False)
    consents = Consent.objects.count()
    response = client.post(reverse("consent:grant_for", args=[world.patient.pk]), _sign(signature="Paula Poa"))
    assert response.status_code == 404
    assert Consent.objects.count() == consents


@pytest.mark.django_db
def test_care_team_keeps_records_access_to_a_deactivated_patient(world: World) -> None:
    """Staff grants ignore the patient's activity: the counselor still opens the patient's record, the session
    and the conversation, while the family member in the same conversation is refused."""
    set_active(world.patient, False)
    staff = personas.login(Client(), world.counselor)
    family = personas.login(Client(), world.family_member)
    for url in (
        reverse("consent:patient_detail", args=[world.patient.pk]),
        world.session.get_absolute_url(),
        world.care_team.get_absolute_url(),
    ):
        response = staff.get(url)
        assert response.status_code == 200, url
        assert world.patient.full_name in response.content.decode(), url
    assert family.get(world.care_team.get_absolute_url()).status_code == 404


@pytest.mark.django_db
def test_reactivation_gives_the_family_member_access_again(world: World) -> None:
    client = personas.login(Client(), world.family_member)
    set_active(world.patient, False)
    assert client.get(world.session.get_absolute_url()).status_code == 404

    set_active(world.patient, True)
    ledger = disclosures_to(world.family_member)
    response = client.get(world.session.get_absolute_url())
    assert response.status_code == 200
    assert NOTICE in response.content.decode()
    assert client.get(world.care_team.get_absolute_url()).status_code == 200
    assert disclosures_to(world.family_member) == ledger + 2


# --- Calendar files and the subscription feed ----------------------------------------------------------------------


def feed_events(client: Client, token: str) -> list[Any]:
    response = client.get(reverse("scheduling:calendar_feed", args=[token]))
    assert response.status_code == 200
    return [c for c in Calendar.from_ical(response.content).walk() if c.name == "VEVENT"]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", FAMILY_SIDE)
def test_calendar_feed_leaves_out_a_deactivated_patients_sessions(world: World, persona: str) -> None:
    viewer = getattr(world, persona)
    token = issue_calendar_feed(user=viewer)
    anonymous = Client()
    assert len(feed_events(anonymous, token)) == 1

    set_active(world.patient, False)
    ledger = disclosures_to(viewer)
    assert feed_events(anonymous, token) == []
    download = personas.login(Client(), viewer).get(reverse("scheduling:session_ics", args=[world.session.pk]))
    assert download.status_code == 404
    assert disclosures_to(viewer) == ledger


# --- Reminders (JOB-05) --------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("persona", FAMILY_SIDE)
def test_worker_sends_no_reminder_about_a_deactivated_patient(world: World, persona: str) -> None:
    """The reminders planned when the session was booked come due after the deactivation: the worker's batch
    consent decision refuses each one before any provider or mail call."""
    viewer = getattr(world, persona)
    rows = OutboxMessage.objects.filter(recipient=viewer, template_key="session_reminder")
    assert rows.count() == 2  # 24 h and 2 h before, by email (no phone)
    set_active(world.patient, False)

    with time_machine.travel(world.session.starts_at - timedelta(hours=1), tick=False):
        Worker(worker_id="test-worker").run(once=True)

    assert {(row.state, row.state_reason) for row in rows} == {
        (OutboxMessage.State.SUPPRESSED, "consent no longer covers this")
    }
    assert mail.outbox == []
    assert not rows.filter(sent_at__isnull=False).exists()


@pytest.mark.django_db
def test_reminders_planned_after_deactivation_are_refused_too(world: World) -> None:
    """A counselor moving the session plans new reminders for everyone still invited and leaves each a notice;
    no reminder goes out and no notice shows."""
    set_active(world.patient, False)
    starts_at = world.session.starts_at + timedelta(days=1)
    reschedule_session(
        actor=world.counselor, session=world.session, starts_at=starts_at, ends_at=starts_at + timedelta(hours=1)
    )
    with time_machine.travel(starts_at - timedelta(hours=1), tick=False):
        Worker(worker_id="test-worker").run(once=True)
    family = [world.family_member, world.representative]
    family_rows = OutboxMessage.objects.filter(recipient__in=family)
    assert family_rows.filter(template_key="session_reminder", state=OutboxMessage.State.SUPPRESSED).exists()
    assert not family_rows.filter(state=OutboxMessage.State.SENT).exists()
    assert set(family_rows.values_list("state", flat=True)) <= {
        OutboxMessage.State.SUPPRESSED,
        OutboxMessage.State.CANCELLED,
    }
    assert [m for m in mail.outbox if set(m.to) & {member.email for member in family}] == []
    assert SessionNotice.objects.filter(recipient__in=family, kind=SessionNotice.Kind.RESCHEDULED).count() == 2
    assert [member for member in family if SessionNotice.objects.visible_to(member).exists()] == []


# --- The conversation socket (WS-02, WS-03) ------------------------------------------------------------------------


async def next_frame(communicator: Any, timeout: float = 1.0) -> dict[str, Any]:
    output = await communicator.receive_output(timeout)
    if output["type"] == "websocket.close":
        return {"type": "closed", "code": output.get("code")}
    return json.loads(output["text"])


async def open_socket(user: User, conversation: Conversation) -> Any:
    key = await database_sync_to_async(session_key_for)(user)
    communicator = communicator_for(conversation, key)
    connected, _ = await communicator.connect(timeout=3)
    assert connected
    return communicator


@pytest.mark.parametrize("persona", FAMILY_SIDE)
@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_socket_handshake_is_refused_for_a_deactivated_patient(world: World, persona: str) -> None:
    viewer = getattr(world, persona)
    await database_sync_to_async(set_active)(world.patient, False)
    ledger = await database_sync_to_async(disclosures_to)(viewer)
    key = await database_sync_to_async(session_key_for)(viewer)
    assert await communicator_for(world.care_team, key).connect(timeout=3) == (False, 4403)
    assert await database_sync_to_async(disclosures_to)(viewer) == ledger
    staff = await open_socket(world.counselor, world.care_team)  # the care team keeps the conversation
    await staff.disconnect()


@pytest.mark.parametrize("persona", FAMILY_SIDE)
@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_open_socket_gets_no_message_sent_after_deactivation(world: World, persona: str) -> None:
    """The socket opened while the patient was active: the counselor's next message names only the care team
    as recipients, so the family member's socket is closed instead of receiving it."""
    family = await open_socket(getattr(world, persona), world.care_team)
    staff = await open_socket(world.counselor, world.care_team)
    await database_sync_to_async(set_active)(world.patient, False)

    await staff.send_json_to({"type": "message", "body": "Discharge plan attached", "client_id": "c1"})
    while (frame := await next_frame(staff))["type"] != "ack":
        pass
    assert frame["client_id"] == "c1"
    assert await next_frame(family) == {"type": "closed", "code": 4403}  # no message frame came first
    assert await family.receive_nothing(timeout=0.1)
    for communicator in (family, staff):
        await communicator.disconnect()
