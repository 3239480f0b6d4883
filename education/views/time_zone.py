"""Education pages show dates in the viewer's own time zone (``User.tz``), as scheduling does, not in UTC."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone


def in_user_time_zone(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Render the view (dates of completion, activity, review) in the signed-in user's time zone."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with timezone.override(request.user.tz):  # type: ignore[union-attr]  # behind LoginRequiredMiddleware
            return view(request, *args, **kwargs)

    return wrapper
