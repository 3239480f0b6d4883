"""Signal receivers that end live access (WS-04). Each only hands over to a service, which broadcasts on commit."""

from __future__ import annotations

from typing import Any

from allauth.account.signals import password_changed, password_reset
from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.models import User
from accounts.signals import session_ended
from consent.signals import consent_ended
from messaging import services


@receiver(consent_ended, dispatch_uid="messaging_close_on_consent_end")
def close_on_consent_end(sender: Any, consent: Any, **kwargs: Any) -> None:
    """Revoked or ended by an event: the sockets opened under this consent close. (Expiry by date has no event:
    the consumer schedules a close at ``expires_at`` and every delivery re-checks the gate.)"""
    for consent_id in consent.lineage_ids():  # a socket opened before a change of scopes is in an older group
        services.close_consent_sockets(consent_id=consent_id)


@receiver(post_save, sender=User, dispatch_uid="messaging_close_on_user_change")
def close_on_user_change(sender: Any, instance: User, created: bool, **kwargs: Any) -> None:
    """Deactivation (4403), and any password change (``set_password`` leaves ``_password`` set until the save
    ends), which ends every session of the user (4401)."""
    if created:
        return
    if not instance.is_active:
        services.close_user_sockets(user_id=instance.pk)
    elif getattr(instance, "_password", None) is not None:
        services.close_signed_out_sockets(user_id=instance.pk)


@receiver(password_changed, dispatch_uid="messaging_close_on_password_changed")
@receiver(password_reset, dispatch_uid="messaging_close_on_password_reset")
def close_on_password_change(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    services.close_signed_out_sockets(user_id=user.pk)


@receiver(session_ended, dispatch_uid="messaging_close_on_session_end")
def close_on_session_end(sender: Any, session_key: str, **kwargs: Any) -> None:
    """However a session ended (sign-out, "sign out other sessions", deleted by an admin or ``clearsessions``),
    the sockets opened on it close with 4401; the user's other signed-in devices keep theirs (WS-11)."""
    services.close_session_sockets(session_key=session_key)
