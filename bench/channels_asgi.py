"""The portal's ASGI app plus two bench-only Channels routes (served with the pinned Daphne flags):

- ``/ws/bench/echo/``: an ``AsyncWebsocketConsumer`` that echoes (W1: what Channels adds over raw websockets);
- ``/ws/bench/room/<name>/``: joins a channel-layer group and ``group_send``s every frame to it (W3 staff broadcast
  at k=100: what the layer adds). No auth and no data: they never touch patient information.

Everything else (pages, ``/ws/conversations/<uuid>/``) is the real portal application.
"""

from __future__ import annotations

import os
from typing import Any

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "family_portal.settings")
django_asgi_app = get_asgi_application()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from messaging.routing import websocket_urlpatterns  # noqa: E402
from messaging.socket_auth import portal_socket_stack  # noqa: E402


class EchoConsumer(AsyncWebsocketConsumer):
    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        await self.send(text_data=text_data)


class RoomConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.group = f"bench_room_{self.scope['url_route']['kwargs']['name']}"
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        await self.channel_layer.group_send(self.group, {"type": "room.frame", "text": text_data})

    async def room_frame(self, event: dict[str, str]) -> None:
        await self.send(text_data=event["text"])


bench_routes = [
    path("ws/bench/echo/", EchoConsumer.as_asgi()),
    path("ws/bench/room/<slug:name>/", RoomConsumer.as_asgi()),
]

_bench_router = URLRouter(bench_routes)
_portal_router = portal_socket_stack(URLRouter(websocket_urlpatterns))


async def websocket_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    router = _bench_router if scope["path"].startswith("/ws/bench/") else _portal_router
    await router(scope, receive, send)


application = ProtocolTypeRouter({"http": django_asgi_app, "websocket": websocket_app})
