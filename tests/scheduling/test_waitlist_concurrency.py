"""The last place of a group, raced on PostgreSQL: exactly one family member gets it (the session row is locked),
and places freed at once each go to a different person waiting, told once."""

from __future__ import annotations

import pytest

from notifications.models import OutboxMessage
from scheduling.models import Participant
from scheduling.services import remove_participant, respond_rsvp
from tests.scheduling.conftest import book
from tests.scheduling.test_concurrency import race
from tests.scheduling.test_waitlist import families

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgres_only")]

GOING, WAITING = Participant.Rsvp.ACCEPTED, Participant.Rsvp.WAITLISTED


def test_two_family_members_asking_for_the_last_place_at_once_exactly_one_gets_it(counselor, patient):
    night = book(counselor, None, capacity=2, title="Family night")
    first, second, third = families(patient, 3)
    respond_rsvp(user=first, session=night, response=GOING)
    outcomes = race(
        lambda: respond_rsvp(user=second, session=night, response=GOING),
        lambda: respond_rsvp(user=third, session=night, response=GOING),
    )
    assert outcomes == ["ok", "ok"]  # nobody is refused: one is going, the other waits
    answers = sorted(Participant.objects.filter(session=night, user__in=[second, third]).values_list("rsvp", flat=True))
    assert answers == sorted([GOING, WAITING])
    assert Participant.objects.filter(session=night, rsvp=GOING).count() == 2


def test_places_freed_at_once_go_to_two_different_people_each_told_once(counselor, patient):
    night = book(counselor, None, capacity=2, title="Family night")
    leaving, removed, waiting_a, waiting_b, waiting_c = families(patient, 5)
    for person in (leaving, removed, waiting_a, waiting_b, waiting_c):
        respond_rsvp(user=person, session=night, response=GOING)
    removed_row = Participant.objects.get(session=night, user=removed)
    outcomes = race(
        lambda: respond_rsvp(user=leaving, session=night, response=Participant.Rsvp.DECLINED),
        lambda: remove_participant(actor=counselor, participant=removed_row),
    )
    assert outcomes == ["ok", "ok"]
    rsvp = dict(Participant.objects.filter(session=night).values_list("user_id", "rsvp"))
    assert (rsvp[waiting_a.pk], rsvp[waiting_b.pk], rsvp[waiting_c.pk]) == (GOING, GOING, WAITING)
    told = OutboxMessage.objects.filter(subject=night.subject, template_key="session_place_confirmed")
    assert sorted(told.values_list("recipient_id", flat=True)) == sorted([waiting_a.pk, waiting_b.pk])
