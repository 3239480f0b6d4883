"""Scheduling workflows: booking, overlaps, reminders in the same transaction, RSVPs, attendance, requests."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from consent.gate import DisclosureRefused
from consent.models import Scope
from notifications.models import OutboxMessage
from scheduling.checks import session_reminder_still_due
from scheduling.models import AvailabilityException, FamilySession, Participant, SessionNotice, SessionRequest
from scheduling.services import (
    cancel_session,
    confirm_request,
    decline_request,
    record_attendance,
    request_session,
    reschedule_session,
    respond_rsvp,
    withdraw_request,
)
from tests.scheduling.conftest import book, future_start
from tests.support import personas

pytestmark = pytest.mark.django_db


def reminders(session: FamilySession, state: str = OutboxMessage.State.QUEUED) -> list[OutboxMessage]:
    rows = OutboxMessage.objects.filter(subject=session.subject, state=state, template_key="session_reminder")
    return list(rows)


def test_counselor_books_session_with_patient_and_family(family_session, patient, family_member):
    people = {p.user_id: p for p in family_session.participants.all()}
    assert set(people) == {patient.pk, family_member.pk}
    assert people[patient.pk].role == Participant.Role.PATIENT
    assert all(p.rsvp == Participant.Rsvp.INVITED for p in people.values())
    assert SessionNotice.objects.filter(session=family_session, kind=SessionNotice.Kind.INVITED).count() == 2


def test_booking_plans_one_reminder_per_participant_per_offset(family_session, program):
    rows = reminders(family_session)
    assert len(rows) == 2 * len(program.reminder_offsets_minutes)
    assert {row.recipient_id for row in rows} == set(family_session.participants.values_list("user_id", flat=True))


def test_rolled_back_booking_leaves_no_session_and_no_reminder(counselor, patient, family_member):
    with pytest.raises(RuntimeError), transaction.atomic():
        book(counselor, patient, [family_member])
        raise RuntimeError("boom")
    assert not FamilySession.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_family_member_without_schedule_scope_cannot_be_invited(counselor, patient, program):
    member = personas.make_user("nosched@example.org", "family", None)
    personas.consent_for(patient, member, scopes=[Scope.EDUCATION])
    with pytest.raises(ValidationError):
        book(counselor, patient, [member])
    assert not FamilySession.objects.exists()


@pytest.mark.parametrize("persona", ["revoked_member", "outsider", "learner"])
def test_people_without_consent_cannot_be_invited(request, counselor, patient, persona):
    with pytest.raises(ValidationError):
        book(counselor, patient, [request.getfixturevalue(persona)])


def test_unassigned_counselor_cannot_book_for_patient(unassigned_counselor, patient):
    with pytest.raises(DisclosureRefused):
        book(unassigned_counselor, patient)


def test_counselor_cannot_be_double_booked(counselor, patient, family_session):
    with pytest.raises(ValidationError, match="overlaps"):
        book(counselor, patient, starts_at=family_session.starts_at + timedelta(minutes=30))


def test_back_to_back_sessions_are_allowed(counselor, patient, family_session):
    later = book(counselor, patient, starts_at=family_session.ends_at)
    assert later.starts_at == family_session.ends_at


def test_time_off_blocks_booking(counselor, patient):
    start = future_start()
    AvailabilityException.objects.create(counselor=counselor, starts_at=start, ends_at=start + timedelta(hours=4))
    with pytest.raises(ValidationError, match="away"):
        book(counselor, patient, starts_at=start + timedelta(hours=1))


def test_booking_in_the_past_is_refused(counselor, patient):
    with pytest.raises(ValidationError):
        book(counselor, patient, starts_at=timezone.now() - timedelta(hours=1))


def test_rescheduling_replaces_reminders_exactly_once(family_session, counselor, program):
    old = {row.pk for row in reminders(family_session)}
    new_start = family_session.starts_at + timedelta(days=1)
    reschedule_session(
        actor=counselor, session=family_session, starts_at=new_start, ends_at=new_start + timedelta(hours=1)
    )

    cancelled = {row.pk for row in reminders(family_session, OutboxMessage.State.CANCELLED)}
    queued = reminders(family_session)
    assert cancelled == old
    assert len(queued) == 2 * len(program.reminder_offsets_minutes)
    per_person_offset = {(row.recipient_id, row.idempotency_key.split(":")[-3]) for row in queued}
    assert len(per_person_offset) == len(queued)
    assert all(row.context["starts_at"] == new_start.isoformat() for row in queued)


def test_moving_a_session_back_to_its_first_time_plans_reminders_again(family_session, counselor, program):
    first_start = family_session.starts_at
    away = first_start + timedelta(days=1)
    for start in (away, first_start):
        family_session = reschedule_session(
            actor=counselor, session=family_session, starts_at=start, ends_at=start + timedelta(hours=1)
        )
    queued = reminders(family_session)
    assert len(queued) == 2 * len(program.reminder_offsets_minutes)
    assert all(row.context["starts_at"] == first_start.isoformat() for row in queued)


def test_rescheduling_bumps_calendar_sequence_and_notifies(family_session, counselor, family_member):
    new_start = family_session.starts_at + timedelta(days=2)
    moved = reschedule_session(
        actor=counselor, session=family_session, starts_at=new_start, ends_at=new_start + timedelta(hours=1)
    )
    assert moved.sequence == 1
    notice = SessionNotice.objects.get(recipient=family_member, kind=SessionNotice.Kind.RESCHEDULED)
    assert notice.previous_starts_at == family_session.starts_at


def test_rescheduling_onto_another_session_is_refused_and_keeps_reminders(counselor, patient, family_session):
    other = book(counselor, patient, starts_at=family_session.starts_at + timedelta(days=1))
    before = {row.pk for row in reminders(family_session)}
    with pytest.raises(ValidationError):
        reschedule_session(actor=counselor, session=family_session, starts_at=other.starts_at, ends_at=other.ends_at)
    assert {row.pk for row in reminders(family_session)} == before


def test_cancelling_cancels_reminders_and_notifies(family_session, counselor, family_member):
    cancel_session(actor=counselor, session=family_session, reason="The counselor is unwell.")
    family_session.refresh_from_db()
    assert family_session.status == FamilySession.Status.CANCELLED
    assert reminders(family_session) == []
    assert SessionNotice.objects.filter(recipient=family_member, kind=SessionNotice.Kind.CANCELLED).exists()


def test_cancelling_needs_a_reason(family_session, counselor):
    with pytest.raises(ValidationError):
        cancel_session(actor=counselor, session=family_session, reason="  ")


def test_subject_check_refuses_cancelled_moved_and_declined(family_session, counselor, family_member):
    row = OutboxMessage.objects.filter(
        subject=family_session.subject, recipient=family_member, template_key="session_reminder"
    ).first()
    assert session_reminder_still_due(row)
    respond_rsvp(user=family_member, session=family_session, response=Participant.Rsvp.DECLINED)
    assert not session_reminder_still_due(row)
    respond_rsvp(user=family_member, session=family_session, response=Participant.Rsvp.ACCEPTED)
    assert session_reminder_still_due(row)
    new_start = family_session.starts_at + timedelta(hours=3)
    reschedule_session(
        actor=counselor, session=family_session, starts_at=new_start, ends_at=new_start + timedelta(hours=1)
    )
    assert not session_reminder_still_due(row)


def test_subject_check_refuses_after_consent_revoked(family_session, family_member, consent):
    row = OutboxMessage.objects.filter(
        subject=family_session.subject, recipient=family_member, template_key="session_reminder"
    ).first()
    personas.revoke(consent)
    assert not session_reminder_still_due(row)


def test_subject_check_fails_closed_on_garbage(family_session):
    row = OutboxMessage.objects.filter(subject=family_session.subject).first()
    assert row is not None
    row.subject = "session:not-a-uuid"
    assert not session_reminder_still_due(row)


def test_family_member_rsvps(family_session, family_member):
    participant = respond_rsvp(user=family_member, session=family_session, response=Participant.Rsvp.TENTATIVE)
    assert participant.rsvp == Participant.Rsvp.TENTATIVE
    assert participant.rsvp_at is not None


def test_revoked_member_cannot_rsvp(counselor, patient, family_member, consent):
    session = book(counselor, patient, [family_member])
    personas.revoke(consent)
    with pytest.raises(DisclosureRefused):
        respond_rsvp(user=family_member, session=session, response=Participant.Rsvp.ACCEPTED)


def test_education_night_rsvp_respects_capacity(counselor, family_member, outsider):
    night = book(counselor, None, capacity=1)
    respond_rsvp(user=family_member, session=night, response=Participant.Rsvp.ACCEPTED)
    beyond = respond_rsvp(user=outsider, session=night, response=Participant.Rsvp.ACCEPTED)
    assert beyond.rsvp == Participant.Rsvp.WAITLISTED  # full: the waiting list (tests/scheduling/test_waitlist.py)
    maybe = respond_rsvp(user=outsider, session=night, response=Participant.Rsvp.TENTATIVE)
    assert maybe.rsvp == Participant.Rsvp.TENTATIVE
    assert night.participants.filter(rsvp=Participant.Rsvp.ACCEPTED).count() == 1


def test_learner_cannot_join_education_night(counselor, learner):
    night = book(counselor, None)
    with pytest.raises(DisclosureRefused):
        respond_rsvp(user=learner, session=night, response=Participant.Rsvp.ACCEPTED)


def test_joining_education_night_plans_reminders_for_that_person(counselor, family_member, program):
    night = book(counselor, None)
    assert reminders(night) == []
    respond_rsvp(user=family_member, session=night, response=Participant.Rsvp.ACCEPTED)
    assert len(reminders(night)) == len(program.reminder_offsets_minutes)


def test_attendance_completes_session(counselor, patient, family_member, time_machine):
    session = book(counselor, patient, [family_member])
    time_machine.move_to(session.starts_at + timedelta(minutes=5))
    marks = {p.pk: Participant.Attendance.ATTENDED for p in session.participants.all()}
    record_attendance(actor=counselor, session=session, marks=marks)
    session.refresh_from_db()
    assert session.status == FamilySession.Status.COMPLETED
    assert set(session.participants.values_list("attendance", flat=True)) == {Participant.Attendance.ATTENDED}


def test_attendance_before_start_is_refused(family_session, counselor):
    with pytest.raises(ValidationError):
        record_attendance(actor=counselor, session=family_session, marks={})


def test_family_request_with_proposed_times_is_confirmed(counselor, patient, family_member):
    first = future_start(days=4)
    asked = request_session(requester=family_member, patient=patient, proposed_times=[first, first + timedelta(days=1)])
    assert asked.counselor == counselor
    session = confirm_request(
        actor=counselor, session_request=asked, starts_at=first, location="Room 1", modality="in_person"
    )
    asked.refresh_from_db()
    assert asked.status == SessionRequest.Status.CONFIRMED
    assert asked.session == session
    assert set(session.participants.values_list("user_id", flat=True)) == {patient.pk, family_member.pk}
    assert SessionNotice.objects.filter(recipient=family_member, kind=SessionNotice.Kind.REQUEST_CONFIRMED).exists()


def test_declined_request_reaches_family_with_message(counselor, patient, family_member):
    asked = request_session(requester=family_member, patient=patient, proposed_times=[future_start(days=4)])
    decline_request(actor=counselor, session_request=asked, message="Could you do Thursday evening instead?")
    notice = SessionNotice.objects.get(recipient=family_member)
    assert notice.kind == SessionNotice.Kind.REQUEST_DECLINED
    assert SessionRequest.objects.get(pk=asked.pk).response_message.startswith("Could you")


def test_withdrawn_request_cannot_be_confirmed(counselor, patient, family_member):
    asked = request_session(requester=family_member, patient=patient, proposed_times=[future_start(days=4)])
    withdraw_request(requester=family_member, session_request=asked)
    with pytest.raises(ValidationError):
        confirm_request(actor=counselor, session_request=asked, starts_at=future_start(days=4), location="Room 1")


@pytest.mark.parametrize("persona", ["revoked_member", "outsider", "learner"])
def test_people_without_consent_cannot_request(request, patient, persona):
    with pytest.raises(DisclosureRefused):
        request_session(requester=request.getfixturevalue(persona), patient=patient, proposed_times=[future_start()])
    assert not SessionRequest.objects.exists()


def test_request_needs_a_time(patient, family_member):
    with pytest.raises(ValidationError):
        request_session(requester=family_member, patient=patient)
