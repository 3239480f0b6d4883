"""The portal's socket sign-in (``messaging.socket_auth``, issue #17 W6): the session's row and its user in one
call off the loop, two queries; anyone it does not sign in (no cookie, an expired, ended or outdated session, a
foreign Origin) is refused at the handshake, and the handshake's copy of the session is dropped once decided."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from django.conf import settings
from django.utils import timezone

from accounts.models import User
from accounts.sessions import session_model, session_store
from messaging.models import SocketConnection
from messaging.routing import websocket_urlpatterns
from messaging.socket_auth import HandshakeSession, SocketAuthMiddleware, signed_in
from tests.messaging.conftest import communicator_for, cookie_header, session_key_for

pytestmark = pytest.mark.django_db(transaction=True)

SIGN_IN_QUERIES = 2  # the session's row, the user with the related rows every page reads


class _Recording:
    """The routes behind the middleware, keeping the scope the middleware made."""

    def __init__(self) -> None:
        self.scope: dict[str, Any] = {}
        self.routes = URLRouter(websocket_urlpatterns)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.scope = scope
        await self.routes(scope, receive, send)


async def _refused(conversation: Any, key: str | None, **kw: Any) -> bool:
    return await communicator_for(conversation, key, **kw).connect(timeout=3) == (False, 4403)


async def _sockets() -> int:
    return await database_sync_to_async(SocketConnection.objects.count)()


@pytest.mark.asyncio
async def test_a_live_session_is_admitted_and_its_copy_dropped_after_the_handshake(family_member, care_team):
    key = await database_sync_to_async(session_key_for)(family_member)
    recording = _Recording()
    communicator = communicator_for(care_team, key, app=SocketAuthMiddleware(recording))
    assert (await communicator.connect(timeout=3))[0]
    assert recording.scope["user"].pk == family_member.pk
    session = recording.scope["session"]
    assert isinstance(session, HandshakeSession) and session.session_key == key
    assert dict(session) == {}  # forgotten once admitted: later checks read the row again
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_no_cookie_or_an_unknown_key_is_anonymous_and_refused(care_team):
    recording = _Recording()
    assert await _refused(care_team, None, app=SocketAuthMiddleware(recording))
    assert not recording.scope["user"].is_authenticated and recording.scope["session"] is None
    assert await _refused(care_team, "no-such-session-key-0123456789")
    assert await _refused(care_team, "short")
    assert await _sockets() == 0


@pytest.mark.asyncio
async def test_an_expired_session_row_is_refused(family_member, care_team):
    key = await database_sync_to_async(session_key_for)(family_member)
    past = timezone.now() - timedelta(seconds=1)
    await database_sync_to_async(session_model().objects.filter(pk=key).update)(expire_date=past)
    assert await _refused(care_team, key)


@pytest.mark.asyncio
async def test_a_session_past_its_idle_limit_is_refused(settings, family_member, care_team):
    key = await database_sync_to_async(session_key_for)(family_member)
    settings.PORTAL_IDLE_TIMEOUT_S = 0  # the row lives; the portal's own limit has passed
    assert await _refused(care_team, key)
    assert await _sockets() == 0


@pytest.mark.asyncio
async def test_an_ended_session_is_refused_even_with_its_cached_copy_left(family_member, care_team):
    """A row deleted without a signal leaves the cached copy channels' middleware read; the row is the truth."""
    key = await database_sync_to_async(session_key_for)(family_member)
    await database_sync_to_async(session_store(key).load)()  # the cached copy exists
    await database_sync_to_async(session_model().objects.filter(pk=key)._raw_delete)(using="default")
    assert await _refused(care_team, key)


@pytest.mark.asyncio
async def test_a_session_from_before_a_password_change_is_refused_and_ended(family_member, care_team):
    key = await database_sync_to_async(session_key_for)(family_member)

    def change_password() -> None:
        user = User.objects.get(pk=family_member.pk)
        user.set_password("a new long passphrase 42")
        user.save(update_fields=["password"])

    await database_sync_to_async(change_password)()
    assert await _refused(care_team, key)
    assert not await database_sync_to_async(session_model().objects.filter(pk=key).exists)()


@pytest.mark.asyncio
async def test_a_deactivated_user_is_refused(family_member, care_team):
    key = await database_sync_to_async(session_key_for)(family_member)
    await database_sync_to_async(User.objects.filter(pk=family_member.pk).update)(is_active=False)
    assert await _refused(care_team, key)


@pytest.mark.parametrize("origin", [b"https://evil.example", None])
@pytest.mark.asyncio
async def test_the_application_refuses_a_foreign_or_missing_origin_before_signing_in(
    monkeypatch, family_member, care_team, origin
):
    from family_portal.asgi import application
    from messaging import socket_auth

    asked: list[str] = []
    monkeypatch.setattr(socket_auth, "signed_in", lambda key: asked.append(key))
    key = await database_sync_to_async(session_key_for)(family_member)
    extra = [(b"host", b"testserver")] + ([(b"origin", origin)] if origin else [])
    connected, _ = await communicator_for(care_team, key, app=application, extra_headers=extra).connect(timeout=3)
    assert not connected and asked == []


def test_signing_in_is_two_queries_by_primary_key(django_assert_num_queries, family_member, counselor):
    for user in (family_member, counselor):
        key = session_key_for(user)
        with django_assert_num_queries(SIGN_IN_QUERIES):
            found = signed_in(key)
        assert found is not None and found[0].pk == user.pk and found[1]["_auth_user_id"] == str(user.pk)


def test_the_cookie_is_found_among_others_and_across_headers(family_member):
    from messaging.socket_auth import session_cookie

    key = session_key_for(family_member)
    name, value = cookie_header(key)
    headers = [(b"cookie", b"csrftoken=abc; theme=dark"), (name, value)]
    assert session_cookie({"headers": headers}) == key
    assert session_cookie({"headers": [(b"cookie", b"csrftoken=abc")]}) is None
    for odd in (b"short", b'"\\000abcdefghij"', b"abcdefgh-;"):  # never sent to the database
        assert session_cookie({"headers": [(b"cookie", settings.SESSION_COOKIE_NAME.encode() + b"=" + odd)]}) is None
