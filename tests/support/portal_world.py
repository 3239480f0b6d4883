"""A small, lived-in portal built through the real services: every page a persona can reach has rows and links.

Used by the crawler (ROB-01), the staff-guard walker (AZ-03) and the bad-input tests. The cast is the standard one
of tests/conftest.py plus a personal representative; the data: upcoming, past (attendance recorded), cancelled and
open sessions, a pending session request, weekly hours and time off, care-team and one-to-one messages, an
assigned module with progress, a draft module, a pending paper consent, a calendar feed and the outbox rows all of
that queued.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

import time_machine
from django.utils import timezone

from accounts.models import Program, User
from consent.models import Consent, PersonalRepresentative, Scope
from consent.services import grant_consent, record_paper_consent, record_personal_representative
from education.models import Module
from education.services import assign_module, complete_lesson, start_module
from messaging import services as messaging
from messaging.models import Conversation
from messaging.summaries import services as summaries
from scheduling.models import (
    Availability,
    AvailabilityException,
    FamilySession,
    Participant,
    SessionRequest,
    TreatmentSession,
)
from scheduling.services import (
    cancel_session,
    issue_calendar_feed,
    record_attendance,
    request_session,
    schedule_session,
)
from scheduling.services.letters import issue_letter
from scheduling.services.treatment_records import save_treatment_session
from tests.support.education_content import draft_module, published_module


@dataclass
class World:
    program: Program
    people: dict[str, User]
    sessions: dict[str, FamilySession] = field(default_factory=dict)
    session_request: SessionRequest | None = None
    conversations: dict[str, Conversation] = field(default_factory=dict)
    module: Module | None = None


def _start(days: int, hour_utc: int = 17) -> datetime:
    """``days`` from now at a daytime UTC hour (midday in New York), so reminders fall in waking hours."""
    return (timezone.now() + timedelta(days=days)).replace(hour=hour_utc, minute=0, second=0, microsecond=0)


def _book(counselor: User, patient: User | None, members: list[User], starts_at: datetime) -> FamilySession:
    return schedule_session(
        actor=counselor,
        kind=FamilySession.Kind.FAMILY_THERAPY if patient else FamilySession.Kind.EDUCATION_NIGHT,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        modality=FamilySession.Modality.IN_PERSON,
        location="Room 2, 10 Elm Street",
        patient=patient,
        family_members=members,
        staff_notes="Use the side door",
    )


def _attendance_letter(counselor: User, patient: User) -> None:
    """A court consent signed ten days ago and one attendance letter under it (scheduling/services/letters.py)."""
    court = grant_consent(
        patient=patient,
        recipient_kind=Consent.RecipientKind.COURT,
        recipient_name="Judge Ana Ruiz",
        recipient_organisation="County Drug Court",
        referral_source="County Drug Court",
        referral_proceeding="Case 2026-CR-0142",
        scopes=[Scope.ATTENDANCE.value],
        purpose=Consent.Purpose.COURT_REPORTING,
        expires_at=timezone.now() + timedelta(days=200),
        signature="Pat Rivera",
    )
    Consent.objects.filter(pk=court.pk).update(signed_at=timezone.now() - timedelta(days=10))
    court.refresh_from_db()
    assert patient.program is not None
    today = timezone.localdate(timezone=patient.program.tz)
    issue_letter(actor=counselor, patient=patient, consent=court, start=today - timedelta(days=9), end=today)


def build_world(people: dict[str, User]) -> World:
    """Fill the portal around ``people`` (the conftest personas by fixture name, plus ``representative``)."""
    patient, counselor, member = people["patient"], people["counselor"], people["family_member"]
    program = counselor.program
    assert program is not None
    world = World(program=program, people=people)

    record_personal_representative(
        staff=counselor,
        patient=patient,
        representative=people["representative"],
        authority=PersonalRepresentative.Authority.GUARDIAN,
        document_reference="Court order 12",
    )
    record_paper_consent(
        staff=counselor,
        patient=patient,
        recipient_name="Dana Rivera",
        recipient_email="dana@example.org",
        scopes=[Scope.SCHEDULE.value],
        expires_at=timezone.now() + timedelta(days=90),
        signature="Pat Rivera",
        signed_at=timezone.now() - timedelta(days=1),
        paper_form_reference="Paper form 7",
        attested=True,
    )

    Availability.objects.create(
        counselor=counselor, weekday=2, start_time=time(9), end_time=time(12), time_zone="America/New_York"
    )
    AvailabilityException.objects.create(
        counselor=counselor, starts_at=_start(20), ends_at=_start(21), note="Training day"
    )
    world.sessions["upcoming"] = _book(counselor, patient, [member], _start(3))
    world.sessions["open_event"] = _book(counselor, None, [], _start(5))
    cancelled = _book(counselor, patient, [member], _start(7))
    world.sessions["cancelled"] = cancel_session(actor=counselor, session=cancelled, reason="The counselor is unwell.")
    past = _book(counselor, patient, [member], _start(1, hour_utc=2))
    with time_machine.travel(past.ends_at + timedelta(minutes=5), tick=False):
        marks = {p.pk: Participant.Attendance.ATTENDED for p in past.participants.current()}
        world.sessions["past"] = record_attendance(actor=counselor, session=past, marks=marks)
    world.session_request = request_session(
        requester=member, patient=patient, proposed_times=[_start(10), _start(11)], message="Evenings suit us."
    )
    issue_calendar_feed(user=member)
    treatment = TreatmentSession(
        patient=patient,
        kind=TreatmentSession.Kind.IOP_GROUP,
        date=timezone.localdate() - timedelta(days=5),
        start_time=time(18),
        minutes=180,
        attendance=TreatmentSession.Attendance.ATTENDED,
        note="Arrived on time.",
    )
    save_treatment_session(actor=counselor, record=treatment)
    _attendance_letter(counselor, patient)

    care_team = messaging.care_team_conversation(patient)
    messaging.send_message(sender=member, conversation=care_team, body="How is the week going?")
    messaging.send_message(sender=counselor, conversation=care_team, body="Well, thank you. See you Thursday.")
    direct = messaging.start_direct_conversation(starter=counselor, patient=patient, other=member)
    messaging.send_message(sender=counselor, conversation=direct, body="A note just for you.")
    world.conversations = {"care_team": care_team, "direct": direct}

    module = published_module("crawl-basics", title="Crawl basics")
    assign_module(counselor=counselor, patient=patient, module=module, due_on=timezone.localdate() + timedelta(days=14))
    progress = start_module(learner=member, module=module)
    complete_lesson(progress=progress, lesson=progress.version.lessons.get(position=1))
    draft_module("crawl-draft", program=program, author=counselor)
    world.module = module

    # Progress summaries: one shared with the family (a second version waiting for the patient's review).
    wrote = summaries.SummaryText("Came to every group.", "Steady sleep.", "Ask about the week.", "en")
    first = summaries.write_summary(author=counselor, patient=patient, text=wrote, send=True)
    summaries.approve(reviewer=patient, summary=first.summary, version_number=1)
    summaries.revise_summary(author=counselor, summary=first.summary, text=wrote, send=True)
    return world
