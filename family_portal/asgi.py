"""ASGI entry point: HTTP through Django, WebSockets through Channels behind the Origin check and the portal's own
sign-in middleware (``messaging.socket_auth``: the session row and the user in one call off the event loop).

The WebSocket routes end in a catch-all that refuses unknown paths with a 403 (family_portal/routing.py)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "family_portal.settings")
django_asgi_app = get_asgi_application()  # before importing anything that touches models

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from family_portal.routing import websocket_urlpatterns  # noqa: E402
from messaging.socket_auth import portal_socket_stack  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": portal_socket_stack(URLRouter(websocket_urlpatterns)),
    }
)
