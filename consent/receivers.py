"""Audit rows for authentication events (AUTH-12): login, failed login, logout, password change."""

from __future__ import annotations

from typing import Any

from allauth.account.signals import password_changed, password_reset
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from consent.audit import record_audit
from consent.models import AuditEvent


@receiver(user_logged_in, dispatch_uid="audit_login")
def audit_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record_audit(kind=AuditEvent.Kind.LOGIN, actor=user, request=request)


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
