"""The WebSocket handshake's sign-in: the session's row and its user, read in the handshake's one trip off the event
loop (issue #17, W6).

In place of channels' ``AuthMiddleware`` stack, which parsed every cookie, made a lazy session store, and loaded
the session (through its cached copy) and then the user in a call on the process's one thread-sensitive thread,
where a connect storm's handshakes queued behind each other. ``SocketAuthMiddleware`` only finds the session cookie:
``scope["session"]`` is a read-only ``HandshakeSession`` of that key and ``scope["user"]`` a ``UserLazyObject``
(channels' own) until the consumer's handshake call (``socket_calls.admit``) signs in with ``sign_in``, in the same
trip off the loop, connection and transaction as the gate and the ledger and presence rows (one trip instead of
two: ~0.3 ms of CPU a connect, a pooled connection's checkout and a thread hop). The sign-in reads the session's
row (the store of record, never the cached copy: WS-11) and the user with the same checks as channels'
``get_user``: the session names a user through a listed backend, the backend loads that user (active only), and
the session's hash matches the user's (else the session is ended, as ``get_user``'s ``flush`` did). Anything else
is the anonymous user, whom the consumer refuses; without a usable cookie the middleware puts the anonymous user
at once. The session's idle and absolute limits and the conversation's gate are the consumer's handshake check
(``access.authorize_socket``), which is handed the data read here instead of reading the row again.

The session is read-only (a socket never writes its session), and the consumer drops its data once the handshake
is decided (W5). The consumer runs the handshake call in a copy of the socket's context: the session engine's cache
object it makes (``caches`` is per async context) goes with the copy instead of staying with the socket (~0.5 KB a
socket, W5).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any

from channels.auth import UserLazyObject
from channels.security.websocket import AllowedHostsOriginValidator
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.http.cookie import parse_cookie
from django.utils.crypto import constant_time_compare
from django.utils.functional import empty

from accounts.models import User
from accounts.sessions import end_session, stored_session_data

ASGIApp = Callable[[dict[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]


class HandshakeSession(Mapping[str, Any]):
    """A session as one handshake reads it from its row: its key and its data (``row_data``), read-only; empty until
    ``sign_in`` has read it.

    Every copy of the scope shares this one object and the scope's ``UserLazyObject`` (the routers copy the scope
    and keep their copies for the socket's life), so ``sign_in`` resolves the user for all of them, and ``forget``
    drops the data for all of them once the handshake is decided."""

    __slots__ = ("_user", "row_data", "session_key")

    def __init__(self, session_key: str, user: UserLazyObject | None = None) -> None:
        self.session_key = session_key
        self.row_data: Mapping[str, Any] = {}
        self._user = user

    def sign_in(self) -> User | None:
        """Read the session's row and its user (``signed_in``; call it off the event loop), resolve the scope's
        lazy user to them or to the anonymous user, and return the signed-in user (``None``: refuse)."""
        found = signed_in(self.session_key)
        user, self.row_data = found if found is not None else (None, {})
        if self._user is not None:
            self._user._wrapped = user if user is not None else AnonymousUser()
            self._user = None
        return user

    def forget(self) -> None:
        self.row_data = {}
        self._user = None

    def __getitem__(self, key: str) -> Any:
        return self.row_data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.row_data)

    def __len__(self) -> int:
        return len(self.row_data)


def resolved_user(user: Any) -> Any:
    """The object behind a resolved ``UserLazyObject`` (the scope's user after ``HandshakeSession.sign_in``), else
    ``user`` itself: what a consumer keeps, so no attribute read goes through the lazy proxy."""
    if isinstance(user, UserLazyObject):
        wrapped = user._wrapped
        return AnonymousUser() if wrapped is empty else wrapped
    return user


def session_cookie(scope: Mapping[str, Any]) -> str | None:
    """The session cookie's value from the handshake's ``Cookie`` headers (joined as channels' ``CookieMiddleware``
    joins them), or ``None``."""
    values = [value.decode("latin1") for name, value in scope.get("headers", ()) if name == b"cookie"]
    if not values:
        return None
    key = parse_cookie("; ".join(values)).get(settings.SESSION_COOKIE_NAME, "")
    # A key Django could have made (lowercase letters and digits, at least 8), so nothing else reaches a query.
    return key if len(key) >= 8 and key.isascii() and key.isalnum() else None


def signed_in(session_key: str) -> tuple[User, Mapping[str, Any]] | None:
    """The active user session ``session_key`` signs in, and the session's data, read from its row (two queries by
    primary key on a database-backed engine); ``None`` when there is none. A session whose hash no longer matches
    its user's (a password changed since) is ended, as channels' and Django's ``get_user`` end it."""
    data = stored_session_data(session_key)  # {} when gone or expired (or a malformed key: no such row)
    backend_path = data.get(BACKEND_SESSION_KEY)
    if SESSION_KEY not in data or backend_path not in settings.AUTHENTICATION_BACKENDS:
        return None
    try:
        user_id = User._meta.pk.to_python(data[SESSION_KEY])  # type: ignore[union-attr]
    except ValidationError:  # a session naming no valid user id signs no one in
        return None
    user = load_backend(backend_path).get_user(user_id)  # the active user, as every page loads it
    if user is None:
        return None
    if not constant_time_compare(str(data.get(HASH_SESSION_KEY) or ""), user.get_session_auth_hash()):
        end_session(session_key)
        return None
    return user, data


def handshake_scope(scope: dict[str, Any]) -> dict[str, Any]:
    """``scope`` with ``session`` (a ``HandshakeSession`` of the cookie's key, or ``None``) and ``user`` (a
    ``UserLazyObject`` that the handshake's ``sign_in`` resolves, or the anonymous user without a usable cookie).
    Nothing is read here: the consumer signs in within its own handshake call."""
    key = session_cookie(scope)
    if key is None:
        scope.update(user=AnonymousUser(), session=None)
    else:
        user = UserLazyObject()
        scope.update(user=user, session=HandshakeSession(key, user))
    return scope


class SocketAuthMiddleware:
    """Puts ``session`` (the cookie's, unread) and ``user`` (resolved by the handshake's ``sign_in``) in the
    scope."""

    def __init__(self, inner: ASGIApp) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        scope = dict(scope)  # as channels' middleware: no change goes upstream
        await self.inner(handshake_scope(scope), receive, send)  # this frame lives as long as the socket


def portal_socket_stack(inner: ASGIApp) -> Any:
    """The portal's WebSocket stack around ``inner``: the Origin check (``ALLOWED_HOSTS``), then the sign-in."""
    return AllowedHostsOriginValidator(SocketAuthMiddleware(inner))
