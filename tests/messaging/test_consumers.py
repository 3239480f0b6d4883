"""The conversation socket (WS-01..08): who may connect, per-message and per-delivery checks, closes on revoke,
deactivation, logout, password change and session expiry, size and rate limits, replay, channel-layer outage."""

from __future__ import annotations

import json
import logging
import socket
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.test import Client
from django.utils import timezone

from accounts.models import User
from consent.models import Consent, Disclosure
from messaging import services
from messaging.models import Conversation, Message, Participant
from messaging.ratelimit import CONNECTION_BURST, FLOOD_PENALTY
from tests.messaging.conftest import communicator_for, session_key_for
from tests.support import personas

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def next_frame(communicator: Any, timeout: float = 1.0) -> dict[str, Any]:
    output = await communicator.receive_output(timeout)
    if output["type"] == "websocket.close":
        return {"type": "closed", "code": output.get("code")}
    return json.loads(output["text"])


async def frame_of(communicator: Any, kind: str, timeout: float = 1.0) -> dict[str, Any]:
    """The next frame of ``kind``, skipping others (e.g. the sender's own broadcast copy)."""
    while True:
        frame = await next_frame(communicator, timeout)
        if frame["type"] in (kind, "closed"):
            return frame


async def open_socket(user: User, conversation: Conversation) -> Any:
    key = await database_sync_to_async(session_key_for)(user)
    communicator = communicator_for(conversation, key)
    connected, _ = await communicator.connect(timeout=3)
    assert connected
    return communicator


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- Connect (WS-01, WS-02) -------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["counselor", "family_member"])
async def test_participant_connects(people, care_team, persona):
    user = people[persona]
    communicator = await open_socket(user, care_team)
    await communicator.disconnect()


@pytest.mark.parametrize(
    "persona",
    ["outsider", "learner", "revoked_member", "scopeless_member", "unassigned_counselor", "program_admin", "patient"],
)
async def test_non_participant_is_refused_with_4403(people, care_team, persona):
    user = people[persona]
    key = await database_sync_to_async(session_key_for)(user)
    communicator = communicator_for(care_team, key)
    assert await communicator.connect(timeout=3) == (False, 4403)


async def test_anonymous_visitor_is_refused(care_team):
    communicator = communicator_for(care_team, None)
    assert await communicator.connect(timeout=3) == (False, 4403)


async def test_unknown_conversation_is_refused(counselor):
    key = await database_sync_to_async(session_key_for)(counselor)
    communicator = communicator_for("6f1d7c1e-55e1-4a8e-9d3c-0a0a0a0a0a0a", key)
    assert await communicator.connect(timeout=3) == (False, 4403)


async def test_patient_joins_when_program_allows(program, patient, care_team):
    program.patients_join_care_team = True
    await database_sync_to_async(program.save)()
    communicator = await open_socket(patient, care_team)
    await communicator.disconnect()


async def test_counselor_session_without_mfa_step_is_refused(counselor, care_team):
    def password_only_session() -> str:
        client = Client()
        client.force_login(counselor)
        return client.cookies["sessionid"].value

    key = await database_sync_to_async(password_only_session)()
    assert await communicator_for(care_team, key).connect(timeout=3) == (False, 4403)


async def test_family_member_connect_is_recorded_in_disclosure_ledger(family_member, care_team):
    communicator = await open_socket(family_member, care_team)
    await communicator.disconnect()
    rows = await database_sync_to_async(list)(Disclosure.objects.filter(recipient=family_member, channel="websocket"))
    assert len(rows) == 1
    assert rows[0].scope == "messaging"


@pytest.mark.parametrize(
    ("origin", "connected"),
    [(b"https://evil.example", False), (None, False), (b"http://testserver", True)],
)
async def test_full_application_checks_origin(family_member, care_team, origin, connected):
    from family_portal.asgi import application

    key = await database_sync_to_async(session_key_for)(family_member)
    extra = [(b"host", b"testserver")] + ([(b"origin", origin)] if origin else [])
    communicator = communicator_for(care_team, key, app=application, extra_headers=extra)
    result, _ = await communicator.connect(timeout=3)
    assert result is connected
    await communicator.disconnect()


# --- Delivery and per-delivery checks (WS-03) ----------------------------------------------------------------


async def test_counselor_message_reaches_family_member(counselor, family_member, care_team):
    family = await open_socket(family_member, care_team)
    staff = await open_socket(counselor, care_team)
    await staff.send_json_to({"type": "message", "body": "Hello from the team", "client_id": "c1"})
    ack = await frame_of(staff, "ack")
    assert ack["client_id"] == "c1"
    frame = await frame_of(family, "message")
    assert frame["message"]["id"] == ack["message"]["id"]
    assert frame["message"]["parts"] == [{"text": "Hello from the team"}]
    await family.disconnect()
    await staff.disconnect()


