"""WebSocket routes (Channels tutorial shape)."""

websocket_urlpatterns: list = []
