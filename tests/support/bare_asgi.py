"""The bare ASGI app: the floor for "what Daphne costs before Django" (HTTP 200 "ok", WebSocket echo).

Served through family_portal.serve (``--app tests.support.bare_asgi:application``) so it runs with the portal's
pinned Daphne flags; the bench measures it, and the ops tests use it to check the frame-size limit without
depending on any consumer.
"""

from __future__ import annotations

from typing import Any


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            pass
        return
    if scope["type"] == "http":
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})
        return
    if scope["type"] == "websocket":
        event = await receive()
        if event["type"] != "websocket.connect":
            return
        await send({"type": "websocket.accept"})
        while True:
            event = await receive()
            if event["type"] == "websocket.disconnect":
                return
            if event.get("text") is not None:
                await send({"type": "websocket.send", "text": event["text"]})
            elif event.get("bytes") is not None:
                await send({"type": "websocket.send", "bytes": event["bytes"]})
