"""The invitation link a family member receives, and the "send invitation" action."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from accounts.languages import remember_language_cookie, supported_language
from consent.gate import managed_consents
from consent.invitations import (
    InvitationUnusable,
    InvitationWrongAccount,
    remember_invitation,
    send_invitation,
    usable_invitation,
)
from consent.invitations import (
    accept_invitation as accept,
)
from consent.views.common import safe_next, visible_or_404
from consent.welcome import remember_welcome


@login_not_required
@never_cache
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Opened from the emailed link. A bad, used or expired token gets one neutral page; a good one is kept in the
    session and the visitor signs up (email pre-filled) or signs in; signing in links the account."""
    invitation = usable_invitation(token)
    if invitation is None:
        return render(request, "consent/invitation_unusable.html")
    context = {"program": invitation.consent.program}
    if not request.user.is_authenticated:
        remember_invitation(request, invitation, token)
        return _landing_in_invitation_language(request, invitation.language, context)
    if request.method != "POST":
        return render(request, "consent/invitation_accept.html", context)
    try:
        consent = accept(token=token, user=request.user, request=request)  # type: ignore[arg-type]
    except InvitationWrongAccount:
        return render(request, "consent/invitation_wrong_account.html")
    except InvitationUnusable:
        return render(request, "consent/invitation_unusable.html")
    remember_welcome(request, consent)  # greeted once on the next page: who shared what
    return redirect("consent:what_you_can_see")


def invite(request: HttpRequest, consent_id: str) -> HttpResponse:
    """Send (or resend) the invitation for a consent: its giver or the patient's care team; rate limited."""
    consent = visible_or_404(request, managed_consents(request.user), consent_id)
    back = safe_next(request, reverse("consent:consent_detail", args=[consent.pk]))
    if request.method != "POST":
        return redirect(back)
    language = request.POST.get("language")
    if language is not None and not supported_language(language):
        return render(request, "accounts/language_refused.html", status=400)
    try:
        send_invitation(consent=consent, actor=request.user, request=request, language=language)  # type: ignore[arg-type]
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("We emailed %(name)s an invitation.") % {"name": consent.recipient_name})
    return redirect(back)


def _landing_in_invitation_language(request: HttpRequest, language: str, context: dict[str, Any]) -> HttpResponse:
    """The landing page, and the sign-up after it, in the language the sender chose, unless this browser already
    chose one in the header (the language cookie)."""
    if settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
        return render(request, "consent/invitation_landing.html", context)
    translation.activate(language)
    request.LANGUAGE_CODE = language
    response = render(request, "consent/invitation_landing.html", context)
    remember_language_cookie(response, language)
    return response
