"""WebSocket routes (Channels tutorial shape). Only an opaque conversation UUID in the path: no tokens, no names,
no query-string authentication (WS-10); the session cookie authenticates."""

from django.urls import path

from messaging.consumers import ConversationConsumer

websocket_urlpatterns = [
    path("ws/conversations/<uuid:conversation_id>/", ConversationConsumer.as_asgi(), name="conversation_socket"),
]
