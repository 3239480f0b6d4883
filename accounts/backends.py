"""Authentication backends: Django's and allauth's, loading the signed-in user with what every page reads.

Each request loads ``request.user`` once through the backend that signed the person in. These load it with the
user's program and SMS phone joined (``select_related``), so the dashboard's text-reminder card, the staff pages'
program settings and the gate's program checks read them without a query of their own (performance issue, Q1).
Sessions signed in through the stock backends' paths (before this module) are signed out once: Django drops a
session whose backend is no longer listed, and listing the stock ones too would check every failed password twice.
"""

from __future__ import annotations

from typing import Any

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth.backends import ModelBackend

from accounts.models import User

REQUEST_USER_RELATED = ("program", "sms_phone")


class RequestUserLoading(ModelBackend):
    """``get_user`` (and its async twin) with the related rows every page reads, in the same query."""

    def get_user(self, user_id: Any) -> User | None:  # type: ignore[override]
        try:
            user = User.objects.select_related(*REQUEST_USER_RELATED).get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    async def aget_user(self, user_id: Any) -> User | None:  # type: ignore[override]
        try:
            user = await User.objects.select_related(*REQUEST_USER_RELATED).aget(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


class PortalModelBackend(RequestUserLoading):
    """Django's ``ModelBackend`` (email + password, the admin)."""


class PortalAuthenticationBackend(RequestUserLoading, AuthenticationBackend):
    """allauth's backend (sign-in by email, login codes, MFA)."""
