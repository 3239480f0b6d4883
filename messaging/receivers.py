"""Signal receivers that end live access (WS-04), each handing over to a service that broadcasts on commit, and
those that tell the cached unread counts (``messaging.unread``) that a count may have changed."""

from __future__ import annotations

from typing import Any

from allauth.account.signals import password_changed, password_reset
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.models import Program, User
from accounts.signals import session_ended
from consent.signals import consent_ended
from messaging import services, unread
from messaging.models import Conversation, Message, Participant


@receiver(consent_ended, dispatch_uid="messaging_close_on_consent_end")
def close_on_consent_end(sender: Any, consent: Any, **kwargs: Any) -> None:
    """Revoked or ended by an event: the sockets opened under this consent close. (Expiry by date has no event:
    the consumer schedules a close at ``expires_at`` and every delivery re-checks the gate.)"""
    for consent_id in consent.lineage_ids():  # a socket opened before a change of scopes is in an older group
        services.close_consent_sockets(consent_id=consent_id)


@receiver(post_save, sender=User, dispatch_uid="messaging_close_on_user_change")
def close_on_user_change(sender: Any, instance: User, created: bool, **kwargs: Any) -> None:
    """Deactivation (4403; a patient's deactivation also closes the family sockets in their conversations), and
    any password change (``set_password`` leaves ``_password`` set until the save
    ends), which ends every session of the user (4401)."""
    if created:
        return
    if not instance.is_active:
        services.close_user_sockets(user_id=instance.pk)
        if instance.is_patient:  # their family's sockets in the patient's conversations ask the gate again
            conversations = Conversation.objects.filter(patient=instance).values_list("pk", flat=True)
            services.recheck_patient_sockets(conversation_ids=list(conversations))
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


@receiver(post_save, sender=Message, dispatch_uid="messaging_unread_on_message")
@receiver(post_save, sender=Participant, dispatch_uid="messaging_unread_on_seat")
@receiver(post_delete, sender=Participant, dispatch_uid="messaging_unread_on_seat_delete")
def unread_on_message_or_seat(sender: Any, instance: Message | Participant, **kwargs: Any) -> None:
    """A message stored, edited or deleted, a seat added, moved or removed: the patient's counts may change.
    (Writes through ``update()`` call ``unread.changed`` themselves: ``mark_read``.)"""
    unread.changed([instance.conversation.patient_id])


@receiver(post_save, sender=Conversation, dispatch_uid="messaging_unread_on_conversation")
@receiver(post_delete, sender=Conversation, dispatch_uid="messaging_unread_on_conversation_delete")
def unread_on_conversation(sender: Any, instance: Conversation, **kwargs: Any) -> None:
    unread.changed([instance.patient_id])


@receiver(post_save, sender=Program, dispatch_uid="messaging_unread_on_program")
def unread_on_program(sender: Any, instance: Program, **kwargs: Any) -> None:
    """Whether patients join their shared family thread is a program setting."""
    unread.changed_everywhere()
