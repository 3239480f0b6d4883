"""The one place allauth is customised (style guide: ``accounts/adapters.py``)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context, ratelimit
from allauth.core.exceptions import ImmediateHttpResponse
from django import forms
from django.conf import settings
from django.http import HttpRequest

from accounts.middleware import LOGIN_AT_KEY

SITE_NAME = "Family Portal"


@dataclass(frozen=True)
class PortalSite:
    """What allauth's mail templates call ``current_site``: our name and public host, not the request's Host."""

    name: str
    domain: str


def portal_url(url: str) -> str:
    """``url``'s path, query and fragment on ``PORTAL_BASE_URL`` (whatever scheme and host it was built with)."""
    parts = urlsplit(url)
    return settings.PORTAL_BASE_URL + urlunsplit(("", "", parts.path, parts.query, parts.fragment))


class AccountAdapter(DefaultAccountAdapter):
    """Self sign-up creates a *learner* (family role, no patient link).

    A learner's signup is identical whether or not their email appears on any consent: linking happens only
    through an invitation the patient's consent made possible (§ 2.13(c)), never at signup.
    """

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return True

    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        user = super().save_user(request, user, form, commit=False)
        user.role = user.Role.FAMILY
        language = form.cleaned_data.get("preferred_language")
        if language:
            user.preferred_language = language
        if commit:
            user.save()
        return user

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        """Too many failed sign-ins for one address answer HTTP 429 (AUTH-03), not a form error.

        allauth counts failures per address in the shared cache and ignores X-Forwarded-For unless
        ALLAUTH_TRUSTED_PROXY_COUNT says how many proxies to trust, so a spoofed header cannot reset it.
        """
        try:
            super().pre_authenticate(request, **credentials)
        except forms.ValidationError as exc:
            if exc.code == "too_many_login_attempts":
                raise ImmediateHttpResponse(ratelimit.respond_429(request)) from None
            raise

    def is_reauthentication_required(self, *, app: str, **kwargs: Any) -> bool:
        """A sign-in in the last ACCOUNT_REAUTHENTICATION_TIMEOUT seconds counts as re-authentication (AUTH-08):
        asking for the password again straight after it was typed adds friction and no assurance."""
        request = context.request
        login_at = request.session.get(LOGIN_AT_KEY) if request is not None and hasattr(request, "session") else None
        if login_at is not None and time.time() - login_at < settings.ACCOUNT_REAUTHENTICATION_TIMEOUT:
            return False
        return super().is_reauthentication_required(app=app, **kwargs)

    def get_from_email(self) -> str:
        return settings.DEFAULT_FROM_EMAIL

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """Every allauth email (password-reset code, address confirmation, the "no account" and "already
        exists" notes) names the portal and links to it through ``PORTAL_BASE_URL`` only.

        allauth builds its links (``*_url``) and ``current_site`` from the request's Host header; a forged Host
        that passes ALLOWED_HOSTS (an internal name, a proxy that forwards it) must not put another address in a
        mail that carries a credential.
        """
        context = {
            key: portal_url(value) if key.endswith("_url") and isinstance(value, str) else value
            for key, value in context.items()
        }
        context["current_site"] = PortalSite(name=SITE_NAME, domain=urlsplit(settings.PORTAL_BASE_URL).netloc)
        super().send_mail(template_prefix, email, context)
