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
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts.models import User
from consent.models import Consent, Disclosure
from messaging import services
from messaging.consumers import MAX_FRAME_BYTES
from messaging.models import Conversation, Message, Participant
from messaging.ratelimit import CONNECTION_BURST, FLOOD_PENALTY
from tests.messaging.conftest import communicator_for, session_key_for
from tests.messaging.flaky_layer import FlakyLayer
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
    await communicator.disconnect()  # the browser's side of the refused handshake ends cleanly


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


async def test_one_persons_flood_does_not_limit_another(counselor, family_member, care_team):
    """The per-user budget (shared by all of a person's sockets) is that person's own."""
    with time_machine.travel(datetime.now(UTC), tick=False):
        first = await open_socket(family_member, care_team)
        second = await open_socket(family_member, care_team)
        for communicator in (first, second):
            for _ in range(CONNECTION_BURST):
                await communicator.send_json_to({"type": "typing"})
        await second.send_json_to({"type": "typing"})
        assert (await frame_of(second, "error"))["error"] == "rate_limited"  # the member's budget is spent
        staff = await open_socket(counselor, care_team)
        await staff.send_json_to({"type": "message", "body": "Hello", "client_id": "s1"})
        assert (await frame_of(staff, "ack"))["client_id"] == "s1"
    for communicator in (first, second, staff):
        await communicator.disconnect()


@pytest.mark.parametrize("clock", ["running", "frozen"])
async def test_delivery_to_a_named_recipient_makes_no_database_query(
    django_db_blocker, counselor, family_member, care_team, clock
):
    """Also in the very instant the handshake confirmed the session (a frozen clock): the confirmation is fresh."""
    with time_machine.travel(datetime.now(UTC), tick=clock == "running"):
        await _deliver_without_queries(django_db_blocker, counselor, family_member, care_team)


async def _deliver_without_queries(django_db_blocker, counselor, family_member, care_team):
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


async def test_a_patients_deactivation_closes_their_familys_sockets_and_keeps_the_care_teams(
    patient, family_member, counselor, care_team
):
    family = await open_socket(family_member, care_team)
    staff = await open_socket(counselor, care_team)

    def deactivate_patient() -> None:
        user = User.objects.get(pk=patient.pk)
        user.is_active = False
        user.save()

    await database_sync_to_async(deactivate_patient)()
    assert await family.receive_output(timeout=1) == {"type": "websocket.close", "code": 4403}
    assert await staff.receive_nothing(timeout=0.3)  # staff keep records access (AZ-08)
    await family.disconnect()
    await staff.disconnect()


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


async def test_a_lifetime_check_that_passes_keeps_the_socket_and_schedules_the_next(family_member, consent, care_team):
    """The first check is due when the consent was to end; by then it runs longer, so the socket stays open, its
    presence is refreshed, it goes on delivering, and the next check (at the new end) closes it."""
    from messaging.models import SocketConnection

    await database_sync_to_async(Consent.objects.filter(pk=consent.pk).update)(
        expires_at=timezone.now() + timedelta(seconds=1)
    )
    family = await open_socket(family_member, care_team)
    opened = await database_sync_to_async(SocketConnection.objects.get)(user=family_member)
    await database_sync_to_async(Consent.objects.filter(pk=consent.pk).update)(
        expires_at=timezone.now() + timedelta(seconds=3.5)
    )
    assert await family.receive_nothing(timeout=2)  # the check at the old end found the consent in force
    seen = await database_sync_to_async(SocketConnection.objects.get)(user=family_member)
    assert seen.last_seen_at > opened.last_seen_at
    await family.send_json_to({"type": "message", "body": "Still here"})
    assert (await frame_of(family, "ack"))["message"]["parts"] == [{"text": "Still here"}]
    assert (await frame_of(family, "message"))["message"]["parts"] == [{"text": "Still here"}]
    assert await next_frame(family, timeout=3) == {"type": "closed", "code": 4403}
    await family.disconnect()


async def test_expired_session_cannot_connect(settings, family_member, care_team):
    key = await database_sync_to_async(session_key_for)(family_member)
    settings.PORTAL_IDLE_TIMEOUT_S = 0
    assert await communicator_for(care_team, key).connect(timeout=3) == (False, 4403)


