"""Ending a session ends its sockets (WS-11): however a session ends, its sockets close with 4401 within a second,
and a socket whose session is gone can neither send, receive nor resume, even when no signal said so."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from allauth.usersessions.models import UserSession
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from messaging import services
from messaging.consumers import SESSION_RECHECK_S
from messaging.models import Conversation, Message
from tests.messaging.conftest import communicator_for, socket_app
from tests.support import personas

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

CLOSED_SIGNED_OUT = {"type": "websocket.close", "code": 4401}


async def signed_in(user: User, *, signed_in_ago: float | None = 0) -> tuple[Client, str]:
    """A browser signed in as ``user`` (one device) and its session key."""
    client = await sync_to_async(personas.login)(Client(), user, signed_in_ago=signed_in_ago)
    return client, client.cookies[settings.SESSION_COOKIE_NAME].value


async def signed_in_with_password(user: User) -> tuple[Client, str]:
    """A browser that signed in through allauth's form, so allauth also lists the session on /accounts/sessions/."""
    client = Client()
    response = await sync_to_async(client.post)(
        reverse("account_login"), {"login": user.email, "password": personas.PASSWORD}
    )
    assert response.status_code == 302
    return client, client.cookies[settings.SESSION_COOKIE_NAME].value


async def socket_on(session_key: str, conversation: Conversation) -> Any:
    communicator = communicator_for(conversation, session_key)
    connected, _ = await communicator.connect(timeout=3)
    assert connected
    return communicator


async def frames_until_close(communicator: Any, timeout: float = 1.0) -> tuple[list[dict[str, Any]], int | None]:
    """Every frame before the close, and the close code."""
    frames: list[dict[str, Any]] = []
    while True:
        output = await communicator.receive_output(timeout)
        if output["type"] == "websocket.close":
            return frames, output.get("code")
        frames.append(json.loads(output["text"]))


def delete_session_row_without_signal(session_key: str) -> None:
    """What a bulk delete by another process looks like to this one: the row is gone, no signal ran, and the
    cached_db copy of the session is still in the cache."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Session._meta.db_table} WHERE session_key = %s", [session_key])  # noqa: S608


# --- Every way a session ends closes its sockets with 4401 within a second --------------------------------------


async def test_sign_out_closes_that_sessions_socket(family_member, care_team):
    client, key = await signed_in(family_member)
    family = await socket_on(key, care_team)
    response = await sync_to_async(client.post)(reverse("account_logout"))
    assert response.status_code == 302
    assert await family.receive_output(timeout=1) == CLOSED_SIGNED_OUT
    await family.disconnect()


async def test_signing_out_other_sessions_closes_their_sockets_and_keeps_this_one(family_member, care_team):
    """The incident: device B ends device A's session on /accounts/sessions/; A's socket must not stay open."""
    _, key_a = await signed_in_with_password(family_member)
    client_b, key_b = await signed_in_with_password(family_member)
    device_a = await socket_on(key_a, care_team)
    device_b = await socket_on(key_b, care_team)

    response = await sync_to_async(client_b.post)(reverse("usersessions_list"))
    assert response.status_code == 302

    assert await device_a.receive_output(timeout=1) == CLOSED_SIGNED_OUT
    assert await device_b.receive_nothing(timeout=0.2)
    await device_b.send_json_to({"type": "message", "body": "Still here on B"})
    assert (await device_b.receive_json_from(timeout=1))["type"] in {"ack", "message"}
    for communicator in (device_a, device_b):
        await communicator.disconnect()


async def test_ending_a_user_session_directly_closes_its_socket(family_member, care_team):
    """``UserSession.end()``, what allauth's "sign out other sessions" and its API call."""
    _, key = await signed_in_with_password(family_member)
    family = await socket_on(key, care_team)
    user_session = await database_sync_to_async(UserSession.objects.get)(session_key=key)
    await database_sync_to_async(user_session.end)()
    assert await family.receive_output(timeout=1) == CLOSED_SIGNED_OUT
    await family.disconnect()


