"""Issuing, withdrawing and verifying attendance letters (42 CFR § 2.35).

Only a counselor or admin on the patient's care team issues or withdraws a letter, and only under a § 2.35 consent
(court, probation or parole, drug court) in force that covers ``attendance`` (``consent.gate.release_consents``).
Issuing is a disclosure to the consent's recipient (ledger row, channel export); each successful view of the public
verification page is another (ledger row, channel web), so the patient's disclosure history shows both (§ 2.25).
"""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from consent.audit import record_audit
from consent.gate import release_consents
from consent.ledger import record_disclosure
from consent.models import CRIMINAL_JUSTICE_KINDS, AuditEvent, Consent, Disclosure, Scope
from notifications.notices import LETTER_ISSUED, send_notice
from scheduling.models import AttendanceLetter
from scheduling.services.booking import check_staff
from scheduling.services.letter_facts import code_hash, gather_facts, new_code, normalise_code


def letter_consents(patient: User, at: datetime | None = None) -> QuerySet[Consent]:
    """The patient's § 2.35 consents in force at ``at`` that cover attendance: whom a letter may be sent to."""
    return release_consents(patient, Scope.ATTENDANCE, at).filter(recipient_kind__in=CRIMINAL_JUSTICE_KINDS)


def period_errors(consent: Consent, start: date, end: date, today: date) -> dict[str, str]:
    """Field → message for a period a letter may not cover: in order, not after today, within the consent's term."""
    tz = consent.program.tz
    errors: dict[str, str] = {}
    if end < start:
        errors["end"] = _("The end date must not be before the start date.")
    elif end > today:
        errors["end"] = _("The end date cannot be after today.")
    if start < consent.signed_at.astimezone(tz).date():
        errors["start"] = _("Choose a start date on or after the day the consent was signed.")
    if end > consent.last_moment.astimezone(tz).date():
        errors["end"] = _("Choose an end date on or before the day the consent ends.")
    return errors


@transaction.atomic
def issue_letter(
    *, actor: User, patient: User, consent: Consent, start: date, end: date, request: HttpRequest | None = None
) -> tuple[AttendanceLetter, str]:
    """Issue a letter and return it with its verification code (the code is never stored, only its hash); the
    patient gets a neutral notice that their sharing page changed (outbox, in their language at send time)."""
    check_staff(actor, patient)
    now = timezone.now()
    relied_on = letter_consents(patient, now).select_related("program").filter(pk=consent.pk).first()
    if relied_on is None:
        raise ValidationError(_("This consent does not allow an attendance letter (it may have ended)."))
    errors = period_errors(relied_on, start, end, timezone.localdate(now, relied_on.program.tz))
    if errors:
        raise ValidationError(errors)
    code = new_code()
    letter = AttendanceLetter.objects.create(
        patient=patient,
        consent=relied_on,
        issued_by=actor,
        issued_at=now,
        period_start=start,
        period_end=end,
        code_hash=code_hash(code),
        facts=gather_facts(patient=patient, counselor=actor, consent=relied_on, start=start, end=end, issued_at=now),
    )
    record_disclosure(
        consent=relied_on, scope=Scope.ATTENDANCE, channel=Disclosure.Channel.EXPORT, what="Attendance letter", at=now
    )
    send_notice(  # neutral: "an update on your sharing page", never who, what or why
        recipient=patient,
        template_key=LETTER_ISSUED,
        event=f"letter:{letter.pk}:issued",
        link_path=reverse("scheduling:my_letters"),
        program=relied_on.program,
    )
    record_audit(
        kind=AuditEvent.Kind.OTHER,
        actor=actor,
        patient=patient,
        request=request,
        data={"event": "attendance_letter_issued", "letter": str(letter.pk), "consent": str(relied_on.pk)},
    )
    return letter, code


@transaction.atomic
def withdraw_letter(
    *, actor: User, letter: AttendanceLetter, reason: str, request: HttpRequest | None = None
) -> AttendanceLetter:
    """Withdraw a letter (with a reason, audited): from now on its code shows only that it is no longer valid."""
    check_staff(actor, letter.patient)
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError({"reason": _("Say why the letter is withdrawn.")})
    locked = AttendanceLetter.objects.select_for_update().get(pk=letter.pk)
    if locked.withdrawn_at is not None:
        raise ValidationError(_("This letter was already withdrawn."))
    locked.withdrawn_at, locked.withdrawn_by, locked.withdrawal_reason = timezone.now(), actor, reason[:300]
    locked.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
    record_audit(
        kind=AuditEvent.Kind.OTHER,
        actor=actor,
        patient=letter.patient,
        request=request,
        data={"event": "attendance_letter_withdrawn", "letter": str(letter.pk)},
    )
    return locked


def find_letter(typed: str) -> AttendanceLetter | None:
    """The letter a typed code belongs to (any case and grouping), with its consent; None for no such code."""
    if not normalise_code(typed):
        return None
    return AttendanceLetter.objects.select_related("consent__form_version").filter(code_hash=code_hash(typed)).first()


def show_verified_letter(letter: AttendanceLetter) -> None:
    """Record one view of a valid letter on the verification page: a disclosure to the consent's recipient."""
    record_disclosure(
        consent=letter.consent,
        scope=Scope.ATTENDANCE,
        channel=Disclosure.Channel.WEB,
        what="Attendance letter (verification page)",
    )