# --- Size and rate limits (WS-06, WS-07) ------------------------------------------------------------------------


TOO_LARGE = {"type": "error", "error": "too_large", "detail": "That message is too long to send."}
NOT_UNDERSTOOD = {"type": "error", "error": "bad_request", "detail": "That request was not understood."}


def _frame_of_bytes(size: int) -> str:
    """A message frame of exactly ``size`` bytes of UTF-8."""
    empty = json.dumps({"type": "message", "body": ""})
    return json.dumps({"type": "message", "body": "x" * (size - len(empty))})


async def test_oversize_frame_gets_error_and_nothing_is_saved(family_member, care_team):
    family = await open_socket(family_member, care_team)
    await family.send_to(text_data=json.dumps({"type": "message", "body": "x" * 9000}))
    assert await next_frame(family) == TOO_LARGE
    assert await database_sync_to_async(Message.objects.count)() == 0
    await family.disconnect()


async def test_the_frame_size_limit_counts_bytes_and_allows_exactly_the_limit(family_member, care_team):
    """8 KiB is accepted (then refused as a body over 4,000 characters), one byte more is too large."""
    family = await open_socket(family_member, care_team)
    await family.send_to(text_data=_frame_of_bytes(MAX_FRAME_BYTES))
    assert (await next_frame(family))["error"] == "invalid"
    await family.send_to(text_data=_frame_of_bytes(MAX_FRAME_BYTES + 1))
    assert await next_frame(family) == TOO_LARGE
    await family.disconnect()


async def test_a_binary_frame_is_refused_with_its_own_error(family_member, care_team):
    family = await open_socket(family_member, care_team)
    await family.send_to(bytes_data=json.dumps({"type": "message", "body": "Hi"}).encode())
    assert await next_frame(family) == {
        "type": "error",
        "error": "unsupported",
        "detail": "Only text frames are accepted.",
    }
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


@pytest.mark.parametrize(
    "payload",
    [
        "not json",
        "[1, 2]",
        '{"type": 7}',
        '{"type": "nope"}',
        '{"type": "read", "up_to": "7"}',
        '{"type": "read", "up_to": true}',
        '{"type": "resume", "after": -1}',
    ],
)
async def test_malformed_frames_get_error(family_member, care_team, payload):
    family = await open_socket(family_member, care_team)
    await family.send_to(text_data=payload)
    assert await next_frame(family) == NOT_UNDERSTOOD
    await family.disconnect()


@pytest.mark.parametrize(("client_id", "echoed"), [("k" * 64, "k" * 64), ("k" * 65, None), (17, None), (None, None)])
async def test_the_ack_echoes_a_short_string_client_id_only(family_member, care_team, client_id, echoed):
    family = await open_socket(family_member, care_team)
    await family.send_json_to({"type": "message", "body": "Hi", "client_id": client_id})
    assert (await frame_of(family, "ack"))["client_id"] == echoed
    await family.send_json_to({"type": "message", "body": "", "client_id": client_id})
    assert (await frame_of(family, "error"))["client_id"] == echoed
    await family.disconnect()


async def test_database_trouble_while_saving_tells_the_sender_and_keeps_the_socket(caplog, family_member, care_team):
    """The database refuses the insert (a trigger stands in for a full disk or a lost primary): the sender hears
    that the message was not saved, the log names the conversation and the error class only, and the socket
    stays open for the next try."""
    table = Message._meta.db_table
    family = await open_socket(family_member, care_team)
    await database_sync_to_async(_refuse_inserts_into)(table)
    try:
        await family.send_json_to({"type": "message", "body": "Private words", "client_id": "c1"})
        assert await next_frame(family) == {
            "type": "error",
            "error": "unavailable",
            "detail": "Your message could not be saved. Please try again.",
            "client_id": "c1",
        }
    finally:
        await database_sync_to_async(_allow_inserts_into)(table)
    [record] = [r for r in caplog.records if r.name == "messaging.consumers"]
    prefix = f"message not saved in conversation {care_team.pk}: "
    assert record.levelname == "WARNING" and record.getMessage().startswith(prefix)
    # The class only, never the database's text (on PostgreSQL the trigger's refusal arrives as a ProgrammingError).
    assert record.getMessage().removeprefix(prefix) in {"IntegrityError", "InternalError", "ProgrammingError"}
    assert "Private words" not in caplog.text
    await family.send_json_to({"type": "message", "body": "Second try", "client_id": "c2"})
    assert (await frame_of(family, "ack"))["client_id"] == "c2"
    await family.disconnect()


