"""Messaging services: the gate decides who takes part, writes are atomic, broadcasts happen on commit."""

from __future__ import annotations

import logging
import socket
from datetime import UTC, datetime

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts.models import User
from messaging import services
from messaging.access import can_participate
from messaging.hours import after_hours_notice, next_opening
from messaging.models import Conversation, Message, MessageRevision, Participant
from tests.support import personas

pytestmark = pytest.mark.django_db

PERSONAS = [
    "patient",
    "counselor",
    "family_member",
    "outsider",
    "learner",
    "revoked_member",
    "scopeless_member",
    "unassigned_counselor",
    "program_admin",
]


def _listen(group: str) -> str:
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group, channel)
    return channel


def _receive(channel: str) -> dict:
    return async_to_sync(get_channel_layer().receive)(channel)


# --- Who takes part -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_care_team_access_and_visible_list_agree(people, care_team, persona):
    user = people[persona]
    expected = persona in ("counselor", "family_member")
    assert can_participate(user, care_team) is expected
    assert Conversation.objects.visible_to(user).filter(pk=care_team.pk).exists() is expected


@pytest.mark.parametrize("joins", [True, False])
def test_patient_takes_part_only_when_program_allows(program, patient, care_team, joins):
    program.patients_join_care_team = joins
    program.save()
    patient.refresh_from_db()
    assert can_participate(patient, care_team) is joins
    assert Conversation.objects.visible_to(patient).filter(pk=care_team.pk).exists() is joins


def test_deactivated_counselor_cannot_take_part(counselor, care_team):
    counselor.is_active = False
    counselor.save()
    assert not can_participate(counselor, care_team)
    assert not Conversation.objects.visible_to(counselor).exists()


def test_one_to_one_is_only_for_its_two_people(people, patient, counselor, family_member):
    conversation = services.start_direct_conversation(starter=counselor, patient=patient, other=family_member)
    second_member = personas.make_user("sam@example.org", User.Role.FAMILY, None, full_name="Sam Rivera")
    personas.consent_for(patient, second_member)
    assert can_participate(counselor, conversation)
    assert can_participate(family_member, conversation)
    assert not can_participate(second_member, conversation)
    assert not Conversation.objects.visible_to(second_member).filter(pk=conversation.pk).exists()
    assert services.start_direct_conversation(starter=family_member, patient=patient, other=counselor) == conversation


def test_one_to_one_cannot_start_without_messaging_consent(patient, counselor, scopeless_member):
    with pytest.raises(PermissionDenied):
        services.start_direct_conversation(starter=counselor, patient=patient, other=scopeless_member)
    assert not Conversation.objects.filter(kind=Conversation.Kind.DIRECT).exists()


def test_one_to_one_closes_when_family_consent_is_revoked(patient, counselor, family_member, consent):
    conversation = services.start_direct_conversation(starter=counselor, patient=patient, other=family_member)
    personas.revoke(consent)
    assert can_participate(counselor, conversation)
    assert not services.is_open_for_both(conversation, counselor)
    with pytest.raises(ValidationError, match="closed"):
        services.send_message(sender=counselor, conversation=conversation, body="Still there?")


def test_partner_options_list_consented_family_and_assigned_counselors(
    patient, counselor, family_member, scopeless_member
):
    assert services.direct_partner_options(counselor) == [(patient, family_member)]
    assert services.direct_partner_options(family_member) == [(patient, counselor)]
    assert services.direct_partner_options(scopeless_member) == []


def test_care_team_conversations_are_created_once(patient, counselor, family_member):
    services.ensure_care_team_conversations(counselor)
    services.ensure_care_team_conversations(family_member)
    assert Conversation.objects.filter(patient=patient, kind=Conversation.Kind.CARE_TEAM).count() == 1


def test_learner_creates_no_conversation(learner, patient):
    services.ensure_care_team_conversations(learner)
    assert not Conversation.objects.exists()


# --- Sending, editing, deleting --------------------------------------------------------------------------------


