"""The conversation socket: frames become service calls, group events become frames (style 2.4).

Close codes: 4403 access refused or ended (consent, deactivation), 4401 the session ended (signed out here or from
another device, deleted, idle or absolute expiry, password change: WS-11), 4429 sustained flooding.
Client frames (JSON):
``{"type": "message", "body": str, "client_id"?: str}``, ``{"type": "typing"}``, ``{"type": "read", "up_to": id}``,
``{"type": "resume", "after": id}``. Server frames: ``message``, ``ack``, ``typing``, ``read``, ``error``,
``status`` (live updates paused/resumed) and ``resync`` (too much missed: reload the page).
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from redis.exceptions import TimeoutError as RedisTimeoutError

from accounts.models import User
from messaging import services, socket_calls
from messaging.access import (
    SessionEnded,
    SocketGrant,
    check_socket,
    session_close_code,
)
from messaging.group_join import add_to_groups, discard_from_groups, joining
from messaging.models import Conversation
from messaging.presence import HEARTBEAT_S, close_socket, touch_socket
from messaging.ratelimit import FrameLimiter
from messaging.socket_auth import HandshakeSession, resolved_user

logger = logging.getLogger(__name__)

CLOSE_FORBIDDEN = 4403
CLOSE_SESSION_ENDED = 4401
CLOSE_FLOODING = 4429
MAX_FRAME_BYTES = 8 * 1024  # the app-level limit (WS-06); Daphne's own limit is far higher
TYPING_INTERVAL_S = 2.0
LAYER_RETRY_MAX_S = 30.0
# A delivery trusts the last confirmation that the session lives for this long, then asks the database again
# (WS-11). Ended sessions are announced at once (the session group); this bounds one that vanished silently.
SESSION_RECHECK_S = 5.0


def _as_id(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


class ConversationConsumer(AsyncWebsocketConsumer):
    user: User
    conversation: Conversation
    session_key: str
    _session_confirmed_at: float  # wall clock, set by connect: when the session was last seen alive in the database

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._group_names: list[str] = []
        self._accepted = False
        self._present = False  # a presence row exists for this socket
        self._closing = False
        self._live = False
        self._last_typing = 0.0
        # The lifetime watch: a loop timer between checks, a task only while one runs (a task sleeping per socket
        # kept its coroutine frame, future and handle alive for the socket's whole life: issue #17, W5).
        self._watch: asyncio.TimerHandle | asyncio.Task[None] | None = None

    # --- A channel layer outage must not kill the socket: keep retrying, report "live: false" (WS-08, WS-09) ----

    @property
    def channel_receive(self) -> Callable[[], Awaitable[dict[str, Any]]]:
        return self._receive_from_layer

    @channel_receive.setter
    def channel_receive(self, value: Callable[[], Awaitable[dict[str, Any]]]) -> None:
        self._layer_receive = value  # set by channels' AsyncConsumer.__call__

    async def _receive_from_layer(self) -> dict[str, Any]:
        delay = 0.5
        while True:
            if self._accepted and not self._live and not self._closing and await self._join_groups():
                await self._send_json({"type": "status", "live": True})
            try:
                return await self._layer_receive()
            except asyncio.CancelledError:
                raise
            except (TimeoutError, RedisTimeoutError):
                # An idle blocking read outlived the client's socket timeout (redis-py 8 defaults it to 5 s, the
                # same as channels_redis's BZPOPMIN; django/channels_redis#422). Nothing is lost: read again.
                continue
            except Exception as exc:  # Redis down or restarting
                if self._live:
                    logger.warning("channel layer receive failed: %s", type(exc).__name__)
                    self._live = False
                    if not self._closing:
                        await self._send_json({"type": "status", "live": False})
                await asyncio.sleep(delay)
                delay = min(delay * 2, LAYER_RETRY_MAX_S)

    async def _join_groups(self) -> bool:
        """All of the socket's groups in one pipelined round trip (``add_to_groups``), and at most
        ``group_join.MAX_JOINING`` sockets of this process at once: side by side, a connect storm asks the layer's
        Redis pool for a connection per join and overflows it (redis-py raises ``MaxConnectionsError`` past 100;
        measured, issue #17, once handshakes got fast enough to arrive together)."""
        try:
            async with joining():
                await add_to_groups(self.channel_layer, self._group_names, self.channel_name)
        except Exception as exc:
            logger.warning("joining live groups failed: %s", type(exc).__name__)
            return False
        self._live = True
        return True

    # --- Lifecycle ---------------------------------------------------------------------------------------------

    async def connect(self) -> None:
        # The sign-in, the gate, the ledger and presence rows: one trip off the loop (``socket_calls.admit``), in a
        # copy of the socket's context, so what the call leaves in its context (the session engine's cache object)
        # does not stay with the socket (W5). Without a session cookie there is no one to sign in: refused at once.
        grant: SocketGrant | None = None
        if self.scope.get("session") is not None:
            admitting = socket_calls.off_loop(socket_calls.admit)(
                scope=self.scope, channel_name=self.channel_name, max_wait_s=HEARTBEAT_S
            )
            grant = await asyncio.create_task(admitting, context=contextvars.copy_context())
        # Decided: every later check re-reads the session's row by its key, so the handshake's copy of the
        # session goes (issue #17, W5: ~1.5 KB a socket).
        if isinstance(session := self.scope.get("session"), HandshakeSession):
            session.forget()
        if grant is None:
            await self.close(code=CLOSE_FORBIDDEN)  # before accept: the handshake is refused (WS-02)
            return
        self._present = True
        self.user = resolved_user(self.scope["user"])
        self.conversation = grant.conversation
        self.session_key = grant.session_key
        self._session_confirmed_at = time.time()  # the handshake read the session's row
        self.limiter = FrameLimiter(self.user.pk)
        self._group_names = [
            services.group_name(self.conversation.pk),
            services.user_group(self.user.pk),
            services.session_group(grant.session_key),
        ]
        if grant.consent_id:
            self._group_names.append(services.consent_group(grant.consent_id))
        await self._join_groups()
        await self.accept()
        self._accepted = True
        if not self._live:
            await self._send_json({"type": "status", "live": False})
        self._watch_in(grant.first_check_in_s)

    async def disconnect(self, code: int) -> None:
        self._closing = True
        self._cancel_tasks()
        try:
            await discard_from_groups(self.channel_layer, self._group_names, self.channel_name)
        except Exception as exc:  # the layer forgets stale members by itself
            logger.info("leaving live groups failed: %s", type(exc).__name__)
        if self._present:
            await socket_calls.off_loop(close_socket)(channel_name=self.channel_name)

    def _watch_in(self, wait: float) -> None:
        """Check the socket's lifetime in ``wait`` seconds (``_check_lifetime``)."""
        if not self._closing:
            self._watch = asyncio.get_running_loop().call_later(wait + 0.05, self._start_check)

    def _start_check(self) -> None:
        if not self._closing:
            self._watch = asyncio.ensure_future(self._check_lifetime())

    async def _check_lifetime(self) -> None:
        """Close at the session's idle expiry or absolute cap (4401, WS-05) or when access ends without an event,
        such as a consent reaching its expiry date (4403). Each check also refreshes the presence heartbeat."""
        try:
            check = await socket_calls.off_loop(check_socket)(
                session_key=self.session_key,
                user_id=self.user.pk,
                conversation=self.conversation,
                max_wait_s=HEARTBEAT_S,
            )
            if check.close_code is not None:
                await self._end(check.close_code)
                return
            self._session_confirmed_at = time.time()
            await socket_calls.off_loop(touch_socket)(channel_name=self.channel_name)
            self._watch_in(check.wake_in_s)
        except asyncio.CancelledError:
            pass

    def _cancel_tasks(self) -> None:
        """Stop the lifetime watch: its timer, or its running check unless that is the caller."""
        watch, self._watch = self._watch, None
        if watch is not None and watch is not asyncio.current_task():
            watch.cancel()

    async def _end(self, code: int) -> None:
        if self._closing:
            return
        self._closing = True
        self._cancel_tasks()
        await self.close(code=code)

    # --- Client frames -----------------------------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self._closing:
            return
        if not await self.limiter.allow():
            if self.limiter.flooding:
                await self._end(CLOSE_FLOODING)
            else:
                await self._error("rate_limited", _("You are sending messages quickly. Please wait a moment."))
            return
        if text_data is None:
            await self._error("unsupported", _("Only text frames are accepted."))
            return
        if len(text_data.encode("utf-8")) > MAX_FRAME_BYTES:
            await self._error("too_large", _("That message is too long to send."))
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            content = None
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self._error("bad_request", _("That request was not understood."))
            return
        handler = {
            "message": self._on_message,
            "typing": self._on_typing,
            "read": self._on_read,
            "resume": self._on_resume,
        }.get(content["type"], self._on_unknown)
        try:
            await handler(content)  # each handler re-reads the session and asks the gate again (WS-03, WS-11)
        except SessionEnded:
            await self._end(CLOSE_SESSION_ENDED)
        except PermissionDenied:
            await self._end(CLOSE_FORBIDDEN)

    async def _on_unknown(self, content: dict[str, Any]) -> None:
        await self._not_understood()

    async def _not_understood(self) -> None:
        """A well-formed frame the socket cannot act on: still a frame, so the session and the gate are asked."""
        await socket_calls.off_loop(socket_calls.check_frame)(self.session_key, self.user.pk, self.conversation)
        await self._error("bad_request", _("That request was not understood."))

    async def _on_message(self, content: dict[str, Any]) -> None:
        client_id = content.get("client_id")
        client_id = client_id if isinstance(client_id, str) and len(client_id) <= 64 else None
        try:
            message, notice, broadcasts = await socket_calls.off_loop(socket_calls.send_and_describe)(
                self.session_key, self.user.pk, self.conversation, content.get("body")
            )
        except ValidationError as exc:
            with translation.override(self._language()):
                detail = " ".join(str(text) for text in exc.messages)
            await self._error("invalid", detail, client_id=client_id)
            return
        except SessionEnded:
            await self._end(CLOSE_SESSION_ENDED)
            return
        except PermissionDenied:
            await self._end(CLOSE_FORBIDDEN)
            return
        except Exception as exc:  # database trouble: tell the sender, keep the socket
            logger.warning("message not saved in conversation %s: %s", self.conversation.pk, type(exc).__name__)
            not_saved = _("Your message could not be saved. Please try again.")
            await self._error("unavailable", not_saved, client_id=client_id)
            return
        await services.send_collected(broadcasts)  # stored and committed first (store-before-broadcast)
        await self._send_json({"type": "ack", "client_id": client_id, "message": message.as_event(), "notice": notice})

    async def _on_typing(self, content: dict[str, Any]) -> None:
        recipients = await socket_calls.off_loop(socket_calls.typing_recipients)(
            self.session_key, self.user.pk, self.conversation
        )
        now = asyncio.get_running_loop().time()
        if now - self._last_typing < TYPING_INTERVAL_S:
            return
        self._last_typing = now
        await services.broadcast_typing(user=self.user, conversation_id=self.conversation.pk, recipients=recipients)

    async def _on_read(self, content: dict[str, Any]) -> None:
        up_to = _as_id(content.get("up_to"))
        if up_to is None:
            await self._not_understood()
            return
        broadcasts = await socket_calls.off_loop(socket_calls.mark_read)(
            self.session_key, self.user.pk, self.conversation, up_to
        )
        await services.send_collected(broadcasts)

    async def _on_resume(self, content: dict[str, Any]) -> None:
        after = _as_id(content.get("after"))
        if after is None:
            await self._not_understood()
            return
        missed = await socket_calls.off_loop(socket_calls.replay)(
            self.session_key, self.user.pk, self.conversation, after
        )
        for event in missed:
            await self._send_json({"type": "message", "message": event})
        if len(missed) >= services.REPLAY_LIMIT:
            await self._send_json({"type": "resync"})

    # --- Group events (each delivery is checked against the gate: WS-03) ------------------------------------------

    async def message_created(self, event: dict[str, Any]) -> None:
        await self._deliver(event, {"type": "message", "message": event["message"]})

    async def message_updated(self, event: dict[str, Any]) -> None:
        await self._deliver(event, {"type": "message", "message": event["message"]})

    async def read_updated(self, event: dict[str, Any]) -> None:
        if event["user_id"] != self.user.pk:
            frame = {"type": "read", "user": event["user_id"], "name": event["name"], "up_to": event["up_to"]}
            await self._deliver(event, frame)

    async def typing_started(self, event: dict[str, Any]) -> None:
        if event["user_id"] != self.user.pk:
            await self._deliver(event, {"type": "typing", "user": event["user_id"], "name": event["name"]})

    async def force_close(self, event: dict[str, Any]) -> None:
        await self._end(CLOSE_FORBIDDEN)

    async def session_ended(self, event: dict[str, Any]) -> None:
        await self._end(CLOSE_SESSION_ENDED)

    async def access_recheck(self, event: dict[str, Any]) -> None:
        """Something that may end this user's access changed (the patient was deactivated): ask the gate now and
        close with 4403 if it refuses, instead of waiting for the next delivery."""
        if self._closing:
            return
        verdict = await socket_calls.off_loop(socket_calls.verdict_for_unnamed)(self.user.pk, self.conversation, None)
        if verdict is None:
            await self._end(CLOSE_FORBIDDEN)

    async def _deliver(self, event: dict[str, Any], frame: dict[str, Any]) -> None:
        """Send ``frame`` if the session lives and the gate allowed this user when the event was made.

        The session: an ended one closed this socket already (``session.ended``); one that vanished silently is
        caught by asking the database once the last confirmation is ``SESSION_RECHECK_S`` old (WS-11). The gate:
        ``recipients`` were decided in the sending transaction, so the usual delivery needs no query. Anyone not
        named there (their access ended before it was sent, or began since) is asked of the gate now, and closed
        with 4403 if refused; one who may take part is still not sent a message written before their own sharing
        of a shared thread began (MSG-01)."""
        if self._closing:
            return
        if not 0 <= time.time() - self._session_confirmed_at < SESSION_RECHECK_S:
            code = await socket_calls.off_loop(session_close_code)(self.session_key, self.user.pk)
            if code is not None:
                await self._end(code)
                return
            self._session_confirmed_at = time.time()
        if self.user.pk not in event["recipients"]:
            written_at = event["message"]["created_at"] if "message" in event else None
            verdict = await socket_calls.off_loop(socket_calls.verdict_for_unnamed)(
                self.user.pk, self.conversation, written_at
            )
            if verdict is None:
                await self._end(CLOSE_FORBIDDEN)
                return
            if not verdict:
                return
        await self._send_json(frame)

    # --- Helpers -------------------------------------------------------------------------------------------------

    def _language(self) -> str:
        """The socket user's own language: no middleware activates one for a socket, so every text sent is
        rendered in it here (``accounts.User.preferred_language``)."""
        return getattr(self.user, "preferred_language", "") or settings.LANGUAGE_CODE

    async def _error(self, code: str, detail: str | Promise, **extra: Any) -> None:
        with translation.override(self._language()):
            text = str(detail)
        await self._send_json({"type": "error", "error": code, "detail": text, **extra})

    async def _send_json(self, payload: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(payload))
