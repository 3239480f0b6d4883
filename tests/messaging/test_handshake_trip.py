"""The socket handshake in one trip off the event loop (issue #17, W6): the sign-in, the gate, the ledger row and
the presence row in one ``socket_calls.admit`` call; the middleware reads nothing; every refusal is still refused
and leaves no presence row; the presence row is written at connect and removed at disconnect."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import DatabaseSyncToAsync, database_sync_to_async
from django.utils import timezone

from accounts.models import User
from accounts.sessions import session_model
from consent.models import Disclosure
from messaging import socket_auth
from messaging.models import SocketConnection
from messaging.presence import close_socket, open_socket
from tests.messaging.conftest import communicator_for, session_key_for

pytestmark = pytest.mark.django_db(transaction=True)


class _Trips:
    """Counts the calls run off the event loop (channels' ``database_sync_to_async``, which ``off_loop`` is)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.names: list[str] = []
        original = DatabaseSyncToAsync.thread_handler

        def counted(this: Any, loop: Any, *args: Any, **kwargs: Any) -> Any:
            self.names.append(getattr(this.func, "__name__", "?"))
            return original(this, loop, *args, **kwargs)

        monkeypatch.setattr(DatabaseSyncToAsync, "thread_handler", counted)


@pytest.mark.asyncio
@pytest.mark.parametrize("persona", ["family_member", "counselor"])
async def test_an_admitted_handshake_is_one_trip_off_the_loop(monkeypatch, request, persona, care_team):
    user = request.getfixturevalue(persona)
    key = await database_sync_to_async(session_key_for)(user)
    trips = _Trips(monkeypatch)
    communicator = communicator_for(care_team, key)
    assert (await communicator.connect(timeout=3))[0]
    assert trips.names == ["admit"]  # it was two: the middleware's sign-in, then the handshake check
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_a_refused_handshake_is_one_trip_too_and_writes_nothing(monkeypatch, revoked_member, care_team):
    key = await database_sync_to_async(session_key_for)(revoked_member)
    trips = _Trips(monkeypatch)
    assert await communicator_for(care_team, key).connect(timeout=3) == (False, 4403)
    assert trips.names == ["admit"]  # it was two
    rows = await database_sync_to_async(SocketConnection.objects.filter(user=revoked_member).count)()
    ledger = await database_sync_to_async(Disclosure.objects.filter(recipient=revoked_member).count)()
    assert (rows, ledger) == (0, 0)


@pytest.mark.asyncio
async def test_without_a_cookie_nothing_is_read(monkeypatch, care_team):
    trips = _Trips(monkeypatch)
    assert await communicator_for(care_team, None).connect(timeout=3) == (False, 4403)
    assert trips.names == []  # no one to sign in: refused before any trip off the loop
    assert await database_sync_to_async(SocketConnection.objects.count)() == 0


@pytest.mark.asyncio
async def test_the_middleware_reads_nothing_for_a_path_no_consumer_serves(monkeypatch, family_member):
    """The sign-in is the consumer's: a socket to an unknown path is refused without a session read."""
    from channels.routing import URLRouter
    from channels.testing import WebsocketCommunicator

    from family_portal.routing import websocket_urlpatterns
    from tests.messaging.conftest import cookie_header

    asked: list[str] = []
    monkeypatch.setattr(socket_auth, "signed_in", lambda key: asked.append(key))
    key = await database_sync_to_async(session_key_for)(family_member)
    app = socket_auth.SocketAuthMiddleware(URLRouter(websocket_urlpatterns))
    communicator = WebsocketCommunicator(app, "/ws/elsewhere/", headers=[cookie_header(key)])
    assert not (await communicator.connect(timeout=3))[0]
    assert asked == []


@pytest.mark.asyncio
@pytest.mark.parametrize("ending", ["deleted", "deactivated"])
async def test_a_session_that_signs_no_one_in_is_refused_with_no_presence_row(ending, family_member, care_team):
    key = await database_sync_to_async(session_key_for)(family_member)
    if ending == "deleted":
        await database_sync_to_async(session_model().objects.filter(pk=key).delete)()
    else:
        await database_sync_to_async(User.objects.filter(pk=family_member.pk).update)(is_active=False)
    assert await communicator_for(care_team, key).connect(timeout=3) == (False, 4403)
    assert await database_sync_to_async(SocketConnection.objects.count)() == 0


@pytest.mark.asyncio
async def test_the_presence_row_is_written_at_connect_and_removed_at_disconnect(family_member, care_team):
    key = await database_sync_to_async(session_key_for)(family_member)
    before = timezone.now()
    communicator = communicator_for(care_team, key)
    assert (await communicator.connect(timeout=3))[0]
    row = await database_sync_to_async(SocketConnection.objects.get)(user=family_member)
    assert row.conversation_id == care_team.pk and row.channel_name
    assert before <= row.opened_at == row.last_seen_at <= timezone.now()
    await communicator.disconnect()
    assert not await database_sync_to_async(SocketConnection.objects.filter(pk=row.pk).exists)()


def test_the_presence_sql_writes_what_the_orm_reads_back(family_member, care_team):
    before = timezone.now()
    open_socket(channel_name="specific.one!abc", user_id=family_member.pk, conversation_id=care_team.pk)
    open_socket(channel_name="specific.two!abc", user_id=family_member.pk, conversation_id=care_team.pk)
    row = SocketConnection.objects.get(channel_name="specific.one!abc")
    assert (row.user_id, row.conversation_id) == (family_member.pk, care_team.pk)
    assert before <= row.opened_at == row.last_seen_at <= timezone.now() and row.opened_at.tzinfo is not None
    close_socket(channel_name="specific.one!abc")
    assert list(SocketConnection.objects.values_list("channel_name", flat=True)) == ["specific.two!abc"]
