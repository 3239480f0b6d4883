"""Capacity and waiting list (issue 19, item 2): "going" beyond a group's places joins a waiting list in the order
people asked; a freed place (not going, maybe, a removal, more places) goes to the first person waiting, who is told
once through the outbox in their own language; people can leave the list; staff see the counts and the list."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from consent.models import AuditEvent, Consent
from notifications import sms
from notifications.models import OutboxMessage
from notifications.rendering import render_outbox_email
from scheduling.checks import session_message_still_due
from scheduling.forms import CapacityForm, SessionForm
from scheduling.models import FamilySession, Participant, SessionNotice
from scheduling.services import (
    change_capacity,
    fill_free_places,
    leave_waitlist,
    remove_participant,
    respond_rsvp,
    waiting_position,
)
from tests.scheduling.conftest import book, future_start
from tests.scheduling.test_notices import mails_to, run_worker
from tests.support import personas

pytestmark = pytest.mark.django_db

GOING, MAYBE, NOT_GOING = Participant.Rsvp.ACCEPTED, Participant.Rsvp.TENTATIVE, Participant.Rsvp.DECLINED
PLACE = "session_place_confirmed"


@pytest.fixture(autouse=True)
def _console_sms(settings: Any) -> Iterator[None]:
    settings.TWILIO_ACCOUNT_SID = ""
    settings.TWILIO_MPS = 1000.0
    settings.PORTAL_BASE_URL = "https://portal.example.org"
    sms.reset_backend()
    yield
    sms.reset_backend()


def families(patient: User, count: int, start: int = 0) -> list[User]:
    """``count`` family members of ``patient``, each with a consent covering sessions."""
    people = []
    for index in range(start, start + count):
        member = personas.make_user(f"kin{index}@example.org", User.Role.FAMILY, None, full_name=f"Kin Number{index}")
        personas.consent_for(patient, member)
        people.append(member)
    return people


def answer(user: User, session: FamilySession, response: str) -> Participant:
    return respond_rsvp(user=user, session=session, response=response)


def rsvp_of(session: FamilySession, user: User) -> str:
    return Participant.objects.get(session=session, user=user).rsvp


def place_notices(session: FamilySession, **filters: Any) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(subject=session.subject, template_key=PLACE, **filters))


@pytest.fixture
def night(counselor: User) -> FamilySession:
    """An education night (a group open to the program's families) with two places."""
    return book(counselor, None, capacity=2, title="Family night")


# --- joining the list and its order ------------------------------------------------------------------------------


def test_going_beyond_the_places_joins_the_waiting_list_in_the_order_people_asked(night, patient):
    first, second, third, fourth = families(patient, 4)
    assert answer(first, night, GOING).rsvp == GOING
    assert answer(second, night, GOING).rsvp == GOING
    waiting_a, waiting_b = answer(third, night, GOING), answer(fourth, night, GOING)
    assert (waiting_a.rsvp, waiting_b.rsvp) == (Participant.Rsvp.WAITLISTED, Participant.Rsvp.WAITLISTED)
    assert (waiting_position(waiting_a), waiting_position(waiting_b)) == (1, 2)
    assert answer(third, night, GOING).rsvp == Participant.Rsvp.WAITLISTED  # asking again keeps the turn
    assert waiting_position(Participant.objects.get(pk=waiting_a.pk)) == 1
    assert night.participants.filter(rsvp=GOING).count() == 2
    assert not Participant.objects.get(pk=waiting_a.pk).expects_reminders  # no reminders while waiting


def test_a_freed_place_goes_to_the_first_person_waiting_who_is_told_once(night, patient, program):
    first, second, third, fourth = families(patient, 4)
    for person in (first, second, third, fourth):
        answer(person, night, GOING)
    answer(first, night, NOT_GOING)
    assert rsvp_of(night, third) == GOING  # asked first among those waiting
    assert rsvp_of(night, fourth) == Participant.Rsvp.WAITLISTED
    assert waiting_position(Participant.objects.get(session=night, user=fourth)) == 1
    rows = place_notices(night)
    assert [(row.recipient_id, row.channel) for row in rows] == [(third.pk, OutboxMessage.Channel.EMAIL)]
    assert SessionNotice.objects.filter(recipient=third, kind=SessionNotice.Kind.PLACE_CONFIRMED).count() == 1
    assert night.participants.get(user=third).expects_reminders
    reminders = OutboxMessage.objects.filter(subject=night.subject, template_key="session_reminder", recipient=third)
    assert reminders.count() == len(program.reminder_offsets_minutes)
    fill_free_places(FamilySession.objects.get(pk=night.pk))  # nothing free: nothing more, nobody told twice
    assert len(place_notices(night)) == 1
    assert AuditEvent.objects.filter(data__event="waitlist_promoted", data__session=str(night.pk)).count() == 1


def test_the_notice_goes_out_once_in_the_persons_language_and_neutral_words(night, patient):
    first, second, waiting = families(patient, 3)
    waiting.preferred_language = "es"
    waiting.save(update_fields=["preferred_language"])
    for person in (first, second, waiting):
        answer(person, night, GOING)
    answer(second, night, MAYBE)
    row = place_notices(night)[0]
    assert session_message_still_due(row)
    with translation.override("en"):
        subject, body = render_outbox_email(row, row.created_at)
    assert subject == "Se liberó un cupo para usted"
    assert "Family night" not in body and "Kin" not in body and "/sessions/" in body
    run_worker()
    run_worker()
    assert len(mails_to(waiting, "Se liberó un cupo para usted")) == 1
    assert OutboxMessage.objects.get(pk=row.pk).state == OutboxMessage.State.SENT


def test_a_notice_for_a_place_no_longer_theirs_is_dropped_at_send_time(night, patient):
    first, second, waiting = families(patient, 3)
    for person in (first, second, waiting):
        answer(person, night, GOING)
    answer(first, night, NOT_GOING)
    row = place_notices(night)[0]
    answer(waiting, night, NOT_GOING)
    assert not session_message_still_due(OutboxMessage.objects.get(pk=row.pk))


def test_leaving_the_list_and_asking_again_goes_to_the_end(night, patient):
    first, second, third, fourth = families(patient, 4)
    for person in (first, second, third, fourth):
        answer(person, night, GOING)
    left = leave_waitlist(user=third, session=night)
    assert (left.rsvp, left.waitlisted_at) == (NOT_GOING, None)
    assert waiting_position(Participant.objects.get(session=night, user=fourth)) == 1
    assert answer(third, night, GOING).rsvp == Participant.Rsvp.WAITLISTED
    assert waiting_position(Participant.objects.get(session=night, user=third)) == 2
    with pytest.raises(ValidationError, match="not on the waiting list"):
        leave_waitlist(user=first, session=night)
    assert place_notices(night) == []  # leaving the list frees no place


def test_a_removal_frees_a_place(night, counselor, patient):
    first, second, waiting = families(patient, 3)
    for person in (first, second, waiting):
        answer(person, night, GOING)
    remove_participant(actor=counselor, participant=Participant.objects.get(session=night, user=first))
    assert rsvp_of(night, waiting) == GOING
    assert [row.recipient_id for row in place_notices(night)] == [waiting.pk]


def test_more_places_promote_in_order_and_fewer_move_nobody(night, counselor, patient):
    people = families(patient, 6)
    for person in people:
        answer(person, night, GOING)
    promoted = change_capacity(actor=counselor, session=night, capacity=4)
    assert [p.user_id for p in promoted] == [people[2].pk, people[3].pk]
    assert change_capacity(actor=counselor, session=night, capacity=1) == []
    assert night.participants.filter(rsvp=GOING).count() == 4  # nobody going is moved back
    assert change_capacity(actor=counselor, session=night, capacity=None) == [
        Participant.objects.get(session=night, user=people[4]),
        Participant.objects.get(session=night, user=people[5]),
    ]
    assert {row.recipient_id for row in place_notices(night)} == {p.pk for p in people[2:]}


def test_someone_whose_sharing_ended_is_passed_over_and_keeps_their_turn(night, counselor, patient, outsider):
    first, second, revoked, next_in_line = families(patient, 4)
    for person in (first, second, revoked, next_in_line):
        answer(person, night, GOING)
    personas.revoke(Consent.objects.get(recipient=revoked))
    answer(first, night, NOT_GOING)
    assert rsvp_of(night, revoked) == Participant.Rsvp.WAITLISTED
    assert rsvp_of(night, next_in_line) == GOING


def test_a_place_held_by_someone_whose_sharing_ends_goes_to_the_first_person_waiting(night, patient):
    first, leaving, waiting = families(patient, 3)
    for person in (first, leaving, waiting):
        answer(person, night, GOING)
    personas.revoke(Consent.objects.get(recipient=leaving))
    assert rsvp_of(night, leaving) == Participant.Rsvp.INVITED  # the place is not kept for them
    assert (rsvp_of(night, first), rsvp_of(night, waiting)) == (GOING, GOING)
    assert [row.recipient_id for row in place_notices(night)] == [waiting.pk]
    assert AuditEvent.objects.filter(data__event="place_released", data__session=str(night.pk)).count() == 1


def test_a_place_someone_still_sees_through_another_consent_is_kept(night, counselor, patient, program):
    first, both, waiting = families(patient, 3)
    other = personas.make_user("other-patient@example.org", User.Role.PATIENT, program, full_name="Other Person")
    personas.consent_for(other, both)
    for person in (first, both, waiting):
        answer(person, night, GOING)
    personas.revoke(Consent.objects.get(recipient=both, patient=patient))
    assert (rsvp_of(night, both), rsvp_of(night, waiting)) == (GOING, Participant.Rsvp.WAITLISTED)


def test_no_promotion_once_the_session_is_cancelled(night, counselor, patient):
    from scheduling.services import cancel_session

    first, second, waiting = families(patient, 3)
    for person in (first, second, waiting):
        answer(person, night, GOING)
    cancel_session(actor=counselor, session=night, reason="Snow")
    assert fill_free_places(FamilySession.objects.get(pk=night.pk)) == []


def test_each_occurrence_of_a_series_has_its_own_places_and_list(counselor, patient):
    from scheduling.reminders import extend_series_reminders
    from scheduling.services import schedule_series

    starts_at = future_start(days=2)
    series = schedule_series(
        actor=counselor,
        every_weeks=2,
        count=3,
        kind=FamilySession.Kind.EDUCATION_NIGHT,
        title="Family night",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        modality=FamilySession.Modality.IN_PERSON,
        location="Hall",
        capacity=1,
    )
    first, _second, last = FamilySession.objects.filter(series=series).order_by("occurrence_start")
    going, waiting = families(patient, 2)
    answer(going, first, GOING)
    assert answer(waiting, first, GOING).rsvp == Participant.Rsvp.WAITLISTED
    answer(going, last, GOING)
    assert answer(waiting, last, GOING).rsvp == Participant.Rsvp.WAITLISTED  # four weeks out: past the horizon
    answer(going, last, NOT_GOING)
    assert rsvp_of(last, waiting) == GOING and rsvp_of(first, waiting) == Participant.Rsvp.WAITLISTED
    assert [row.recipient_id for row in place_notices(last)] == [waiting.pk] and place_notices(first) == []
    later = OutboxMessage.objects.filter(subject=last.subject, template_key="session_reminder", recipient=waiting)
    assert not later.exists()  # planned by the rolling horizon, not at once
    with time_machine.travel(last.starts_at - timedelta(days=5), tick=False):
        extend_series_reminders(timezone.now())
    assert later.exists()


# --- validation ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "-3", "501", "many"])
def test_places_must_be_at_least_one(value):
    assert not CapacityForm({"capacity": value}).is_valid()
    form = SessionForm({"kind": "education_night", "title": "T", "capacity": value})
    form.is_valid()
    assert "capacity" in form.errors
    assert CapacityForm({"capacity": ""}).is_valid()


def test_the_service_and_the_database_refuse_zero_places(night, counselor, patient):
    family_session = book(counselor, patient, starts_at=future_start(days=5))
    with pytest.raises(ValidationError):
        change_capacity(actor=counselor, session=night, capacity=0)
    with pytest.raises(ValidationError, match="group"):
        change_capacity(actor=counselor, session=family_session, capacity=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        FamilySession.objects.filter(pk=night.pk).update(capacity=0)


def test_only_the_care_team_changes_places(night, unassigned_counselor, family_member, login):
    response = login(family_member).post(reverse("scheduling:session_capacity", args=[night.pk]), {"capacity": "5"})
    assert response.status_code == 404
    assert FamilySession.objects.get(pk=night.pk).capacity == 2


# --- pages -----------------------------------------------------------------------------------------------------


def test_family_page_says_the_turn_and_leaves_the_list(night, patient, login):
    first, second, third, fourth = families(patient, 4)
    for person in (first, second, third, fourth):
        answer(person, night, GOING)
    client = login(fourth)
    page = client.get(night.get_absolute_url()).content.decode()
    assert "You are number 2 on the waiting list." in page
    assert reverse("scheduling:waitlist_leave", args=[night.pk]) in page
    left = client.post(reverse("scheduling:waitlist_leave", args=[night.pk]), follow=True).content.decode()
    assert "You have left the waiting list." in left
    assert rsvp_of(night, fourth) == NOT_GOING


def test_the_video_link_is_only_for_those_with_a_place(counselor, patient, login):
    video = book(
        counselor,
        None,
        capacity=1,
        title="Online night",
        modality="video",
        location="",
        join_url="https://v.example/r/1",
    )
    going, waiting = families(patient, 2)
    answer(going, video, GOING)
    answer(waiting, video, GOING)
    client = login(waiting)
    page = client.get(video.get_absolute_url()).content.decode()
    assert "https://v.example/r/1" not in page and "once a place is yours" in page
    answer(going, video, NOT_GOING)
    assert "https://v.example/r/1" in client.get(video.get_absolute_url()).content.decode()


def test_the_portals_video_room_is_only_for_those_with_a_place(settings, counselor, patient, login):
    from tests.scheduling.video import book_video, configure_jitsi, press_join

    configure_jitsi(settings)
    video = book_video(counselor, None, [], capacity=1, title="Online night")
    going, waiting = families(patient, 2)
    answer(going, video, GOING)
    answer(waiting, video, GOING)
    client = login(waiting)
    page = client.get(video.get_absolute_url()).content.decode()
    assert reverse("scheduling:video_join", args=[video.pk]) not in page and "once a place is yours" in page
    assert press_join(client, video).status_code == 404  # no token for a person still waiting
    answer(going, video, NOT_GOING)
    assert reverse("scheduling:video_join", args=[video.pk]) in client.get(video.get_absolute_url()).content.decode()


def test_answering_going_when_full_says_the_turn(night, patient, login):
    first, second, third = families(patient, 3)
    answer(first, night, GOING)
    answer(second, night, GOING)
    page = login(third).post(reverse("scheduling:rsvp", args=[night.pk]), {"response": GOING}, follow=True)
    assert "This session is full. You are number 1 on the waiting list." in page.content.decode()


def test_staff_page_shows_counts_and_the_list_in_order_and_promotes_on_more_places(night, counselor, patient, login):
    people = families(patient, 5)
    for person in people:
        answer(person, night, GOING)
    client = login(counselor)
    page = client.get(night.get_absolute_url()).content.decode()
    assert "Places: 2 going of 2" in page and "3 waiting" in page
    waiting_list = page[page.index('class="sched-waiting-list"') :]
    order = [waiting_list.index(person.full_name) for person in people[2:]]
    assert order == sorted(order)
    response = client.post(reverse("scheduling:session_capacity", args=[night.pk]), {"capacity": "3"}, follow=True)
    assert "1 person from the waiting list has a place now and is told." in response.content.decode()
    assert rsvp_of(night, people[2]) == GOING
    refused = client.post(reverse("scheduling:session_capacity", args=[night.pk]), {"capacity": "0"}, follow=True)
    assert refused.status_code == 200 and FamilySession.objects.get(pk=night.pk).capacity == 3


def test_staff_list_counts_the_people_waiting(night, counselor, patient, login):
    for person in families(patient, 5):
        answer(person, night, GOING)
    page = login(counselor).get(reverse("scheduling:session_list")).content.decode()
    assert "2 of 5 (places: 2) · 3 waiting" in page


@pytest.mark.parametrize("viewer", ["counselor", "waiting_member"])
def test_session_page_query_count_is_constant_as_the_list_grows(
    request, night, counselor, patient, login, django_assert_num_queries, viewer
):
    people = families(patient, 4)
    for person in people:
        answer(person, night, GOING)
    client = login(counselor if viewer == "counselor" else people[-1])
    url = night.get_absolute_url()
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for person in families(patient, 12, start=10):
        answer(person, night, GOING)
    with django_assert_num_queries(len(few)):
        response = client.get(url)
    assert response.status_code == 200