async def test_message_is_not_delivered_after_silent_revocation(counselor, family_member, consent, care_team):
    family = await open_socket(family_member, care_team)
    staff = await open_socket(counselor, care_team)
    # A lost event: the consent ends in the database and no channel message is sent.
    await database_sync_to_async(Consent.objects.filter(pk=consent.pk).update)(revoked_at=timezone.now())
    await staff.send_json_to({"type": "message", "body": "Private update"})
    await frame_of(staff, "ack")
    assert await next_frame(family) == {"type": "closed", "code": 4403}
    await family.disconnect()
    await staff.disconnect()


async def test_message_after_revocation_never_reaches_the_members_open_socket(
    counselor, family_member, consent, care_team, patient
):
    """The close signal has not run (the consent ends in the database only): the message sent afterwards names
    only the people the gate allows, so the member's still-open socket closes instead of receiving it."""
    other = await database_sync_to_async(personas.make_user)("sam@example.org", User.Role.FAMILY, None)
    await database_sync_to_async(personas.consent_for)(patient, other)
    family = await open_socket(family_member, care_team)
    still_allowed = await open_socket(other, care_team)
    staff = await open_socket(counselor, care_team)
    await database_sync_to_async(Consent.objects.filter(pk=consent.pk).update)(revoked_at=timezone.now())
    await staff.send_json_to({"type": "message", "body": "Private update"})
    ack = await frame_of(staff, "ack")

    assert (await frame_of(still_allowed, "message"))["message"]["id"] == ack["message"]["id"]
    assert await next_frame(family) == {"type": "closed", "code": 4403}  # no message frame came first
    assert await family.receive_nothing(timeout=0.2)
    for communicator in (family, still_allowed, staff):
        await communicator.disconnect()


async def test_delivery_to_a_named_recipient_makes_no_database_query(
    django_db_blocker, counselor, family_member, care_team
):
    layer = get_channel_layer()
    listener = await layer.new_channel()
    await layer.group_add(services.group_name(care_team.pk), listener)
    await database_sync_to_async(services.send_message)(sender=counselor, conversation=care_team, body="Hello")
    event = await layer.receive(listener)
    family = await open_socket(family_member, care_team)

    with django_db_blocker.block():  # any query, in any thread, now raises
        await layer.group_send(services.group_name(care_team.pk), event)
        frame = await frame_of(family, "message")
    assert frame["message"]["parts"] == [{"text": "Hello"}]
    await family.disconnect()


async def test_next_frame_after_silent_revocation_closes_socket(family_member, consent, care_team):
    family = await open_socket(family_member, care_team)
    await database_sync_to_async(Consent.objects.filter(pk=consent.pk).update)(revoked_at=timezone.now())
    await family.send_json_to({"type": "message", "body": "Are you there?"})
    assert await next_frame(family) == {"type": "closed", "code": 4403}
    assert await database_sync_to_async(Message.objects.count)() == 0
    await family.disconnect()


@pytest.mark.parametrize("kind", ["message", "typing", "read", "resume", "unknown"])
async def test_any_frame_after_silent_deactivation_closes_socket(family_member, care_team, kind):
    family = await open_socket(family_member, care_team)
    await database_sync_to_async(User.objects.filter(pk=family_member.pk).update)(is_active=False)  # no signal
    await family.send_json_to({"type": kind, "body": "Still here", "up_to": 0, "after": 0})
    assert await next_frame(family) == {"type": "closed", "code": 4403}
    assert await database_sync_to_async(Message.objects.count)() == 0
    await family.disconnect()


# --- Closing on revocation, deactivation, password change (WS-04) and session expiry (WS-05); every other way a
# session ends is in test_session_end.py (WS-11) ---------------------------------------------------------------


async def test_revocation_through_service_closes_socket_within_one_second(family_member, consent, care_team):
    family = await open_socket(family_member, care_team)
    await database_sync_to_async(personas.revoke)(consent)
    assert await family.receive_output(timeout=1) == {"type": "websocket.close", "code": 4403}
    await family.disconnect()


async def test_deactivation_closes_socket(family_member, care_team):
    family = await open_socket(family_member, care_team)

    def deactivate() -> None:
        user = User.objects.get(pk=family_member.pk)
        user.is_active = False
        user.save()

    await database_sync_to_async(deactivate)()
    assert await family.receive_output(timeout=1) == {"type": "websocket.close", "code": 4403}
    await family.disconnect()


async def test_password_change_closes_socket(counselor, care_team):
    staff = await open_socket(counselor, care_team)

    def change_password() -> None:
        user = User.objects.get(pk=counselor.pk)
        user.set_password("another calm river at dusk")
        user.save()

    await database_sync_to_async(change_password)()
    assert await staff.receive_output(timeout=1) == {"type": "websocket.close", "code": 4401}  # signed out (WS-11)
    await staff.disconnect()