async def test_deleting_the_session_row_closes_its_socket_and_signs_the_browser_out(family_member, care_team):
    """An operator deletes the session (a queryset delete, as the admin's bulk action does): the socket closes and
    the browser's pages are signed out too, although the cached_db cache still held a copy of the session."""
    client, key = await signed_in(family_member)
    family = await socket_on(key, care_team)
    await database_sync_to_async(Session.objects.filter(session_key=key).delete)()
    assert await family.receive_output(timeout=1) == CLOSED_SIGNED_OUT
    response = await sync_to_async(client.get)(reverse("accounts:profile"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    await family.disconnect()


async def test_admin_deleting_a_user_session_ends_that_session_and_its_socket(program, family_member, care_team):
    client, key = await signed_in_with_password(family_member)
    family = await socket_on(key, care_team)
    admin = await database_sync_to_async(personas.make_staff)(
        "root@example.org", program, role=User.Role.PROGRAM_ADMIN, is_staff=True, is_superuser=True
    )
    admin_client = await sync_to_async(personas.login)(Client(), admin)
    user_session = await database_sync_to_async(UserSession.objects.get)(session_key=key)

    url = reverse("admin:usersessions_usersession_delete", args=[user_session.pk])
    response = await sync_to_async(admin_client.post)(url, {"post": "yes"})
    assert response.status_code == 302

    assert await family.receive_output(timeout=1) == CLOSED_SIGNED_OUT
    assert not await database_sync_to_async(Session.objects.filter(session_key=key).exists)()
    assert (await sync_to_async(client.get)(reverse("accounts:profile"))).status_code == 302
    await family.disconnect()


async def test_idle_expiry_closes_socket(settings, family_member, care_team):
    settings.PORTAL_IDLE_TIMEOUT_S = 1
    _, key = await signed_in(family_member)
    family = await socket_on(key, care_team)
    assert await family.receive_output(timeout=3) == CLOSED_SIGNED_OUT
    await family.disconnect()


async def test_idle_sign_out_by_the_next_page_closes_socket(family_member, care_team):
    """The page's idle logoff (SessionLifetimeMiddleware) ends the session before the socket's own timer fires."""
    client, key = await signed_in(family_member)
    family = await socket_on(key, care_team)
    later = datetime.now(UTC) + timedelta(seconds=settings.PORTAL_IDLE_TIMEOUT_S + 5)
    with time_machine.travel(later, tick=True):
        response = await sync_to_async(client.get)(reverse("accounts:profile"))
        assert response.status_code == 302
        assert await family.receive_output(timeout=1) == CLOSED_SIGNED_OUT
    await family.disconnect()


async def test_absolute_expiry_closes_socket(settings, family_member, care_team):
    settings.PORTAL_ABSOLUTE_SESSION_S = 1
    _, key = await signed_in(family_member)
    family = await socket_on(key, care_team)
    assert await family.receive_output(timeout=3) == CLOSED_SIGNED_OUT
    await family.disconnect()


async def test_clearing_expired_sessions_closes_their_sockets(family_member, care_team):
    _, key = await signed_in(family_member)
    family = await socket_on(key, care_team)
    past = timezone.now() - timedelta(seconds=1)
    await database_sync_to_async(Session.objects.filter(session_key=key).update)(expire_date=past)
    await database_sync_to_async(call_command)("clearsessions")
    assert await family.receive_output(timeout=1) == CLOSED_SIGNED_OUT
    await family.disconnect()


async def test_password_change_on_another_device_closes_every_other_socket(counselor, care_team):
    _, key_a = await signed_in(counselor)
    client_b, _ = await signed_in(counselor)  # just signed in: no re-authentication step
    device_a = await socket_on(key_a, care_team)
    response = await sync_to_async(client_b.post)(
        reverse("account_change_password"),
        {"oldpassword": personas.PASSWORD, "password1": "another calm river", "password2": "another calm river"},
    )
    assert response.status_code == 302
    assert await device_a.receive_output(timeout=1) == CLOSED_SIGNED_OUT
    await device_a.disconnect()


# --- A session gone without any signal: nothing is sent, stored or replayed -----------------------------------


@pytest.mark.parametrize("kind", ["message", "typing", "read", "resume", "unknown"])
async def test_any_frame_after_the_session_row_vanished_is_refused(counselor, family_member, care_team, kind):
    await database_sync_to_async(services.send_message)(sender=counselor, conversation=care_team, body="Earlier")
    _, key = await signed_in(family_member)
    family = await socket_on(key, care_team)
    await database_sync_to_async(delete_session_row_without_signal)(key)

    await family.send_json_to({"type": kind, "body": "Are you there?", "up_to": 0, "after": 0})

    frames, code = await frames_until_close(family)
    assert (frames, code) == ([], 4401)  # in particular, ``resume`` replayed nothing
    assert await database_sync_to_async(Message.objects.filter(sender=family_member).count)() == 0
    await family.disconnect()


async def test_deliveries_stop_once_a_vanished_session_is_rechecked(counselor, family_member, care_team):
    """No signal, no frame from the member: a delivery that finds the session unconfirmed for a while asks the
    database, which no longer has the session, so the message is not sent."""
    _, key = await signed_in(family_member)
    family = await socket_on(key, care_team)
    _, staff_key = await signed_in(counselor)
    staff = await socket_on(staff_key, care_team)
    await database_sync_to_async(delete_session_row_without_signal)(key)

    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=30), tick=True):
        await staff.send_json_to({"type": "message", "body": "Private update"})
        frames, code = await frames_until_close(family)
    assert (frames, code) == ([], 4401)
    for communicator in (family, staff):
        await communicator.disconnect()


