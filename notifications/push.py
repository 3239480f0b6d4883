"""Web push subscriptions and preferences: who may get a push notice, on which devices, about what (issue #21).

A person turns push on per device on the account page (``static/js/push.js`` subscribes the browser with the VAPID
public key and posts the subscription here) and chooses the kinds they want (new messages, session changes,
reminders). A subscription is removed when that device signs out, when the push service answers 404 or 410
(``notifications.webpush``) and when the person turns push off on that device. The notices themselves go through
the outbox on the ``push`` channel, so consent is re-checked and quiet hours hold at send time like texts (JOB-05).
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from notifications.models import PushPreferences, PushSubscription

if TYPE_CHECKING:
    from accounts.models import User

# Which preference covers which outbox template; templates not listed are never sent by push.
KIND_OF_TEMPLATE = {
    "new_message": "new_messages",
    "session_invited": "session_changes",
    "session_rescheduled": "session_changes",
    "session_cancelled": "session_changes",
    "session_place_confirmed": "session_changes",
    "session_reminder": "reminders",
}
KINDS = ("new_messages", "session_changes", "reminders")
MAX_ENDPOINT_LENGTH = 1000
P256DH_LENGTH = 65  # an uncompressed P-256 point
AUTH_LENGTH = 16


class InvalidSubscription(ValueError):
    """A posted subscription that is not one a browser makes: nothing is saved."""


def push_available() -> bool:
    """True when the portal can sign push messages (``WEB_PUSH_ENABLED`` and both VAPID keys set)."""
    return bool(settings.WEB_PUSH_ENABLED and settings.VAPID_PUBLIC_KEY and settings.VAPID_PRIVATE_KEY)


def _b64url_bytes(value: Any, length: int, name: str) -> str:
    if not isinstance(value, str) or not value or len(value) > 200:
        raise InvalidSubscription(f"{name} is missing.")
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise InvalidSubscription(f"{name} is not base64url.") from None
    if len(raw) != length or (name == "p256dh" and raw[0] != 4):
        raise InvalidSubscription(f"{name} has the wrong length.")
    return value.rstrip("=")


def validate_subscription(data: Any) -> dict[str, str]:
    """The endpoint and keys of a browser's ``PushSubscription.toJSON()``, checked: an https endpoint (http only
    in DEBUG and tests: ``WEB_PUSH_ALLOW_HTTP``), a 65-byte P-256 key and a 16-byte auth secret. Raises
    ``InvalidSubscription``."""
    if not isinstance(data, dict):
        raise InvalidSubscription("Expected an object.")
    endpoint = data.get("endpoint")
    if not isinstance(endpoint, str) or len(endpoint) > MAX_ENDPOINT_LENGTH:
        raise InvalidSubscription("endpoint is missing or too long.")
    parts = urlsplit(endpoint)
    allowed = {"https", "http"} if settings.WEB_PUSH_ALLOW_HTTP else {"https"}
    if parts.scheme not in allowed or not parts.hostname or parts.username or parts.password:
        raise InvalidSubscription("endpoint must be an https address.")
    keys = data.get("keys")
    if not isinstance(keys, dict):
        raise InvalidSubscription("keys are missing.")
    return {
        "endpoint": endpoint,
        "p256dh": _b64url_bytes(keys.get("p256dh"), P256DH_LENGTH, "p256dh"),
        "auth": _b64url_bytes(keys.get("auth"), AUTH_LENGTH, "auth"),
    }


@transaction.atomic
def save_subscription(*, user: User, session_key: str, data: dict[str, str]) -> PushSubscription:
    """Store (or move to ``user`` and this sign-in) the validated subscription of one device."""
    subscription, _created = PushSubscription.objects.update_or_create(
        endpoint=data["endpoint"],
        defaults={
            "user": user,
            "p256dh": data["p256dh"],
            "auth": data["auth"],
            "session_key": session_key or "",
            "created_at": timezone.now(),
        },
    )
    PushPreferences.objects.get_or_create(user=user)
    return subscription


def remove_subscription(*, user: User, endpoint: str) -> int:
    """Turn push off on one device: delete that subscription if it is the user's. Returns how many."""
    deleted, _ = PushSubscription.objects.filter(user=user, endpoint=endpoint).delete()
    return deleted


def remove_for_session(session_key: str | None) -> int:
    """Signing out of a device removes the subscriptions made in that sign-in."""
    if not session_key:
        return 0
    deleted, _ = PushSubscription.objects.filter(session_key=session_key).delete()
    return deleted


def preferences_for(user: User) -> PushPreferences:
    """The user's push preferences (all kinds on until they change them); not saved until they do."""
    return PushPreferences.objects.filter(user=user).first() or PushPreferences(user=user)


def wants_push(user: User, template_key: str) -> bool:
    """True when ``template_key`` may go to ``user`` by push now: push is set up on the server, the person has at
    least one subscribed device and wants this kind. Two short queries."""
    kind = KIND_OF_TEMPLATE.get(template_key)
    if kind is None or not push_available():
        return False
    if not PushSubscription.objects.filter(user=user).exists():
        return False
    return bool(getattr(preferences_for(user), kind))


def on_user_logged_out(sender: Any, request: Any = None, user: Any = None, **kwargs: Any) -> None:
    """``user_logged_out`` receiver: the device signing out stops receiving push notices."""
    session = getattr(request, "session", None)
    remove_for_session(getattr(session, "session_key", None))