async def test_socket_closes_at_absolute_session_cap(settings, family_member, care_team):
    settings.PORTAL_ABSOLUTE_SESSION_S = 2
    family = await open_socket(family_member, care_team)
    assert await family.receive_output(timeout=4) == {"type": "websocket.close", "code": 4401}
    await family.disconnect()


async def test_socket_closes_when_consent_reaches_its_expiry_date(family_member, consent, care_team):
    soon = timezone.now() + timedelta(seconds=1.5)
    await database_sync_to_async(Consent.objects.filter(pk=consent.pk).update)(expires_at=soon)
    family = await open_socket(family_member, care_team)
    assert await family.receive_output(timeout=4) == {"type": "websocket.close", "code": 4403}
    await family.disconnect()


async def test_expired_session_cannot_connect(settings, family_member, care_team):
    key = await database_sync_to_async(session_key_for)(family_member)
    settings.PORTAL_IDLE_TIMEOUT_S = 0
    assert await communicator_for(care_team, key).connect(timeout=3) == (False, 4403)


# --- Size and rate limits (WS-06, WS-07) ------------------------------------------------------------------------


async def test_oversize_frame_gets_error_and_nothing_is_saved(family_member, care_team):
    family = await open_socket(family_member, care_team)
    await family.send_to(text_data=json.dumps({"type": "message", "body": "x" * 9000}))
    frame = await next_frame(family)
    assert (frame["type"], frame["error"]) == ("error", "too_large")
    assert await database_sync_to_async(Message.objects.count)() == 0
    await family.disconnect()


async def test_overlong_body_gets_plain_error(family_member, care_team):
    family = await open_socket(family_member, care_team)
    await family.send_json_to({"type": "message", "body": "a" * 4001, "client_id": "c9"})
    frame = await next_frame(family)
    assert (frame["error"], frame["client_id"]) == ("invalid", "c9")
    assert "4,000 characters" in frame["detail"]
    assert await database_sync_to_async(Message.objects.count)() == 0
    await family.disconnect()


@pytest.mark.parametrize("payload", ["not json", "[1, 2]", '{"type": "nope"}', '{"type": "read", "up_to": "7"}'])
async def test_malformed_frames_get_error(family_member, care_team, payload):
    family = await open_socket(family_member, care_team)
    await family.send_to(text_data=payload)
    frame = await next_frame(family)
    assert (frame["type"], frame["error"]) == ("error", "bad_request")
    await family.disconnect()


async def test_flood_is_limited_then_closed_and_nothing_over_the_limit_is_saved(family_member, care_team):
    with time_machine.travel(datetime.now(UTC), tick=False):
        family = await open_socket(family_member, care_team)
        for n in range(30):
            await family.send_json_to({"type": "message", "body": f"note {n}", "client_id": str(n)})
        frames: list[dict[str, Any]] = []
        while not frames or frames[-1]["type"] != "closed":
            frames.append(await next_frame(family, timeout=3))
    acks = [f for f in frames if f["type"] == "ack"]
    limited = [f for f in frames if f["type"] == "error" and f["error"] == "rate_limited"]
    assert len(acks) == CONNECTION_BURST
    assert len(limited) == FLOOD_PENALTY
    assert frames[-1] == {"type": "closed", "code": 4429}
    assert await database_sync_to_async(Message.objects.count)() == CONNECTION_BURST
    await family.disconnect()


# --- Replay, presence, after hours ------------------------------------------------------------------------------


async def test_replay_after_reconnect_delivers_exactly_the_missed_messages_in_order(
    counselor, family_member, care_team
):
    first = await database_sync_to_async(services.send_message)(sender=counselor, conversation=care_team, body="one")
    family = await open_socket(family_member, care_team)
    await family.disconnect()
    missed = []
    for body in ("two", "three", "four"):
        missed.append(
            await database_sync_to_async(services.send_message)(sender=counselor, conversation=care_team, body=body)
        )
    family = await open_socket(family_member, care_team)
    await family.send_json_to({"type": "resume", "after": first.pk})
    replayed = [await frame_of(family, "message") for _ in missed]
    assert [f["message"]["id"] for f in replayed] == [m.pk for m in missed]
    assert [f["message"]["parts"][0]["text"] for f in replayed] == ["two", "three", "four"]
    assert await family.receive_nothing(timeout=0.2)
    await family.disconnect()


