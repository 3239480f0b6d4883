"""Access beside a consent: emergency break-glass access (AZ-06) and personal representatives (§ 2.15).
Each is atomic and audited."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from consent.audit import record_audit
from consent.minors import minor_decides_alone
from consent.models import BREAK_GLASS_DURATION, AuditEvent, BreakGlassAccess, PersonalRepresentative


@transaction.atomic
def start_break_glass(
    *, counselor: User, patient: User, reason: str, request: HttpRequest | None = None
) -> BreakGlassAccess:
    """Emergency access to a patient outside the counselor's caseload (AZ-06, 164.312(a)(2)(ii)).

    A reason is required; access lasts one hour; it is audited and the program admins are emailed (without the
    patient's name) once the access is committed."""
    if not (counselor.is_active and counselor.is_counselor):
        raise PermissionDenied(_("Only counselors use emergency access."))
    if not (patient.is_active and patient.is_patient and patient.program_id == counselor.program_id):
        raise ValidationError({"patient": _("Choose a patient in your program.")})
    reason = " ".join(reason.split())
    if len(reason) < 10:
        raise ValidationError({"reason": _("Say why you need emergency access, in a short sentence.")})
    now = timezone.now()
    access = BreakGlassAccess(
        counselor=counselor, patient=patient, reason=reason, started_at=now, expires_at=now + BREAK_GLASS_DURATION
    )
    access.full_clean()
    access.save()
    event = record_audit(
        kind=AuditEvent.Kind.BREAK_GLASS,
        actor=counselor,
        patient=patient,
        request=request,
        data={"access": access.pk, "expires_at": access.expires_at.isoformat()},
    )
    supervisors: dict[str, list[str]] = {}
    admins = User.objects.filter(role=User.Role.PROGRAM_ADMIN, program=counselor.program, is_active=True)
    for email, language in admins.exclude(email="").values_list("email", "preferred_language"):
        supervisors.setdefault(language, []).append(email)
    context = {"counselor": counselor.display_name, "access": access, "audit_seq": event.seq}
    transaction.on_commit(lambda: _notify_supervisors(supervisors, context), robust=True)
    return access


def _notify_supervisors(recipients_by_language: dict[str, list[str]], context: dict[str, Any]) -> None:
    """One email per language the admins read, each rendered in that language."""
    for language, recipients in sorted(recipients_by_language.items()):
        with translation.override(language):
            send_mail(
                subject=render_to_string("consent/email/break_glass_subject.txt", context).strip(),
                message=render_to_string("consent/email/break_glass_body.txt", context),
                from_email=None,
                recipient_list=recipients,
            )


@transaction.atomic
def record_personal_representative(
    *,
    staff: User,
    patient: User,
    representative: User,
    authority: str,
    document_reference: str,
    limits: str = "",
    expires_at: datetime | None = None,
    request: HttpRequest | None = None,
) -> PersonalRepresentative:
    """Staff record someone who may act as the patient (§ 2.15, HIPAA 164.502(g)) after checking documents.

    Where the state lets a minor consent alone to treatment, a parent is not their representative (§ 2.14)."""
    if not staff.is_care_staff:
        raise PermissionDenied(_("Only care staff record personal representatives."))
    if not (representative.is_active and representative.is_family) or representative.pk == patient.pk:
        raise ValidationError({"representative": _("The representative needs their own family-member account.")})
    if authority == PersonalRepresentative.Authority.GUARDIAN_OF_MINOR and minor_decides_alone(patient):
        raise ValidationError(
            {"authority": _("In this program's state the minor decides alone about sharing these records (§ 2.14).")}
        )
    record = PersonalRepresentative(
        representative=representative,
        patient=patient,
        authority=authority,
        limits=limits.strip(),
        document_reference=document_reference.strip(),
        verified_by=staff,
        expires_at=expires_at,
    )
    record.full_clean()
    record.save()
    record_audit(
        kind=AuditEvent.Kind.REPRESENTATIVE_RECORDED,
        actor=staff,
        patient=patient,
        request=request,
        data={"representative": str(record.pk), "authority": authority, "action": "recorded"},
    )
    return record


@transaction.atomic
def end_personal_representative(
    *, staff: User, record: PersonalRepresentative, request: HttpRequest | None = None
) -> PersonalRepresentative:
    """Staff end a representative's authority at once (documents withdrawn, authority lapsed)."""
    if not staff.is_care_staff:
        raise PermissionDenied(_("Only care staff end a personal representative's authority."))
    record = PersonalRepresentative.objects.select_for_update().get(pk=record.pk)
    if record.ended_at is None:
        record.ended_at = timezone.now()
        record.save(update_fields=["ended_at"])
        record_audit(
            kind=AuditEvent.Kind.REPRESENTATIVE_RECORDED,
            actor=staff,
            patient=record.patient,
            request=request,
            data={"representative": str(record.pk), "action": "ended"},
        )
    return record
