"""System checks for the video-room settings (``scheduling/video.py``), run by ``manage.py check`` and at every start.

A misconfigured Jitsi is reported before anyone presses "Join": an unknown ``VIDEO_PROVIDER``, a missing base URL,
app id or secret, a base URL that is not HTTPS (outside DEBUG) or carries a path, query or fragment, and a secret
too short to resist guessing. Registered in ``SchedulingConfig.ready()``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks

from scheduling.video import PROVIDERS

MIN_SECRET_LENGTH = 32


def video_settings_check(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Errors for every video setting that would make "Join" fail or the tokens weak; none when video is off."""
    provider = settings.VIDEO_PROVIDER
    if not provider:
        return []
    if provider not in PROVIDERS:
        return [
            checks.Error(
                f"VIDEO_PROVIDER is {provider!r}; the portal knows {', '.join(PROVIDERS)}.",
                hint="Unset VIDEO_PROVIDER to let staff paste video links.",
                id="scheduling.E101",
            )
        ]
    return _base_url_errors(settings.JITSI_BASE_URL) + _credential_errors()


def _base_url_errors(base_url: str) -> list[checks.CheckMessage]:
    if not base_url:
        return [checks.Error("Set JITSI_BASE_URL (e.g. https://meet.example.org).", id="scheduling.E102")]
    parts = urlsplit(base_url)
    errors: list[checks.CheckMessage] = []
    if parts.scheme != "https" and not (settings.DEBUG and parts.scheme == "http"):
        errors.append(checks.Error("JITSI_BASE_URL must start with https://.", id="scheduling.E103"))
    if not parts.hostname or parts.path.strip("/") or parts.query or parts.fragment:
        errors.append(
            checks.Error(
                "JITSI_BASE_URL must be the Jitsi Meet address alone: scheme and host (and port), no path or query.",
                id="scheduling.E104",
            )
        )
    return errors


def _credential_errors() -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    if not settings.JITSI_APP_ID:
        errors.append(checks.Error("Set JITSI_APP_ID (Prosody's app_id).", id="scheduling.E105"))
    secret = settings.JITSI_APP_SECRET
    if not secret:
        errors.append(
            checks.Error("Set JITSI_APP_SECRET or JITSI_APP_SECRET_FILE (Prosody's app_secret).", id="scheduling.E106")
        )
    elif len(secret) < MIN_SECRET_LENGTH:
        errors.append(
            checks.Error(
                f"JITSI_APP_SECRET is {len(secret)} characters; use at least {MIN_SECRET_LENGTH} random ones.",
                hint="For example: python -c 'import secrets; print(secrets.token_urlsafe(48))'",
                id="scheduling.E107",
            )
        )
    return errors
