"""Auth signal receivers: stamp the login time used by the absolute session cap."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import timezone

from accounts.middleware import LOGIN_AT_KEY, SEEN_AT_KEY


@receiver(user_logged_in, dispatch_uid="accounts_stamp_login_time")
def stamp_login_time(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        now = timezone.now().timestamp()
        request.session[LOGIN_AT_KEY] = now
        request.session[SEEN_AT_KEY] = now