async def test_deliveries_go_on_once_a_live_session_is_rechecked(counselor, family_member, care_team):
    """The control for the test above: the session still exists, so the recheck confirms it and every later
    delivery arrives."""
    _, key = await signed_in(family_member)
    family = await socket_on(key, care_team)
    _, staff_key = await signed_in(counselor)
    staff = await socket_on(staff_key, care_team)

    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=30), tick=True):
        for body in ("First update", "Second update"):
            await staff.send_json_to({"type": "message", "body": body})
            frame = await family.receive_json_from(timeout=1)
            assert (frame["type"], frame["message"]["parts"]) == ("message", [{"text": body}])
    for communicator in (family, staff):
        await communicator.disconnect()


async def test_the_session_is_rechecked_once_its_confirmation_is_exactly_the_recheck_age(
    counselor, family_member, care_team
):
    start = datetime.fromtimestamp(int(datetime.now(UTC).timestamp()) + 1, UTC)  # whole seconds: exact arithmetic
    with time_machine.travel(start, tick=False) as clock:
        _, key = await signed_in(family_member)
        family = await socket_on(key, care_team)
        _, staff_key = await signed_in(counselor)
        staff = await socket_on(staff_key, care_team)
        await database_sync_to_async(delete_session_row_without_signal)(key)
        clock.shift(SESSION_RECHECK_S)
        await staff.send_json_to({"type": "message", "body": "Private update"})
        frames, code = await frames_until_close(family)
    assert (frames, code) == ([], 4401)
    for communicator in (family, staff):
        await communicator.disconnect()


def yielding_sends(app: Any) -> Any:
    """The socket app behind a server whose ``send`` yields to the event loop before passing a message on, as a
    real server's may (the test communicator's never does)."""

    async def server(scope: Any, receive: Any, send: Any) -> None:
        async def send_after_a_yield(message: Any) -> None:
            await asyncio.sleep(0)
            await send(message)

        await app(scope, receive, send_after_a_yield)

    return server


async def test_the_lifetime_watchers_close_reaches_a_server_whose_send_yields(settings, family_member, care_team):
    """The watcher ends the socket itself: it must not cancel its own task on the way, or the close is lost at
    the server's first yield."""
    settings.PORTAL_ABSOLUTE_SESSION_S = 1
    _, key = await signed_in(family_member)
    family = communicator_for(care_team, key, app=yielding_sends(socket_app()))
    assert (await family.connect(timeout=3))[0]
    assert await family.receive_output(timeout=3) == CLOSED_SIGNED_OUT
    await family.disconnect()


async def test_socket_cannot_open_on_a_session_whose_row_vanished(family_member, care_team):
    _, key = await signed_in(family_member)
    await database_sync_to_async(delete_session_row_without_signal)(key)
    assert await communicator_for(care_team, key).connect(timeout=3) == (False, 4403)
