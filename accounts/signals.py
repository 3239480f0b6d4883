"""Auth signal receivers: stamp the login time used by the absolute session cap."""

from __future__ import annotations

from typing import Any

from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.signals import authenticator_added
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


@receiver(authenticator_added, dispatch_uid="accounts_mfa_enrolment_counts_as_mfa")
def enrolment_passes_mfa_stage(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    """Activating TOTP required a valid code from the new authenticator: the session has passed MFA, so staff
    who just enrolled are not signed out by RequireStaffMFAMiddleware on their next click."""
    if request is not None and authenticator.type == authenticator.Type.TOTP:
        record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type)
