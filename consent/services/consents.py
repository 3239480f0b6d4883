"""Giving consent: sign in the portal, replace, record on paper and review it (§ 2.31). Each is atomic and
audited."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.names import name_key
from consent.audit import record_audit
from consent.models import (
    ORIGINAL_LANGUAGE,
    SCOPE_FIELDS,
    AuditEvent,
    Consent,
    ConsentEvent,
    ConsentFormVersion,
    Scope,
)
from consent.signals import consent_ended, consent_granted, consent_replaced


@transaction.atomic
def grant_consent(
    *,
    patient: User,
    recipient_name: str,
    scopes: list[str],
    expires_at: datetime,
    signature: str,
    purpose: str = Consent.Purpose.FAMILY_INVOLVEMENT,
    purpose_detail: str = "",
    recipient: User | None = None,
    recipient_email: str = "",
    recipient_relationship: str = "",
    recipient_kind: str = Consent.RecipientKind.FAMILY,
    recipient_organisation: str = "",
    expiry_event: str = "",
    referral_source: str = "",
    referral_proceeding: str = "",
    revocable_after: datetime | None = None,
    revocable_after_event: str = "",
    signer_role: str = Consent.SignerRole.PATIENT,
    guardian_signature: str = "",
    signed_by: User | None = None,
    form_language: str = ORIGINAL_LANGUAGE,
    request: HttpRequest | None = None,
) -> Consent:
    """The patient (or their representative) signs a consent in the portal with a typed e-signature.

    The caller must have re-authenticated (AUTH-08); ``full_clean`` rejects a deficient consent (AZ-01). When the
    signing account is named (``signed_by``), the typed signature must be its holder's full name as recorded.
    ``form_language`` is the language of the form text the signer was shown; the current version must exist in it.
    A criminal-justice consent (§ 2.35) also names the referral and may limit revocation (``revocable_after`` or
    ``revocable_after_event``); ``full_clean`` checks its elements (``consent.models.criminal_justice``).
    """
    if patient.program is None:
        raise ValidationError(_("The patient is not enrolled in a program."))
    if signed_by is not None:
        check_signature(signature, signed_by)
    consent = _build(
        patient=patient,
        recipient=recipient,
        recipient_name=recipient_name,
        recipient_email=recipient_email,
        recipient_relationship=recipient_relationship,
        recipient_kind=recipient_kind,
        recipient_organisation=recipient_organisation,
        scopes=scopes,
        purpose=purpose,
        purpose_detail=purpose_detail,
        expires_at=expires_at,
        expiry_event=expiry_event,
        referral_source=referral_source,
        referral_proceeding=referral_proceeding,
        revocable_after=revocable_after,
        revocable_after_event=revocable_after_event,
        signature=signature,
        signer_role=signer_role,
        guardian_signature=guardian_signature,
        form_language=form_language,
    )
    actor = signed_by or patient
    consent.method = Consent.Method.PORTAL
    consent.review_status = Consent.ReviewStatus.APPROVED
    consent.approved_at = consent.signed_at
    consent.signed_by = actor
    consent.full_clean()
    consent.save()
    ConsentEvent.objects.create(consent=consent, kind=ConsentEvent.Kind.GRANTED, actor=actor, at=consent.signed_at)
    record_audit(
        kind=AuditEvent.Kind.CONSENT_GRANTED,
        actor=actor,
        patient=patient,
        request=request,
        data={
            "consent": str(consent.pk),
            "scopes": consent.scopes,
            "form": consent.form_version.version,
            "form_language": consent.form_language,
        },
    )
    consent_granted.send(sender=Consent, consent=consent)
    return consent


def check_signature(signature: str, signer: User) -> None:
    """A typed e-signature must be the signer's full name as the program recorded it ("Sam" does not sign for
    "Sam Okafor"); case, spacing and look-alike forms (NFKC) do not matter."""
    if not signer.full_name.strip():
        raise ValidationError(
            {"signature": _("Your full name is not on record yet: add it on your account page first.")}
        )
    if name_key(signature) != name_key(signer.full_name):
        message = _("Type your full name exactly as it is on record: %(name)s.") % {"name": signer.full_name}
        raise ValidationError({"signature": message})


@transaction.atomic
def replace_consent(
    *,
    consent: Consent,
    scopes: list[str],
    expires_at: datetime,
    signature: str,
    signed_by: User,
    purpose: str | None = None,
    purpose_detail: str | None = None,
    expiry_event: str | None = None,
    signer_role: str = Consent.SignerRole.PATIENT,
    guardian_signature: str = "",
    form_language: str = ORIGINAL_LANGUAGE,
    request: HttpRequest | None = None,
) -> Consent:
    """Change what a recipient may see, or until when, in one step: the patient signs a replacement consent (Part 2
    needs a new signed consent, § 2.31) naming the same recipient, and the old one ends at the instant the new one
    is signed, so access to what both cover never lapses. The recipient's account stays linked (no invitation);
    an outstanding invitation moves to the new consent. Sockets stay open while the new consent still covers
    messaging; otherwise they close as on a revocation."""
    old = (
        Consent.objects.select_for_update(of=("self",))
        .select_related("patient__program", "recipient")
        .get(pk=consent.pk)
    )
    if not old.is_effective():
        raise ValidationError(_("This consent has already ended. Set up sharing again instead."))
    if old.is_criminal_justice:  # replacing it would end it, which § 2.35(c) may forbid for now
        raise ValidationError(_("A consent for a court or probation cannot be changed. Ask your counselor."))
    new = grant_consent(
        patient=old.patient,
        recipient=old.recipient,
        recipient_name=old.recipient_name,
        recipient_email=old.recipient_email,
        recipient_relationship=old.recipient_relationship,
        recipient_kind=old.recipient_kind,
        recipient_organisation=old.recipient_organisation,
        scopes=scopes,
        expires_at=expires_at,
        purpose=old.purpose if purpose is None else purpose,
        purpose_detail=old.purpose_detail if purpose_detail is None else purpose_detail,
        expiry_event=old.expiry_event if expiry_event is None else expiry_event,
        signature=signature,
        signer_role=signer_role,
        guardian_signature=guardian_signature,
        signed_by=signed_by,
        form_language=form_language,
        request=request,
    )
    old.revoked_at = new.signed_at
    old.replaced_by = new
    old.save(update_fields=["revoked_at", "replaced_by"])
    ConsentEvent.objects.create(
        consent=old, kind=ConsentEvent.Kind.REPLACED, actor=signed_by, at=new.signed_at, note=f"Replaced by {new.pk}"
    )  # the note is a record (the new consent's id), not wording: pages show the event's kind
    old.invitations.filter(accepted_at__isnull=True).update(consent=new)
    record_audit(
        kind=AuditEvent.Kind.CONSENT_REVOKED,
        actor=signed_by,
        patient=old.patient,
        request=request,
        data={"consent": str(old.pk), "replaced_by": str(new.pk), "scopes": new.scopes},
    )
    if old.scope_messaging and not new.scope_messaging:
        consent_ended.send(sender=Consent, consent=old)
    consent_replaced.send(sender=Consent, consent=old, replacement=new)
    return new


@transaction.atomic
def record_paper_consent(
    *,
    staff: User,
    patient: User,
    recipient_name: str,
    scopes: list[str],
    expires_at: datetime,
    signature: str,
    signed_at: datetime,
    paper_form_reference: str,
    attested: bool,
    purpose: str = Consent.Purpose.FAMILY_INVOLVEMENT,
    purpose_detail: str = "",
    recipient_email: str = "",
    recipient_relationship: str = "",
    recipient_kind: str = Consent.RecipientKind.FAMILY,
    recipient_organisation: str = "",
    expiry_event: str = "",
    signer_role: str = Consent.SignerRole.PATIENT,
    guardian_signature: str = "",
    form_language: str = ORIGINAL_LANGUAGE,
    request: HttpRequest | None = None,
) -> Consent:
    """A counselor records a paper consent the patient signed (``form_language``: the printed form's language). It
    stays pending until a second staff member reviews every element (consent-and-privacy § 4)."""
    if not attested:
        raise ValidationError({"attested": _("Confirm that you checked the signed paper form.")})
    if signed_at > timezone.now():
        raise ValidationError({"signed_at": _("The date signed cannot be in the future.")})
    consent = _build(
        patient=patient,
        recipient=None,
        recipient_name=recipient_name,
        recipient_email=recipient_email,
        recipient_relationship=recipient_relationship,
        recipient_kind=recipient_kind,
        recipient_organisation=recipient_organisation,
        scopes=scopes,
        purpose=purpose,
        purpose_detail=purpose_detail,
        expires_at=expires_at,
        expiry_event=expiry_event,
        signature=signature,
        signer_role=signer_role,
        guardian_signature=guardian_signature,
        form_language=form_language,
    )
    consent.signed_at = signed_at
    consent.method = Consent.Method.PAPER
    consent.paper_form_reference = paper_form_reference
    consent.recorded_by = staff
    consent.review_status = Consent.ReviewStatus.PENDING
    consent.full_clean()
    consent.save()
    ConsentEvent.objects.create(
        consent=consent,
        kind=ConsentEvent.Kind.PAPER_RECORDED,
        actor=staff,
        method=Consent.Method.PAPER,
        document_reference=paper_form_reference,
    )
    record_audit(
        kind=AuditEvent.Kind.CONSENT_RECORDED,
        actor=staff,
        patient=patient,
        request=request,
        data={"consent": str(consent.pk), "scopes": consent.scopes},
    )
    return consent


@transaction.atomic
def review_paper_consent(
    *, reviewer: User, consent: Consent, approve: bool, request: HttpRequest | None = None
) -> Consent:
    """A second staff member checks a paper consent's elements; the recorder cannot review their own entry."""
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    if consent.review_status != Consent.ReviewStatus.PENDING:
        raise ValidationError(_("This consent has already been reviewed."))
    if consent.recorded_by_id == reviewer.pk:
        raise PermissionDenied(_("A second person must review a paper consent."))
    if not reviewer.is_care_staff:
        raise PermissionDenied(_("Only care staff review paper consents."))
    consent.review_status = Consent.ReviewStatus.APPROVED if approve else Consent.ReviewStatus.REJECTED
    consent.reviewed_by = reviewer
    consent.approved_at = timezone.now() if approve else None
    consent.save(update_fields=["review_status", "reviewed_by", "approved_at"])
    ConsentEvent.objects.create(
        consent=consent,
        kind=ConsentEvent.Kind.REVIEWED,
        actor=reviewer,
        method=Consent.Method.PAPER,
        note="approved" if approve else "rejected",
    )
    record_audit(
        kind=AuditEvent.Kind.CONSENT_REVIEWED,
        actor=reviewer,
        patient=consent.patient,
        request=request,
        data={"consent": str(consent.pk), "approved": approve},
    )
    if approve:
        consent_granted.send(sender=Consent, consent=consent)
    return consent


def _build(*, patient: User, scopes: list[str], form_language: str, **fields: Any) -> Consent:
    unknown = set(scopes) - set(SCOPE_FIELDS)
    if unknown:
        message = _("Unknown kind of information: %(kinds)s.") % {"kinds": ", ".join(sorted(unknown))}
        raise ValidationError({"scope_education": message})
    program = patient.program
    assert program is not None  # noqa: S101  (checked by callers)
    form_version = ConsentFormVersion.current()
    if not form_version.has_language(form_language):
        raise ValidationError(_("The consent form is not available in that language. Please read the form again."))
    consent = Consent(
        program=program,
        discloser_label=program.legal_name,
        patient=patient,
        form_version=form_version,
        form_language=form_language,
        signed_at=timezone.now(),
        **fields,
    )
    for scope in scopes:
        setattr(consent, SCOPE_FIELDS[Scope(scope)], True)
    return consent
