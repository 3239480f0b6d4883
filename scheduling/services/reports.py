"""Releasing an attendance record outside the program: only under an effective consent with the ``attendance`` scope,
recorded in the disclosure ledger (42 CFR § 2.25).
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts.models import User
from consent.audit import record_audit
from consent.gate import release_consents
from consent.ledger import record_disclosure
from consent.models import AuditEvent, Consent, Disclosure, Scope
from scheduling.services.booking import check_staff


@transaction.atomic
def release_attendance_report(
    *,
    actor: User,
    patient: User,
    consent: Consent,
    start: date,
    end: date,
    request: HttpRequest | None = None,
) -> Consent:
    """Release an attendance record outside the program: only under an effective consent with the
    ``attendance`` scope naming the recipient, recorded in the disclosure ledger (channel export, § 2.25)."""
    check_staff(actor, patient)
    allowed = {c.pk: c for c in release_consents(patient, Scope.ATTENDANCE)}
    relied_on = allowed.get(consent.pk)
    if relied_on is None:
        raise ValidationError(_("This consent does not allow releasing attendance (it may have ended)."))
    record_disclosure(
        consent=relied_on,
        scope=Scope.ATTENDANCE,
        channel=Disclosure.Channel.EXPORT,
        what=f"Family session attendance record {start:%Y-%m-%d} to {end:%Y-%m-%d}",
    )
    record_audit(
        kind=AuditEvent.Kind.OTHER,
        actor=actor,
        patient=patient,
        request=request,
        data={"event": "attendance_released", "consent": str(relied_on.pk)},
    )
    return relied_on
