"""Auth signal receivers: stamp the login time used by the absolute session cap, and announce every ended session.

``session_ended`` (argument ``session_key``) is sent however a session ends, so other apps can act on it without
knowing the ways (WS-11: messaging closes the session's sockets): sign-out, a session row deleted (allauth's "sign
out other sessions", the admin, ``clearsessions``), a user session deleted in the admin. It may be sent more than
once for one session (sign-out also deletes the row); receivers must be idempotent. Expiry by the clock and a
password change end sessions without deleting them: the socket's own timer and the user's post_save cover those.
Deactivation ends every session the account signed in (AUTH-09).
"""

from __future__ import annotations

from typing import Any

from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.signals import authenticator_added
from allauth.usersessions.models import UserSession
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver
from django.utils import timezone

from accounts import sessions
from accounts.middleware import LOGIN_AT_KEY, SEEN_AT_KEY
from accounts.models import User

session_ended = Signal()


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


@receiver(user_logged_out, dispatch_uid="accounts_session_ended_on_logout")
def announce_sign_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Sign-out, whatever the session engine (the deletion of the row that follows is announced as well)."""
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        session_ended.send(sender=sender, session_key=session_key)


def announce_deleted_session(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A session row was deleted, by whatever path: drop its cached copy (so its pages are signed out at once,
    not when the copy expires) and announce the end."""
    sessions.forget_cached_copy(instance.session_key)
    session_ended.send(sender=sender, session_key=instance.session_key)


SESSION_MODEL = sessions.session_model()
if SESSION_MODEL is not None:  # a database-backed engine: the row's deletion is the end of the session
    post_delete.connect(announce_deleted_session, sender=SESSION_MODEL, dispatch_uid="accounts_session_row_deleted")


@receiver(post_delete, sender=UserSession, dispatch_uid="accounts_user_session_deleted")
def end_deleted_user_session(sender: Any, instance: UserSession, **kwargs: Any) -> None:
    """allauth's record of a signed-in device was deleted (the admin, a deleted account): end the session it
    lists, which deleting the record alone would leave signed in. A no-op after ``UserSession.end()``."""
    sessions.end_session(instance.session_key)


@receiver(post_save, sender=User, dispatch_uid="accounts_end_sessions_on_deactivation")
def end_sessions_on_deactivation(sender: Any, instance: User, created: bool, **kwargs: Any) -> None:
    """Deactivation ends every session of the account (AUTH-09). Django only ignores an inactive user's session:
    left alone it would be signed in again the moment the account is reactivated."""
    if created or instance.is_active:
        return
    for session in UserSession.objects.filter(user=instance):
        session.end()
