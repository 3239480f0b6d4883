"""Limits on typing verification codes (the public letter-verification page): per client address and for the whole
site, counted in the shared cache so every process of a scaled-out site counts together (as ``messaging.ratelimit``).

Each attempt adds one to a fixed-window counter; past the limit the page answers 429 until the window ends. A code
has about 99 bits, so these limits exist to keep guessing pointless and the page cheap, not to make it possible. If
the cache is down the page still answers (a verification must not fail because Redis is away).
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 15 * 60
PER_CLIENT = 10  # attempts per client address per window
SITE_WIDE = 300  # attempts from everyone per window


def client_address(request: HttpRequest) -> str:
    """The client's address: ``REMOTE_ADDR``, or the entry a trusted proxy added to X-Forwarded-For (the
    ``ALLAUTH_TRUSTED_PROXY_COUNT`` setting, as sign-in's limits use)."""
    proxies = int(getattr(settings, "ALLAUTH_TRUSTED_PROXY_COUNT", 0) or 0)
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if proxies and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def _over(key: str, limit: int) -> bool:
    cache.add(key, 0, timeout=WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=WINDOW_SECONDS)
        count = 1
    return count > limit


def attempt_allowed(request: HttpRequest) -> bool:
    """Count one attempt; False when this client, or everyone together, has tried too often in this window."""
    window = int(time.time() // WINDOW_SECONDS)
    try:
        client_over = _over(f"letters:verify:ip:{client_address(request)}:{window}", PER_CLIENT)
        site_over = _over(f"letters:verify:all:{window}", SITE_WIDE)
    except Exception as exc:
        logger.warning("letter verification rate-limit cache unavailable: %s", type(exc).__name__)
        return True
    return not (client_over or site_over)
