"""Ending consent: revoked in writing (§ 2.31(a)(6)) or ended by an event. Each is atomic, audited and sends
``consent_ended``."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.dispatch import Signal
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
    return _record_named_event(
        consent=consent,
        actor=actor,
        note=note,
        at=at,
        request=request,
        names_it="expiry_event",
        stamp="ended_by_event_at",
        kind=ConsentEvent.Kind.ENDED_BY_EVENT,
        refusal=_("This consent has no ending event."),
        audit_kind=AuditEvent.Kind.CONSENT_ENDED,
        audit_data={},
        signal=consent_ended,
    )


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
    return _record_named_event(
        consent=consent,
        actor=actor,
        note=note,
        at=at,
        request=request,
        names_it="revocable_after_event",
        stamp="revocable_event_at",
        kind=ConsentEvent.Kind.REVOCABLE,
        refusal=_("This consent names no event before which it cannot be stopped."),
        audit_kind=AuditEvent.Kind.OTHER,
        audit_data={"event": "revocable_event_recorded"},
        signal=consent_revocable,
    )


def _record_named_event(
    *,
    consent: Consent,
    actor: User,
    note: str,
    at: datetime | None,
    request: HttpRequest | None,
    names_it: str,
    stamp: str,
    kind: str,
    refusal: str,
    audit_kind: str,
    audit_data: dict[str, str],
    signal: Signal,
) -> Consent:
    """The one way staff record an event a consent names (the field ``names_it``): refused when it names none,
    recorded once (``stamp``; a repeat changes nothing), with a ``ConsentEvent``, an audit row and ``signal``, all in
    the caller's transaction with the consent row locked."""
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    if not getattr(consent, names_it):
        raise ValidationError(refusal)
    if getattr(consent, stamp) is not None:
        return consent
    at = at or timezone.now()
    setattr(consent, stamp, at)
    consent.save(update_fields=[stamp])
    ConsentEvent.objects.create(consent=consent, kind=kind, actor=actor, at=at, note=note)
    record_audit(
        kind=audit_kind,
        actor=actor,
        patient=consent.patient,
        request=request,
        data={**audit_data, "consent": str(consent.pk)},
    )
    signal.send(sender=Consent, consent=consent)
    return consent