def _refuse_inserts_into(table: str) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION test_refuse_insert() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'unavailable'; "
                "END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                f"CREATE TRIGGER test_refuse_insert BEFORE INSERT ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION test_refuse_insert()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER test_refuse_insert BEFORE INSERT ON {table} "
                "BEGIN SELECT RAISE(ABORT, 'unavailable'); END"
            )


def _allow_inserts_into(table: str) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER test_refuse_insert ON {table}")
            cursor.execute("DROP FUNCTION test_refuse_insert()")
        else:
            cursor.execute("DROP TRIGGER test_refuse_insert")


async def test_flood_is_limited_then_closed_and_nothing_over_the_limit_is_saved(family_member, care_team):
    with time_machine.travel(datetime.now(UTC), tick=False):
        family = await open_socket(family_member, care_team)
        for n in range(30):
            await family.send_json_to({"type": "message", "body": f"note {n}", "client_id": str(n)})
        frames: list[dict[str, Any]] = []
        while not frames or frames[-1]["type"] != "closed":
            frames.append(await next_frame(family, timeout=3))
    acks = [f for f in frames if f["type"] == "ack"]
    limited = [f for f in frames if f["type"] == "error"]
    assert len(acks) == CONNECTION_BURST
    rate_limited = {
        "type": "error",
        "error": "rate_limited",
        "detail": "You are sending messages quickly. Please wait a moment.",
    }
    assert limited == [rate_limited] * FLOOD_PENALTY
    assert frames[-1] == {"type": "closed", "code": 4429}
    assert await family.receive_nothing(timeout=0.3)  # the frames still queued after the close get no answer
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


async def test_resume_past_the_replay_limit_sends_the_limit_then_asks_for_a_reload(counselor, family_member, care_team):
    def write_messages(count: int) -> list[int]:
        return [
            services.send_message(sender=counselor, conversation=care_team, body=f"note {n}").pk for n in range(count)
        ]

    ids = await database_sync_to_async(write_messages)(services.REPLAY_LIMIT + 1)
    family = await open_socket(family_member, care_team)
    await family.send_json_to({"type": "resume", "after": 0})
    replayed = [await next_frame(family) for _ in range(services.REPLAY_LIMIT)]
    assert [f["message"]["id"] for f in replayed] == ids[: services.REPLAY_LIMIT]
    assert await next_frame(family) == {"type": "resync"}
    await family.disconnect()


async def test_typing_is_broadcast_at_most_once_per_interval(counselor, family_member, care_team):
    """Two typing frames in a row make one typing event; the message sent after them is the family's next frame,
    so no second typing event came in between (the socket handles frames in order)."""
    family = await open_socket(family_member, care_team)
    staff = await open_socket(counselor, care_team)
    await staff.send_json_to({"type": "typing"})
    await staff.send_json_to({"type": "typing"})
    await staff.send_json_to({"type": "message", "body": "Hi"})
    assert await next_frame(family) == {"type": "typing", "user": counselor.pk, "name": counselor.display_name}
    assert (await next_frame(family))["type"] == "message"
    await family.disconnect()
    await staff.disconnect()


async def test_an_event_naming_nobody_reaches_a_socket_the_gate_allows(counselor, family_member, care_team):
    """Someone not named in an event (their access began after it was made) is asked of the gate at delivery;
    a typing event carries no message, so nothing predates their sharing, and it is sent."""
    family = await open_socket(family_member, care_team)
    layer = get_channel_layer()
    event = {"type": "typing.started", "user_id": counselor.pk, "name": "Casey", "recipients": []}
    await layer.group_send(services.group_name(care_team.pk), event)
    assert await next_frame(family) == {"type": "typing", "user": counselor.pk, "name": "Casey"}
    await family.disconnect()


