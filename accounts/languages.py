"""Each person's language: a signed-in person's ``preferred_language``; before sign-in, the language cookie, then the
browser's ``Accept-Language`` (``LocaleMiddleware``). The header's switcher posts to ``set_language``."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

Handler = Callable[[HttpRequest], HttpResponse]


def supported_language(code: object) -> str | None:
    """``code`` if it is one of ``LANGUAGES``, else ``None``."""
    return code if isinstance(code, str) and code in dict(settings.LANGUAGES) else None


def remember_language_cookie(response: HttpResponse, language: str) -> None:
    """The language cookie keeps a choice across sign-out and for the pages shown before sign-in."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,  # type: ignore[arg-type]
    )


class PreferredLanguageMiddleware:
    """A signed-in person reads the portal in their ``preferred_language``, whatever browser they use.

    Runs after ``AuthenticationMiddleware`` (``LocaleMiddleware`` has already chosen from the cookie or
    ``Accept-Language``, and goes on to set ``Content-Language`` from what is active here). The cookie is brought
    in line so the sign-in page after a sign-out stays in the same language. Every response varies on
    ``Cookie`` as well as ``Accept-Language``: the language comes from the session or the language cookie.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = None
        if request.user.is_authenticated:
            language = supported_language(getattr(request.user, "preferred_language", None))
            if language:
                translation.activate(language)
                request.LANGUAGE_CODE = language
        response = self.get_response(request)
        if language and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != language:
            remember_language_cookie(response, language)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response


class LanguageChoiceForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)


MAX_NEXT_LENGTH = 2000


def _safe_next(request: HttpRequest, target: str) -> str:
    """``target`` if it is an address on this site, else home."""
    if not target or len(target) > MAX_NEXT_LENGTH:
        return "/"
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed else "/"


@login_not_required
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The header's language switcher: sets the language cookie and, for a signed-in person, saves their
    ``preferred_language``; then back to ``next``, else to the page it came from (the Referer; the header's form
    sends no ``next``, so an address holding a secret is never copied into the page), same site only, else home.
    An unknown language is a 400 page."""
    form = LanguageChoiceForm(request.POST)
    if not form.is_valid():
        return render(request, "accounts/language_refused.html", status=400)
    language = form.cleaned_data["language"]
    user = request.user
    if user.is_authenticated and getattr(user, "preferred_language", language) != language:
        user.preferred_language = language  # type: ignore[union-attr]
        user.save(update_fields=["preferred_language"])  # type: ignore[union-attr]
    translation.activate(language)
    back = request.POST.get("next") or request.headers.get("Referer", "")
    response = HttpResponseRedirect(_safe_next(request, back))
    remember_language_cookie(response, language)
    return response
