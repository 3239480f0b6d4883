"""Every WebSocket route of the portal, ending in a catch-all that refuses paths no consumer serves (ROB-01).

Channels' ``URLRouter`` raises ``ValueError("No route found …")`` for an unknown path: the server logs a traceback
and answers the upgrade with a 500. The catch-all closes the handshake instead, which the server answers with a
plain 403, and logs nothing (the path is whatever the client sent)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from django.urls import re_path

from messaging.routing import websocket_urlpatterns as messaging_routes

ASGIMessage = dict[str, Any]


async def refuse_unknown_path(
    scope: dict[str, Any],
    receive: Callable[[], Awaitable[ASGIMessage]],
    send: Callable[[ASGIMessage], Awaitable[None]],
) -> None:
    """Refuse the upgrade: a close before accepting is a 403 at the handshake (ASGI WebSocket spec)."""
    message = await receive()
    if message["type"] == "websocket.connect":
        await send({"type": "websocket.close", "code": 4404})


websocket_urlpatterns = [
    *messaging_routes,
    # Last, so it only gets what nothing above serves. URLRouter takes ASGI apps where Django's stubs want views.
    re_path(r"^", refuse_unknown_path, name="unknown_socket"),  # type: ignore[arg-type]
]