async def test_a_closed_socket_leaves_every_live_group(family_member, care_team):
    layer = get_channel_layer()
    if not isinstance(getattr(layer, "groups", None), dict):  # the core Redis layer keeps its groups on the server
        pytest.skip("reads a group table kept in the process (the in-memory or the pub/sub layer)")
    # the pub/sub layer keeps the groups of its sockets in the process too, under names of its own
    group_key = getattr(layer, "_get_group_channel_name", lambda name: name)
    family = await open_socket(family_member, care_team)
    [channel] = layer.groups[group_key(services.group_name(care_team.pk))]
    assert len([group for group, members in layer.groups.items() if channel in members]) == 4
    await family.disconnect()
    assert [group for group, members in layer.groups.items() if channel in members] == []


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


@pytest.fixture
def flaky_layer(settings: Any) -> Any:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "tests.messaging.flaky_layer.FlakyLayer"}}
    FlakyLayer.reset()
    yield FlakyLayer
    FlakyLayer.reset()


async def test_a_socket_opened_during_an_outage_goes_live_when_the_layer_returns(
    caplog, flaky_layer, counselor, family_member, care_team
):
    caplog.set_level(logging.WARNING, logger="messaging.consumers")
    flaky_layer.go_down()
    family = await open_socket(family_member, care_team)
    assert await next_frame(family) == {"type": "status", "live": False}
    assert ("WARNING", "joining live groups failed: ConnectionError") in _logged(caplog)
    assert await family.receive_nothing(timeout=0.8)  # still down: retried, and not reported live

    flaky_layer.reset()
    assert await next_frame(family, timeout=3) == {"type": "status", "live": True}
    staff = await open_socket(counselor, care_team)
    await staff.send_json_to({"type": "message", "body": "Back again"})
    assert (await frame_of(family, "message"))["message"]["parts"] == [{"text": "Back again"}]
    for communicator in (family, staff):
        await communicator.disconnect()


async def test_an_outage_during_a_live_socket_is_reported_once_then_recovered(
    caplog, flaky_layer, counselor, family_member, care_team
):
    caplog.set_level(logging.WARNING, logger="messaging.consumers")
    family = await open_socket(family_member, care_team)
    flaky_layer.go_down()
    assert await next_frame(family) == {"type": "status", "live": False}
    assert _logged(caplog) == [("WARNING", "channel layer receive failed: ConnectionError")]
    assert await family.receive_nothing(timeout=0.8)  # no second status frame while it stays down

    flaky_layer.reset()
    assert await next_frame(family, timeout=3) == {"type": "status", "live": True}
    staff = await open_socket(counselor, care_team)
    await staff.send_json_to({"type": "message", "body": "Back again"})
    assert (await frame_of(family, "message"))["message"]["parts"] == [{"text": "Back again"}]
    for communicator in (family, staff):
        await communicator.disconnect()


async def test_an_idle_read_that_times_out_is_read_again_without_a_status_frame(
    flaky_layer, counselor, family_member, care_team
):
    flaky_layer.idle_timeouts = 3
    family = await open_socket(family_member, care_team)
    staff = await open_socket(counselor, care_team)
    await staff.send_json_to({"type": "message", "body": "Hello"})
    frame = await next_frame(family)  # the first frame: no status report came before it
    assert (frame["type"], frame["message"]["parts"]) == ("message", [{"text": "Hello"}])
    assert flaky_layer.idle_timeouts == 0
    for communicator in (family, staff):
        await communicator.disconnect()


async def test_a_failed_group_discard_does_not_stop_leaving_the_other_groups(flaky_layer, family_member, care_team):
    layer = get_channel_layer()
    family = await open_socket(family_member, care_team)
    [channel] = layer.groups[services.group_name(care_team.pk)]
    flaky_layer.failing_discards = 1
    await family.disconnect()
    assert len([group for group, members in layer.groups.items() if channel in members]) == 1


def _logged(caplog: Any) -> list[tuple[str, str]]:
    return [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "messaging.consumers"]


async def test_socket_presence_row_lives_while_connected(family_member, care_team):
    from messaging.models import SocketConnection

    family = await open_socket(family_member, care_team)
    assert await database_sync_to_async(SocketConnection.objects.filter(user=family_member).count)() == 1
    await family.disconnect()
    assert await database_sync_to_async(SocketConnection.objects.filter(user=family_member).count)() == 0
