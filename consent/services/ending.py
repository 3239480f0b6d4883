"""Ending consent: revoked in writing (§ 2.31(a)(6)) or ended by an event. Each is atomic, audited and sends
``consent_ended``."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from consent.audit import record_audit
from consent.models import AuditEvent, Consent, ConsentEvent
from consent.plain import not_yet_revocable
from consent.signals import consent_ended, consent_revocable


@transaction.atomic
def revoke_consent(
    *,
    consent: Consent,
    actor: User,
    method: str = Consent.Method.PORTAL,
    document_reference: str = "",
    at: datetime | None = None,
    request: HttpRequest | None = None,
) -> Consent:
    """Revoke in writing, effective at once (§ 2.31(a)(6)): the gate checks time, open sockets close on commit.

    Revocation is an event; the consent row keeps every element and only gains ``revoked_at``. A § 2.35(c)
    consent before its stated date or event is refused (``ValidationError``), and nothing is written.
    """
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    if consent.revoked_at is not None:
        return consent
    if method == Consent.Method.PAPER and not document_reference.strip():
        raise ValidationError({"document_reference": _("Give the reference of the written revocation.")})
    at = at or timezone.now()
    if not consent.may_be_revoked(at):  # § 2.35(c): the patient agreed it stays in force until then
        raise ValidationError(not_yet_revocable(consent), code="not_yet_revocable")
    consent.revoked_at = at
    consent.save(update_fields=["revoked_at"])
    ConsentEvent.objects.create(
        consent=consent,
        kind=ConsentEvent.Kind.REVOKED,
        actor=actor,
        at=at,
        method=method,
        document_reference=document_reference,
    )
    record_audit(
        kind=AuditEvent.Kind.CONSENT_REVOKED,
        actor=actor,
        patient=consent.patient,
        request=request,
        data={"consent": str(consent.pk), "method": method},
    )
    consent_ended.send(sender=Consent, consent=consent)
    return consent


@transaction.atomic
def end_consent_by_event(
    *,
    consent: Consent,
    actor: User,
    note: str,
    at: datetime | None = None,
    request: HttpRequest | None = None,
) -> Consent:
    """Staff record the consent's ending event (e.g. discharge); it ends at that instant."""
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    if not consent.expiry_event:
        raise ValidationError(_("This consent has no ending event."))
    if consent.ended_by_event_at is not None:
        return consent
    at = at or timezone.now()
    consent.ended_by_event_at = at
    consent.save(update_fields=["ended_by_event_at"])
    ConsentEvent.objects.create(consent=consent, kind=ConsentEvent.Kind.ENDED_BY_EVENT, actor=actor, at=at, note=note)
    record_audit(
        kind=AuditEvent.Kind.CONSENT_ENDED,
        actor=actor,
        patient=consent.patient,
        request=request,
        data={"consent": str(consent.pk)},
    )
    consent_ended.send(sender=Consent, consent=consent)
    return consent


@transaction.atomic
def record_revocable_event(
    *,
    consent: Consent,
    actor: User,
    note: str,
    at: datetime | None = None,
    request: HttpRequest | None = None,
) -> Consent:
    """Staff record the event after which a § 2.35(c) consent may be revoked (e.g. the end of the proceeding that
    mandated treatment): from then on the patient may revoke as usual. The consent itself stays in force."""
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    if not consent.revocable_after_event:
        raise ValidationError(_("This consent names no event before which it cannot be stopped."))
    if consent.revocable_event_at is not None:
        return consent
    at = at or timezone.now()
    consent.revocable_event_at = at
    consent.save(update_fields=["revocable_event_at"])
    ConsentEvent.objects.create(consent=consent, kind=ConsentEvent.Kind.REVOCABLE, actor=actor, at=at, note=note)
    record_audit(
        kind=AuditEvent.Kind.OTHER,
        actor=actor,
        patient=consent.patient,
        request=request,
        data={"event": "revocable_event_recorded", "consent": str(consent.pk)},
    )
    consent_revocable.send(sender=Consent, consent=consent)
    return consent
