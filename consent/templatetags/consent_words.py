"""Template filters for plain-language scope wording (``{% load consent_words %}``)."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language, get_language_info

from consent.ledger import friendly_what as ledger_friendly_what
from consent.models import Consent
from consent.plain import ATTENDANCE_FOR_COURT, SCOPE_FOR_FAMILY, SCOPE_FOR_PATIENT
from consent.plain import event_label as plain_event_label
from consent.plain import event_note as plain_event_note
from consent.plain import revocation_terms as plain_revocation_terms

register = template.Library()


@register.filter
def patient_scopes(consent: Consent) -> list[str]:
    """What the consent shares, in the patient's words (a court or probation consent: their own attendance)."""
    if consent.is_criminal_justice:
        return [str(ATTENDANCE_FOR_COURT)]
    return [str(SCOPE_FOR_PATIENT[code]) for code in consent.scopes]


@register.filter
def family_scopes(consent: Consent) -> list[str]:
    """What the consent shares, in the family member's words."""
    return [str(SCOPE_FOR_FAMILY[code]) for code in consent.scopes]


@register.filter
def event_label(event: str) -> str:
    """An ending event the portal writes ("Discharge from the program") in the reader's language."""
    return plain_event_label(event)


@register.filter
def friendly_what(what: str) -> str:
    """A stored disclosure description in plain words, in the reader's language (``consent.ledger.friendly_what``)."""
    return ledger_friendly_what(what)


@register.filter
def language_name(code: str) -> str:
    """A language's name in the reader's language, as written mid-sentence ("es": "Spanish"; in Spanish, "español":
    Spanish, like most languages other than English, does not capitalise language names)."""
    try:
        name = str(get_language_info(code)["name_translated"])
    except KeyError:
        return code
    return name if get_language() == "en" else name[:1].lower() + name[1:]


@register.filter
def event_note(note: str) -> str:
    """A consent event's note ("approved", "Replaced by …") in the reader's language; typed notes as written."""
    return plain_event_note(note)


@register.filter
def revocation_terms(consent: Consent) -> str:
    """When the patient may stop a consent (§ 2.35(c) for a court or probation consent), in the reader's words."""
    return plain_revocation_terms(consent.revocable_after, consent.revocable_after_event, consent.program.tz)
