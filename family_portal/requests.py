"""The one request type views are annotated with (for type checking only)."""

from __future__ import annotations

from django.http import HttpRequest

from accounts.models import User


class PortalRequest(HttpRequest):
    """A request behind LoginRequiredMiddleware, so ``user`` is a ``User``, not ``AnonymousUser``.

    Pages shown in a time zone (``scheduling.access.in_viewer_time_zone``, ``education.views.time_zone``) read it
    from ``django.utils.timezone.get_current_timezone()``, which those decorators set."""

    user: User  # type: ignore[assignment]
