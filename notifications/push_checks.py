"""System check for web push (``notifications.push``), run by ``manage.py check`` and at every start.

In production (``DEBUG`` off) with ``WEB_PUSH_ENABLED=True`` the portal refuses to start without a usable VAPID key
pair and contact: every push would otherwise fail at send time. Registered in ``NotificationsConfig.ready()``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core import checks


def web_push_settings_check(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Errors for a missing or unusable VAPID setting when push is on; none when push is off."""
    if not settings.WEB_PUSH_ENABLED:
        return []
    level = checks.Warning if settings.DEBUG else checks.Error
    hint = "Run `manage.py generate_vapid_keys` and set the values it prints, or set WEB_PUSH_ENABLED=False."
    problems: list[checks.CheckMessage] = []
    if not settings.VAPID_PUBLIC_KEY:
        problems.append(
            level("WEB_PUSH_ENABLED is True but VAPID_PUBLIC_KEY is not set.", hint=hint, id="notifications.E201")
        )
    if not settings.VAPID_PRIVATE_KEY:
        problems.append(
            level(
                "WEB_PUSH_ENABLED is True but neither VAPID_PRIVATE_KEY nor VAPID_PRIVATE_KEY_FILE is set.",
                hint=hint,
                id="notifications.E202",
            )
        )
    if not settings.VAPID_SUBJECT.startswith(("mailto:", "https://")):
        problems.append(
            level(
                "VAPID_SUBJECT must be a mailto: or https: contact for the push services.",
                hint="For example mailto:it@example.org.",
                id="notifications.E203",
            )
        )
    if settings.VAPID_PUBLIC_KEY and settings.VAPID_PRIVATE_KEY and not _keys_match():
        problems.append(level("VAPID_PRIVATE_KEY does not match VAPID_PUBLIC_KEY.", hint=hint, id="notifications.E204"))
    return problems


def _keys_match() -> bool:
    from notifications.vapid_keys import public_key_of

    try:
        return public_key_of(settings.VAPID_PRIVATE_KEY) == settings.VAPID_PUBLIC_KEY.rstrip("=")
    except Exception:
        return False