@pytest.mark.usefixtures("sync_listening_layer")
def test_send_stores_then_broadcasts_after_commit(django_capture_on_commit_callbacks, counselor, care_team):
    channel = _listen(services.group_name(care_team.pk))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message = services.send_message(sender=counselor, conversation=care_team, body="  Hello  ")
    # one broadcast; the other callback gives the cached unread counts a new generation (messaging.unread)
    assert [cb.__qualname__.split(".")[0] for cb in callbacks] == ["changed", "broadcast_on_commit"]
    assert Message.objects.get(pk=message.pk).body == "Hello"
    event = _receive(channel)
    assert event["type"] == "message.created"
    assert event["message"]["id"] == message.pk
    care_team.refresh_from_db()
    assert care_team.last_message_id == message.pk


def test_rolled_back_send_broadcasts_nothing(django_capture_on_commit_callbacks, counselor, care_team):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.send_message(sender=counselor, conversation=care_team, body="Draft")
        raise RuntimeError("boom")
    assert callbacks == []
    assert not Message.objects.exists()


@pytest.mark.parametrize("persona", ["outsider", "learner", "revoked_member", "unassigned_counselor", "program_admin"])
def test_non_participant_cannot_send(people, care_team, persona):
    with pytest.raises(PermissionDenied):
        services.send_message(sender=people[persona], conversation=care_team, body="Hi")
    assert not Message.objects.exists()


def test_send_seats_the_care_team_and_marks_sender_read(counselor, family_member, care_team):
    message = services.send_message(sender=family_member, conversation=care_team, body="Hi")
    seats = dict(Participant.objects.filter(conversation=care_team).values_list("user_id", "last_read_message_id"))
    assert seats == {family_member.pk: message.pk, counselor.pk: 0}


def test_edit_keeps_the_previous_text_for_staff(counselor, care_team):
    message = services.send_message(sender=counselor, conversation=care_team, body="See you Tuesday")
    services.edit_message(editor=counselor, message=message, body="See you Wednesday")
    message.refresh_from_db()
    assert (message.body, message.edited_at is not None) == ("See you Wednesday", True)
    revision = MessageRevision.objects.get(message=message)
    assert (revision.kind, revision.previous_body) == ("edited", "See you Tuesday")


def test_delete_is_soft_and_keeps_history(counselor, care_team):
    message = services.send_message(sender=counselor, conversation=care_team, body="Wrong thread")
    services.delete_message(actor=counselor, message=message)
    message.refresh_from_db()
    assert message.body == "" and message.is_deleted
    assert message.as_event()["parts"] == []
    assert MessageRevision.objects.get(message=message).previous_body == "Wrong thread"
    with pytest.raises(ValidationError):
        services.edit_message(editor=counselor, message=message, body="again")


def test_only_the_sender_can_edit_or_delete(counselor, family_member, care_team):
    message = services.send_message(sender=counselor, conversation=care_team, body="Mine")
    with pytest.raises(PermissionDenied):
        services.edit_message(editor=family_member, message=message, body="Yours")
    with pytest.raises(PermissionDenied):
        services.delete_message(actor=family_member, message=message)


# --- Read state and replay ---------------------------------------------------------------------------------------


def test_mark_read_moves_forward_only_and_is_clamped(counselor, family_member, care_team):
    first = services.send_message(sender=counselor, conversation=care_team, body="one")
    second = services.send_message(sender=counselor, conversation=care_team, body="two")
    assert services.mark_read(user=family_member, conversation=care_team, up_to=second.pk) == second.pk
    assert services.mark_read(user=family_member, conversation=care_team, up_to=first.pk) == second.pk
    assert services.mark_read(user=family_member, conversation=care_team, up_to=second.pk + 999) == second.pk


def test_unread_counts_exclude_own_and_deleted_messages(counselor, family_member, care_team):
    services.send_message(sender=family_member, conversation=care_team, body="mine")
    services.send_message(sender=counselor, conversation=care_team, body="one")
    gone = services.send_message(sender=counselor, conversation=care_team, body="two")
    services.delete_message(actor=counselor, message=gone)
    row = Conversation.objects.visible_to(family_member).with_unread(family_member).get(pk=care_team.pk)
    assert row.unread == 1


