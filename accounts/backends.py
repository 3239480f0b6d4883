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
from asgiref.sync import sync_to_async
from django.contrib.auth.backends import ModelBackend
from django.db.models import QuerySet
from django.db.models.query import MAX_GET_RESULTS

from accounts.models import User
from family_portal.prepared import Prepared

REQUEST_USER_RELATED = ("program", "sms_phone")


def _request_user(pk: Any) -> QuerySet[User]:
    """The query ``User.objects.select_related(...).get(pk=pk)`` runs (unordered, at most ``MAX_GET_RESULTS``)."""
    return User.objects.select_related(*REQUEST_USER_RELATED).filter(pk=pk).order_by()[:MAX_GET_RESULTS]


# Its SQL compiled once per process (``family_portal.prepared``): every signed-in request runs it (issue #17).
_PREPARED_REQUEST_USER = Prepared(_request_user, pk=int)


def load_request_user(user_id: Any) -> User:
    """The user ``user_id`` names with ``REQUEST_USER_RELATED`` joined, as ``get`` answers (``DoesNotExist``
    when missing); a session's id is an ``int`` (the pk's ``to_python``), else the ORM builds the query."""
    if type(user_id) is not int:
        return User.objects.select_related(*REQUEST_USER_RELATED).get(pk=user_id)
    found = _PREPARED_REQUEST_USER.rows(pk=user_id)
    if not found:
        raise User.DoesNotExist("User matching query does not exist.")
    if len(found) > 1:
        raise User.MultipleObjectsReturned(f"get() returned more than one User -- it returned {len(found)}!")
    return found[0]


class RequestUserLoading(ModelBackend):
    """``get_user`` (and its async twin) with the related rows every page reads, in the same query."""

    def get_user(self, user_id: Any) -> User | None:  # type: ignore[override]
        try:
            user = load_request_user(user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    async def aget_user(self, user_id: Any) -> User | None:  # type: ignore[override]
        try:
            user = await sync_to_async(load_request_user)(user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


class PortalModelBackend(RequestUserLoading):
    """Django's ``ModelBackend`` (email + password, the admin)."""


class PortalAuthenticationBackend(RequestUserLoading, AuthenticationBackend):
    """allauth's backend (sign-in by email, login codes, MFA)."""