async def test_typing_and_read_receipts_reach_the_other_side(counselor, family_member, care_team):
    family = await open_socket(family_member, care_team)
    staff = await open_socket(counselor, care_team)
    await staff.send_json_to({"type": "typing"})
    typing = await frame_of(family, "typing")
    assert typing == {"type": "typing", "user": counselor.pk, "name": counselor.display_name}
    await staff.send_json_to({"type": "message", "body": "Hi"})
    message = (await frame_of(family, "message"))["message"]
    await family.send_json_to({"type": "read", "up_to": message["id"]})
    read = await frame_of(staff, "read")
    assert read == {
        "type": "read",
        "user": family_member.pk,
        "name": family_member.display_name,
        "up_to": message["id"],
    }
    await family.disconnect()
    await staff.disconnect()


@pytest.mark.parametrize("receipts", [True, False])
async def test_counselor_with_receipts_off_sends_no_read_frame(counselor, family_member, care_team, receipts):
    """The read position is kept either way; only with receipts on does the family see it. The typing frame sent
    after the read is the marker: the socket handles frames in order, so whatever the read broadcast reaches the
    family before it, and the next frame decides the test without waiting for a silence."""
    await database_sync_to_async(User.objects.filter(pk=counselor.pk).update)(read_receipts_enabled=receipts)
    message = await database_sync_to_async(services.send_message)(
        sender=family_member, conversation=care_team, body="Hi"
    )
    family = await open_socket(family_member, care_team)
    staff = await open_socket(counselor, care_team)
    await staff.send_json_to({"type": "read", "up_to": message.pk})
    await staff.send_json_to({"type": "typing"})
    frames = [await next_frame(family, timeout=3)]
    while frames[-1]["type"] not in ("typing", "closed"):
        frames.append(await next_frame(family, timeout=3))
    expected_read = {"type": "read", "user": counselor.pk, "name": counselor.display_name, "up_to": message.pk}
    typing = {"type": "typing", "user": counselor.pk, "name": counselor.display_name}
    assert frames == ([expected_read, typing] if receipts else [typing])
    seat = await database_sync_to_async(Participant.objects.get)(conversation=care_team, user=counselor)
    assert seat.last_read_message_id == message.pk
    await family.disconnect()
    await staff.disconnect()


async def test_after_hours_ack_carries_reply_time_and_crisis_lines(family_member, care_team):
    today = timezone.localdate(timezone=ZoneInfo("America/New_York"))
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
    saturday_noon = datetime.combine(saturday, time(12, 0), tzinfo=ZoneInfo("America/New_York"))
    with time_machine.travel(saturday_noon, tick=True):
        family = await open_socket(family_member, care_team)
        await family.send_json_to({"type": "message", "body": "Weekend question"})
        ack = await frame_of(family, "ack")
    assert "Monday at 9:00 AM" in ack["notice"]["text"]
    assert "988" in ack["notice"]["text"] and "911" in ack["notice"]["text"]
    await family.disconnect()


async def test_counselor_gets_no_after_hours_notice(counselor, care_team):
    today = timezone.localdate(timezone=ZoneInfo("America/New_York"))
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
    with time_machine.travel(datetime.combine(saturday, time(12, 0), tzinfo=ZoneInfo("America/New_York"))):
        staff = await open_socket(counselor, care_team)
        await staff.send_json_to({"type": "message", "body": "Weekend reply"})
        ack = await frame_of(staff, "ack")
    assert ack["notice"] is None
    await staff.disconnect()


# --- Channel layer down (WS-08) ---------------------------------------------------------------------------------


async def test_layer_outage_still_saves_and_acknowledges_and_history_replays(
    settings, caplog, family_member, care_team
):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [f"redis://127.0.0.1:{_closed_port()}"]},
        }
    }
    caplog.set_level(logging.INFO)
    family = await open_socket(family_member, care_team)
    assert await next_frame(family) == {"type": "status", "live": False}
    await family.send_json_to({"type": "message", "body": "Saved while offline", "client_id": "k"})
    ack = await frame_of(family, "ack")
    assert ack["client_id"] == "k"
    assert await database_sync_to_async(Message.objects.filter(pk=ack["message"]["id"]).exists)()
    await family.disconnect()
    assert "Saved while offline" not in caplog.text
    assert family_member.full_name not in caplog.text

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    family = await open_socket(family_member, care_team)
    await family.send_json_to({"type": "resume", "after": 0})
    frame = await frame_of(family, "message")
    assert frame["message"]["id"] == ack["message"]["id"]
    await family.disconnect()


async def test_socket_presence_row_lives_while_connected(family_member, care_team):
    from messaging.models import SocketConnection

    family = await open_socket(family_member, care_team)
    assert await database_sync_to_async(SocketConnection.objects.filter(user=family_member).count)() == 1
    await family.disconnect()
    assert await database_sync_to_async(SocketConnection.objects.filter(user=family_member).count)() == 0
