"""42 CFR Part 2 consents, their events, invitations, the disclosure ledger and the audit log.

One module per topic: ``form_versions`` (the consent form text and its translations), ``consents`` (scopes,
consents and their events), ``invitations``, ``representatives`` (personal representatives and break-glass access)
and ``records`` (disclosure ledger, audit log). Every model is imported here, so the app label and
``consent.models.X`` imports are unchanged.
"""

from consent.models.consents import SCOPE_FIELDS, Consent, ConsentEvent, ConsentQuerySet, Scope
from consent.models.criminal_justice import CRIMINAL_JUSTICE_KINDS, USE_RESTRICTION
from consent.models.form_versions import (
    ORIGINAL_LANGUAGE,
    ConsentFormTranslation,
    ConsentFormVersion,
    FormText,
    language_code,
)
from consent.models.invitations import INVITATIONS_PER_HOUR, Invitation, InvitationQuerySet
from consent.models.records import ACCOUNTING_WINDOW, AuditEvent, Disclosure, DisclosureQuerySet
from consent.models.representatives import (
    BREAK_GLASS_DURATION,
    BreakGlassAccess,
    BreakGlassAccessQuerySet,
    PersonalRepresentative,
    PersonalRepresentativeQuerySet,
)

__all__ = [
    "ACCOUNTING_WINDOW",
    "BREAK_GLASS_DURATION",
    "CRIMINAL_JUSTICE_KINDS",
    "INVITATIONS_PER_HOUR",
    "ORIGINAL_LANGUAGE",
    "SCOPE_FIELDS",
    "USE_RESTRICTION",
    "AuditEvent",
    "BreakGlassAccess",
    "BreakGlassAccessQuerySet",
    "Consent",
    "ConsentEvent",
    "ConsentFormTranslation",
    "ConsentFormVersion",
    "ConsentQuerySet",
    "Disclosure",
    "DisclosureQuerySet",
    "FormText",
    "Invitation",
    "InvitationQuerySet",
    "PersonalRepresentative",
    "PersonalRepresentativeQuerySet",
    "Scope",
    "language_code",
]
