"""``participant_ids`` is ``can_participate`` for everyone at once, and a message's recipients are decided when it is
sent (performance plan §7.7): the same answer for every persona, in a constant number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.utils import timezone

from accounts.models import CaseloadAssignment, User
from consent.models import PersonalRepresentative
from consent.services import record_personal_representative, start_break_glass
from messaging import services
from messaging.access import can_participate, participant_ids
from messaging.models import Conversation
from tests.support import personas

pytestmark = pytest.mark.django_db

PERSONAS = [*personas.GATE_PERSONAS, "scopeless_member"]


@pytest.fixture
def everyone(request, patient, counselor, unassigned_counselor, family_member) -> list[User]:
    """Every persona, plus the edge cases the rules name: a personal representative, a counselor on break-glass,
    a counselor whose caseload ended, a deactivated family member with a consent, an admin of another program."""
    people = [request.getfixturevalue(name) for name in PERSONAS]
    program = patient.program
    guardian = personas.make_user("guardian@example.org", User.Role.FAMILY, program)
    record_personal_representative(
        staff=counselor,
        patient=patient,
        representative=guardian,
        authority=PersonalRepresentative.Authority.GUARDIAN,
        document_reference="Court order 7",
    )
    glass = personas.make_staff("glass@example.org", program)
    start_break_glass(counselor=glass, patient=patient, reason="Crisis call at night")
    former = personas.make_staff("former@example.org", program)
    CaseloadAssignment.objects.create(counselor=former, patient=patient, ended_at=timezone.now())
    inactive = personas.make_user("gone@example.org", User.Role.FAMILY, program)
    personas.consent_for(patient, inactive)
    User.objects.filter(pk=inactive.pk).update(is_active=False)
    elsewhere_program = personas.make_program("Elsewhere")
    elsewhere = personas.make_staff("admin@else.example.org", elsewhere_program, User.Role.PROGRAM_ADMIN)
    return [User.objects.get(pk=u.pk) for u in [*people, guardian, glass, former, inactive, elsewhere]]


def _one_by_one(people: list[User], conversation: Conversation, at=None) -> frozenset[int]:
    return frozenset(u.pk for u in people if can_participate(u, conversation, at))


@pytest.mark.parametrize("joins", [True, False])
def test_care_team_batch_matches_can_participate_for_every_persona(everyone, program, patient, joins):
    program.patients_join_care_team = joins
    program.save()
    conversation = Conversation.objects.get(pk=services.care_team_conversation(patient).pk)
    expected = _one_by_one(everyone, conversation)

    assert participant_ids(conversation) == expected
    assert (patient.pk in expected) is joins
    assert len(expected) >= 4  # counselor, break-glass counselor, family member, guardian


def test_one_to_one_batch_matches_can_participate_for_every_persona(everyone, patient, counselor, family_member):
    conversation = services.start_direct_conversation(starter=counselor, patient=patient, other=family_member)
    expected = _one_by_one(everyone, conversation)

    assert participant_ids(conversation) == expected == {counselor.pk, family_member.pk}


def test_private_batch_matches_can_participate_and_the_visible_list_for_every_persona(
    everyone, patient, counselor, family_member
):
    """A family member's private conversation: them and the care team; no other family member (not even one who
    acts as the patient), not the patient, no program admin (MSG-01)."""
    conversation = services.private_conversation(family_member, patient)
    expected = _one_by_one(everyone, conversation)
    visible = {u.pk for u in everyone if Conversation.objects.visible_to(u).filter(pk=conversation.pk).exists()}

    assert participant_ids(conversation) == expected == visible
    names = {u.email for u in everyone if u.pk in expected}
    assert names == {"fran@example.org", counselor.email, "glass@example.org"}


def test_batch_matches_at_a_later_instant(everyone, patient):
    conversation = services.care_team_conversation(patient)
    later = timezone.now() + timedelta(days=400)  # consents and break-glass have ended by then
    expected = _one_by_one(everyone, conversation, later)

    assert participant_ids(conversation, later) == expected
    assert not any(u.pk in expected for u in everyone if u.email in ("fran@example.org", "glass@example.org"))


def test_batch_is_one_query_whatever_the_number_of_people(patient, counselor, django_assert_num_queries):
    conversation = services.care_team_conversation(patient)
    for n in range(20):
        personas.consent_for(patient, personas.make_user(f"m{n}@example.org", User.Role.FAMILY, None))
    with django_assert_num_queries(1):
        assert len(participant_ids(conversation)) == 21


# --- send_message decides the recipients once ----------------------------------------------------------------


def _send_queries(django_assert_max_num_queries, patient: User, members: int) -> tuple[int, int]:
    """Queries of a first send (seats added for everyone) and of a second one, with ``members`` more family."""
    sender = personas.make_user(f"sender{members}@example.org", User.Role.FAMILY, None)
    personas.consent_for(patient, sender)
    for n in range(members):
        member = personas.make_user(f"m{members}-{n}@example.org", User.Role.FAMILY, None)
        personas.consent_for(patient, member)
    conversation = services.care_team_conversation(patient)
    with django_assert_max_num_queries(100) as first:
        services.send_message(sender=sender, conversation=conversation, body="First: seats are added")
    with django_assert_max_num_queries(100) as second:
        services.send_message(sender=sender, conversation=conversation, body="Second")
    return len(first.captured_queries), len(second.captured_queries)


def test_send_query_count_does_not_grow_with_participants(
    django_assert_max_num_queries, program, counselor, other_patient
):
    personas.assign(counselor, other_patient)
    few = _send_queries(django_assert_max_num_queries, other_patient, 1)
    patient = personas.make_user("many@example.org", User.Role.PATIENT, program)
    personas.assign(counselor, patient)
    many = _send_queries(django_assert_max_num_queries, patient, 20)
    assert few == many
    assert many[1] <= 8  # lock, gate, seats, insert, two updates; plus the savepoint pair of the test transaction


@pytest.mark.usefixtures("sync_listening_layer")
def test_send_names_exactly_the_gates_participants_in_the_event(
    django_capture_on_commit_callbacks, people, care_team, counselor, family_member
):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(services.group_name(care_team.pk), channel)
    with django_capture_on_commit_callbacks(execute=True):
        services.send_message(sender=counselor, conversation=care_team, body="Hello everyone")
    event = async_to_sync(layer.receive)(channel)

    assert event["recipients"] == sorted([counselor.pk, family_member.pk])
    assert event["recipients"] == sorted(u.pk for u in people.values() if can_participate(u, care_team))


@pytest.mark.usefixtures("sync_listening_layer")
def test_revoked_member_is_not_a_recipient_of_later_messages(
    django_capture_on_commit_callbacks, care_team, counselor, family_member, consent
):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(services.group_name(care_team.pk), channel)
    personas.revoke(consent)
    with django_capture_on_commit_callbacks(execute=True):
        services.send_message(sender=counselor, conversation=care_team, body="After the revocation")
    event = async_to_sync(layer.receive)(channel)

    assert family_member.pk not in event["recipients"]
