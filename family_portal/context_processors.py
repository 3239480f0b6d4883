"""Values every template needs: crisis resources, idle-logoff timing, the program's public name, the frame's links."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from family_portal.chrome import frame_urls


def portal(request: HttpRequest) -> dict[str, Any]:
    return {
        "idle_timeout_s": settings.PORTAL_IDLE_TIMEOUT_S,
        "idle_left_s": getattr(request, "portal_idle_left_s", settings.PORTAL_IDLE_TIMEOUT_S),
        "idle_warning_s": settings.PORTAL_IDLE_WARNING_S,
        "portal_name": "Family Portal",
        "frame": frame_urls(),  # reversed once per process (family_portal.chrome)
    }
