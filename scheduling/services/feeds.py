"""Private calendar feeds: one secret address per user; only the token's hash is stored (``family_portal.tokens``)."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from family_portal.tokens import hash_token
from scheduling.models import CalendarFeed


@transaction.atomic
def issue_calendar_feed(*, user: User) -> str:
    """Create or replace the user's private feed token; only its hash is stored, so the raw token (returned)
    is shown once. Replacing it stops the old address at once."""
    token = secrets.token_urlsafe(32)
    CalendarFeed.objects.update_or_create(
        user=user,
        defaults={"token_hash": hash_token(token), "created_at": timezone.now(), "last_fetched_at": None},
    )
    return token


def revoke_calendar_feed(*, user: User) -> bool:
    """Stop the user's feed address; calendar apps get 404 from now on."""
    deleted, _rows = CalendarFeed.objects.filter(user=user).delete()
    return bool(deleted)


def feed_owner(token: str) -> User | None:
    """The active user a feed token belongs to, or ``None``; marks the fetch time."""
    if not token or len(token) > 100:
        return None
    feed = CalendarFeed.objects.select_related("user").filter(token_hash=hash_token(token)).first()
    if feed is None or not feed.user.is_active:
        return None
    CalendarFeed.objects.filter(pk=feed.pk).update(last_fetched_at=timezone.now())
    return feed.user
