"""Session lifetime, staff MFA enforcement and private caching for every authenticated response."""

from __future__ import annotations

import time
from collections.abc import Callable

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date
from django.utils.translation import gettext as _

from family_portal.prepared import Prepared

Handler = Callable[[HttpRequest], HttpResponse]

LOGIN_AT_KEY = "portal_login_at"
SEEN_AT_KEY = "portal_seen_at"
# Fetched by the browser on its own (service worker updates, the manifest), never a sign of a person at the screen:
# they neither count as activity nor end a session (family_portal/pwa.py; public, neutral answers).
BACKGROUND_PATHS = frozenset({"/sw.js", "/manifest.webmanifest", "/offline/"})


class SessionLifetimeMiddleware:
    """Automatic logoff (AUTH-10, HIPAA 164.312(a)(2)(iii)): an idle timeout and an absolute cap.

    The database session also expires after the idle period, but the explicit timestamps make the rule
    visible, testable with a frozen clock, and independent of the session backend. Activity is stamped at most
    once per ``PORTAL_SEEN_RESOLUTION_S`` so most requests save no session; ``request.portal_idle_left_s`` tells
    the page's idle warning how long is really left.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and request.path not in BACKGROUND_PATHS:
            now = timezone.now().timestamp()
            login_at = request.session.setdefault(LOGIN_AT_KEY, now)
            seen_at = request.session.get(SEEN_AT_KEY, now)
            idle = now - seen_at > settings.PORTAL_IDLE_TIMEOUT_S
            expired = now - login_at > settings.PORTAL_ABSOLUTE_SESSION_S
            if idle or expired:
                logout(request)
                messages.info(request, _("You were signed out to protect your privacy. Please sign in again."))
                return HttpResponseRedirect(f"{resolve_url(settings.LOGIN_URL)}?next={request.path}")
            if now - seen_at >= settings.PORTAL_SEEN_RESOLUTION_S:
                request.session[SEEN_AT_KEY] = seen_at = now
            # Never negative: a session idle for longer than the timeout was signed out above.
            request.portal_idle_left_s = int(settings.PORTAL_IDLE_TIMEOUT_S - (now - seen_at))  # type: ignore[attr-defined]
        return self.get_response(request)


def stamp_activity(request: HttpRequest) -> None:
    """Record activity now, whatever the resolution: the idle warning's "Stay signed in" gives a full period."""
    request.session[SEEN_AT_KEY] = timezone.now().timestamp()
    request.portal_idle_left_s = settings.PORTAL_IDLE_TIMEOUT_S  # type: ignore[attr-defined]


SECOND_STEPS = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


def _second_steps_of(user_id: int) -> QuerySet[Authenticator]:
    """The query ``Authenticator.objects.filter(user=…, type__in=SECOND_STEPS).exists()`` runs."""
    return Authenticator.objects.filter(user_id=user_id, type__in=SECOND_STEPS).values_list("pk", flat=True)[:1]


# Every staff request asks it (RequireStaffMFAMiddleware): its SQL is compiled once per process (issue #17).
_PREPARED_SECOND_STEP = Prepared(_second_steps_of, user_id=int)


def has_mfa_authenticator(user: object) -> bool:
    """An authenticator app or a passkey / security key: either is a second step (recovery codes alone are not).
    Always asked of the database (an authenticator removed in another session counts at once)."""
    user_id = getattr(user, "pk", None)
    if type(user_id) is not int:
        return Authenticator.objects.filter(user=user, type__in=SECOND_STEPS).exists()
    return bool(_PREPARED_SECOND_STEP.rows(user_id=user_id))


def session_passed_mfa(request: HttpRequest) -> bool:
    records = get_authentication_records(request, request.user)  # type: ignore[arg-type]
    return any(record.get("method") == "mfa" for record in records)


class RequireStaffMFAMiddleware:
    """Counselors and program admins must use MFA (AUTH-05); allauth offers MFA but cannot enforce it.

    Until enrolled (an authenticator app or a passkey / security key), staff reach only MFA setup, logout and
    static files. Enrolled staff whose session never passed the MFA stage (a password-only or code-only login)
    are signed out and sent back through it; a passkey sign-in counts as passing it (allauth records it as "mfa").
    """

    # The JavaScript catalogue and the language switcher serve the MFA set-up pages too.
    ALLOWED_PREFIXES = (
        "/accounts/2fa/",
        "/accounts/logout/",
        "/accounts/reauthenticate/",
        "/static/",
        "/jsi18n/",
        "/language/",
        *BACKGROUND_PATHS,  # the installable portal's public, neutral files: every page registers the worker
    )

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and user.is_care_staff and not self._allowed(request):
            if not has_mfa_authenticator(user):
                return HttpResponseRedirect(reverse("mfa_activate_totp"))
            if not session_passed_mfa(request):
                logout(request)
                messages.info(request, _("Please sign in again and enter the code from your authenticator app."))
                return HttpResponseRedirect(resolve_url(settings.LOGIN_URL))
        return self.get_response(request)

    def _allowed(self, request: HttpRequest) -> bool:
        return request.path.startswith(self.ALLOWED_PREFIXES) or request.path == reverse("healthz")


class PrivateCacheControlMiddleware:
    """Authenticated pages may hold patient data: never store them in any cache (DEP-03).

    What ``add_never_cache_headers`` gives (``Expires`` now, unless set), its ``Cache-Control`` replaced by
    ``PRIVATE_NO_STORE``: the header written once rather than merged twice and then overwritten (issue #17)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.user.is_authenticated:
            if not response.has_header("Expires"):
                response.headers["Expires"] = http_date(time.time())
            response.headers["Cache-Control"] = PRIVATE_NO_STORE
            patch_vary_headers(response, ["Cookie"])
        return response


PRIVATE_NO_STORE = "no-store, no-cache, must-revalidate, private, max-age=0"
