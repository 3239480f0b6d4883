"""Template filters for plain-language scope wording (``{% load consent_words %}``)."""

from __future__ import annotations

from django import template

from consent.models import Consent
from consent.plain import SCOPE_FOR_FAMILY, SCOPE_FOR_PATIENT

register = template.Library()


@register.filter
def patient_scopes(consent: Consent) -> list[str]:
    """What the consent shares, in the patient's words."""
    return [SCOPE_FOR_PATIENT[code] for code in consent.scopes]


@register.filter
def family_scopes(consent: Consent) -> list[str]:
    """What the consent shares, in the family member's words."""
    return [SCOPE_FOR_FAMILY[code] for code in consent.scopes]
