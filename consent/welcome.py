"""The first visit after an invitation is accepted: greet the family member with who shared what, once."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from consent.gate import effective_consents_for
from consent.models import Consent
from consent.plain import ScopeSummary, summary_for_family

WELCOME_KEY = "consent_welcome"


def remember_welcome(request: HttpRequest, consent: Consent) -> None:
    """Greet the family member on their next page with this consent (the one their invitation linked)."""
    request.session[WELCOME_KEY] = str(consent.pk)


def pop_welcome(request: HttpRequest) -> tuple[Consent, ScopeSummary] | None:
    """The consent to greet with, once, while it is still effective (asked of the gate), and what it covers."""
    pk: Any = request.session.pop(WELCOME_KEY, None) if hasattr(request, "session") else None
    if not pk:
        return None
    consent = effective_consents_for(request.user).select_related("program").filter(pk=pk).first()
    return (consent, summary_for_family(consent)) if consent is not None else None
