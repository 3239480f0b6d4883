"""Family pages: "What you can see and why" — each consent naming the viewer, in plain words, with its copy."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from consent.gate import effective_consents_for
from consent.models import PersonalRepresentative
from consent.plain import NEVER_SHARED, summary_for_family
from consent.views.common import visible_or_404
from consent.welcome import pop_welcome


def what_you_can_see(request: HttpRequest) -> HttpResponse:
    """Every consent naming the viewer that is effective right now; a learner sees the same empty page as anyone
    with no sharing, so the page never hints that a particular patient exists (§ 2.13(c))."""
    consents = list(effective_consents_for(request.user).select_related("program").order_by("-signed_at"))
    represented = list(
        PersonalRepresentative.objects.effective()
        .filter(representative_id=request.user.pk, patient__is_active=True)
        .select_related("patient")
    )
    context = {
        "welcome": pop_welcome(request),
        "items": [(consent, summary_for_family(consent)) for consent in consents],
        "represented": represented,
        "never_shared": NEVER_SHARED,
    }
    return render(request, "consent/what_you_can_see.html", context)


def what_you_can_see_detail(request: HttpRequest, consent_id: str) -> HttpResponse:
    """The copy of one consent and its scope summary (§ 2.32); 404 the moment it stops being effective."""
    consent = visible_or_404(
        request, effective_consents_for(request.user).select_related("program", "form_version"), consent_id
    )
    signed, yours = consent.form_text(), consent.form_version.text_in()
    context = {
        "consent": consent,
        "summary": summary_for_family(consent),
        "never_shared": NEVER_SHARED,
        "form_text": signed,  # the text as signed, in the language the signer read
        "form_text_for_you": yours if yours.language != signed.language and not yours.is_fallback else None,
    }
    return render(request, "consent/what_you_can_see_detail.html", context)
