"""Short opaque links for texts: ``<PORTAL_BASE_URL>/notifications/go/<token>`` → a portal path, behind login."""

from __future__ import annotations

import secrets
import string

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from notifications.models import ShortLink

_ALPHABET = string.ascii_letters + string.digits
TOKEN_LENGTH = 8


def short_link(path: str) -> str:
    """Absolute short URL for the local ``path`` (one token per path, created in the caller's transaction)."""
    if not path.startswith("/") or path.startswith("//"):
        raise ValueError("Short links point at local paths only.")
    link = ShortLink.objects.filter(path=path).first()
    for _ in range(5):
        if link is not None:
            break
        try:
            with transaction.atomic():
                link = ShortLink.objects.create(path=path, token=_new_token())
        except IntegrityError:
            link = ShortLink.objects.filter(path=path).first()  # a concurrent writer won, or a token collided
    if link is None:
        raise RuntimeError("Could not allocate a short link.")
    return f"{settings.PORTAL_BASE_URL}{reverse('notifications:go', args=[link.token])}"


def _new_token() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(TOKEN_LENGTH))