@pytest.mark.usefixtures("sync_listening_layer")
def test_read_receipt_is_broadcast_unless_turned_off(
    django_capture_on_commit_callbacks, counselor, family_member, care_team
):
    message = services.send_message(sender=family_member, conversation=care_team, body="Hi")
    channel = _listen(services.group_name(care_team.pk))
    services.set_read_receipts(user=counselor, enabled=False)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.mark_read(user=counselor, conversation=care_team, up_to=message.pk)
    assert [cb.__qualname__.split(".")[0] for cb in callbacks] == ["changed"]  # the unread counts' only: no receipt
    services.set_read_receipts(user=counselor, enabled=True)
    services.send_message(sender=family_member, conversation=care_team, body="Again")
    latest = Conversation.objects.get(pk=care_team.pk).last_message_id
    with django_capture_on_commit_callbacks(execute=True):
        services.mark_read(user=counselor, conversation=care_team, up_to=latest)
    assert _receive(channel) == {
        "type": "read.updated",
        "user_id": counselor.pk,
        "name": "Casey Morgan",
        "up_to": latest,
        "recipients": sorted([counselor.pk, family_member.pk]),
    }


def test_family_members_cannot_turn_read_receipts_off(family_member):
    with pytest.raises(PermissionDenied):
        services.set_read_receipts(user=family_member, enabled=False)


def test_messages_after_returns_the_gap_in_order_and_bounded(counselor, family_member, care_team):
    sent = [services.send_message(sender=counselor, conversation=care_team, body=f"m{n}") for n in range(5)]
    assert [m.pk for m in services.messages_after(care_team, family_member, sent[1].pk)] == [m.pk for m in sent[2:]]
    assert len(services.messages_after(care_team, family_member, 0, limit=2)) == 2


def test_messages_after_refuses_non_participants(outsider, care_team):
    with pytest.raises(PermissionDenied):
        services.messages_after(care_team, outsider, 0)


# --- Channel layer failures (WS-08) ----------------------------------------------------------------------------


def test_broadcast_failure_is_logged_without_text_and_message_is_kept(
    settings, caplog, django_capture_on_commit_callbacks, counselor, care_team
):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [f"redis://127.0.0.1:{port}"]},
        }
    }
    caplog.set_level(logging.WARNING)
    with django_capture_on_commit_callbacks(execute=True):
        message = services.send_message(sender=counselor, conversation=care_team, body="Confidential plan details")
    assert Message.objects.filter(pk=message.pk).exists()
    assert "live update message.created" in caplog.text
    assert "Confidential" not in caplog.text
    assert "Pat Rivera" not in caplog.text


# --- After hours ---------------------------------------------------------------------------------------------------


def test_no_notice_during_office_hours(program):
    tuesday_ten = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # 10:00 in New York
    assert after_hours_notice(program, tuesday_ten) is None


def test_friday_evening_notice_names_monday_morning(program):
    friday_evening = datetime(2026, 11, 27, 23, 30, tzinfo=UTC)  # 18:30 in New York
    notice = after_hours_notice(program, friday_evening)
    assert notice is not None
    assert "Monday at 9:00 AM (EST)" in notice.sent_text
    assert "988" in notice.banner and "911" in notice.banner


def test_next_opening_before_office_hours_is_today(program):
    early = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)  # 06:00 in New York
    assert next_opening(program, early) == datetime(2026, 11, 24, 14, 0, tzinfo=UTC)


def test_next_opening_crosses_the_daylight_saving_change(program):
    saturday = datetime(2026, 3, 7, 17, 0, tzinfo=UTC)  # clocks spring forward on Sunday 8 March
    assert next_opening(program, saturday) == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)  # 9:00 EDT


def test_program_without_office_days_still_gets_crisis_notice(program):
    program.office_days = []
    notice = after_hours_notice(program, datetime(2026, 11, 24, 15, 0, tzinfo=UTC))
    assert notice is not None and notice.next_open is None
    assert "988" in notice.sent_text
