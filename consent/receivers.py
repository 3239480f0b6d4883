"""Receivers: audit rows for authentication events (AUTH-12) and admin changes, and invitation linking on login."""

from __future__ import annotations

from typing import Any

from allauth.account.signals import password_changed, password_reset
from django.contrib.admin.models import LogEntry
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver

from consent.audit import record_audit
from consent.invitations import link_pending_invitation
from consent.models import AuditEvent


@receiver(user_logged_in, dispatch_uid="audit_login")
def audit_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record_audit(kind=AuditEvent.Kind.LOGIN, actor=user, request=request)


@receiver(user_logged_in, dispatch_uid="consent_link_invitation")
def link_invitation_on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    # Covers sign-in and the sign-up that logs straight in (the invited email arrives pre-verified).
    if request is not None:
        link_pending_invitation(request, user)


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def audit_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    # Only the fact of the failure: never the posted password, and not the email (it may name a patient).
    record_audit(kind=AuditEvent.Kind.LOGIN_FAILED, request=request)


@receiver(user_logged_out, dispatch_uid="audit_logout")
def audit_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record_audit(kind=AuditEvent.Kind.LOGOUT, actor=user, request=request)


@receiver(password_changed, dispatch_uid="audit_password_changed")
@receiver(password_reset, dispatch_uid="audit_password_reset")
def audit_password_changed(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record_audit(kind=AuditEvent.Kind.PASSWORD_CHANGED, actor=user, request=request)


@receiver(post_save, sender=LogEntry, dispatch_uid="audit_admin_change")
def audit_admin_change(sender: Any, instance: LogEntry, created: bool, **kwargs: Any) -> None:
    """Every Django admin add/change/delete is mirrored into the chain, ids only (never ``object_repr``)."""
    if not created:
        return
    record_audit(
        kind=AuditEvent.Kind.ADMIN_CHANGE,
        actor=instance.user,
        data={
            "content_type": instance.content_type_id,
            "object_id": instance.object_id,
            "action": instance.action_flag,
        },
    )
