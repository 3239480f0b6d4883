"""42 CFR Part 2 consents, their events, invitations, the disclosure ledger and the audit log.

One module per topic: ``consents`` (scopes, form versions, consents and their events), ``invitations``,
``representatives`` (personal representatives and break-glass access) and ``records`` (disclosure ledger, audit
log). Every model is imported here, so the app label and ``consent.models.X`` imports are unchanged.
"""

from consent.models.consents import SCOPE_FIELDS, Consent, ConsentEvent, ConsentFormVersion, ConsentQuerySet, Scope
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
    "INVITATIONS_PER_HOUR",
    "SCOPE_FIELDS",
    "AuditEvent",
    "BreakGlassAccess",
    "BreakGlassAccessQuerySet",
    "Consent",
    "ConsentEvent",
    "ConsentFormVersion",
    "ConsentQuerySet",
    "Disclosure",
    "DisclosureQuerySet",
    "Invitation",
    "InvitationQuerySet",
    "PersonalRepresentative",
    "PersonalRepresentativeQuerySet",
    "Scope",
]
