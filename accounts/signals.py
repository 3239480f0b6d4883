"""Auth signal receivers: stamp the login time used by the absolute session cap; end sessions on deactivation."""

from __future__ import annotations

from typing import Any

from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.signals import authenticator_added
from allauth.usersessions.models import UserSession
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from accounts.middleware import LOGIN_AT_KEY, SEEN_AT_KEY
from accounts.models import User


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


@receiver(post_save, sender=User, dispatch_uid="accounts_end_sessions_on_deactivation")
def end_sessions_on_deactivation(sender: Any, instance: User, created: bool, **kwargs: Any) -> None:
    """Deactivation ends every session of the account (AUTH-09). Django only ignores an inactive user's session:
    left alone it would be signed in again the moment the account is reactivated."""
    if created or instance.is_active:
        return
    for session in UserSession.objects.filter(user=instance):
        session.end()
