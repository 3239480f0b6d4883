"""Criminal-justice consents (42 CFR § 2.35): a patient mandated into treatment lets the program tell a court, a
probation or parole officer, or a drug court about their attendance.

Such a consent names no portal account (a check constraint), covers the ``attendance`` scope only (the minimum the
recipient's official duties need; a progress summary is written for family and reviewed by the patient, so it is
not offered), states the referral (who referred, in which proceeding), how long it stays in force (its end date)
and when it may be revoked: at any time, or only from a date or after an event staff record (§ 2.35(c)). The
recipient may use it only as § 2.35(d) says (``USE_RESTRICTION``), printed on every copy and disclosure."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from consent.models.consents import Consent

CRIMINAL_JUSTICE_KINDS = ("court", "probation", "drug_court")  # values of ``Consent.RecipientKind``
ALLOWED_SCOPES = ["attendance"]

USE_RESTRICTION = _(
    "The recipient may use and disclose this information only to carry out official duties with regard to the "
    "patient's conditional release or other action in connection with the proceeding under which the patient "
    "was mandated into treatment (42 CFR § 2.35(d))."
)


def criminal_justice_errors(consent: Consent) -> dict[str, str]:
    """The § 2.35 elements a consent to a court or probation lacks (field name → message): no portal account,
    attendance only, the referral, at most one revocation term, before the end date."""
    errors: dict[str, str] = {}
    if consent.recipient_id or consent.recipient_email:
        errors["recipient"] = gettext("A court or probation recipient never gets a portal account.")
    if consent.scopes != ALLOWED_SCOPES:
        errors["scope_education"] = gettext("A court or probation recipient may receive attendance only.")
    if not consent.referral_source.strip():
        errors["referral_source"] = gettext("Say who referred you to treatment.")
    if not consent.referral_proceeding.strip():
        errors["referral_proceeding"] = gettext("Name the case or proceeding that requires treatment.")
    if consent.revocable_after and consent.revocable_after_event:
        errors["revocable_after"] = gettext("Choose either a date or an event, not both.")
    if consent.revocable_after and consent.expires_at and consent.revocable_after >= consent.expires_at:
        errors["revocable_after"] = gettext("The date you may stop it must be before it ends.")
    return errors
