"""The program's own treatment sessions for a patient: totals for a period, hand entry, and the CSV import.

Only counselors and admins on the patient's care team (``consent.gate.is_care_team_for``) read or write these
records; anyone else gets the 404 every refused object gets (AZ-03). An import is previewed from a signed copy of
the uploaded text (nothing is written before the confirmation); the confirmation checks everything again and writes
every row in one transaction, or none. Rows matching an existing record (same date, start and kind) are refused.
The signed copy carries a one-time token; a second confirmation with the same token writes nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from accounts.models import User
from consent.audit import record_audit
from consent.models import AuditEvent
from scheduling.models import TreatmentImport, TreatmentSession
from scheduling.services.booking import check_staff
from scheduling.services.treatment_csv import ParsedImport, RowError, parse_treatment_csv

SIGNING_SALT = "scheduling.treatment-import"
PREVIEW_MAX_AGE = 60 * 60  # seconds a preview may wait for its confirmation


@dataclass(frozen=True)
class Totals:
    scheduled: int
    attended: int
    missed: int
    excused: int
    minutes_attended: int

    @property
    def hours_attended(self) -> float:
        return round(self.minutes_attended / 60, 2)


def records_in_period(patient: User, start: date, end: date) -> QuerySet[TreatmentSession]:
    """The patient's records from ``start`` to ``end`` (inclusive, program days), oldest first."""
    return TreatmentSession.objects.filter(patient=patient, date__gte=start, date__lte=end).order_by(
        "date", "start_time", "kind"
    )


def totals_for(records: QuerySet[TreatmentSession]) -> Totals:
    """Scheduled, attended, missed and excused counts and the minutes attended, in one query."""
    attended = Q(attendance=TreatmentSession.Attendance.ATTENDED)
    figures = records.order_by().aggregate(
        scheduled=Count("pk"),
        attended=Count("pk", filter=attended),
        missed=Count("pk", filter=Q(attendance=TreatmentSession.Attendance.MISSED)),
        excused=Count("pk", filter=Q(attendance=TreatmentSession.Attendance.EXCUSED)),
        minutes_attended=Sum("minutes", filter=attended, default=0),
    )
    return Totals(**figures)


def totals_of_rows(rows: list[TreatmentSession]) -> Totals:
    """The same figures for records not yet written (an import's preview)."""
    attended = [r for r in rows if r.attendance == TreatmentSession.Attendance.ATTENDED]
    return Totals(
        scheduled=len(rows),
        attended=len(attended),
        missed=sum(1 for r in rows if r.attendance == TreatmentSession.Attendance.MISSED),
        excused=sum(1 for r in rows if r.attendance == TreatmentSession.Attendance.EXCUSED),
        minutes_attended=sum(r.minutes for r in attended),
    )


@transaction.atomic
def save_treatment_session(*, actor: User, record: TreatmentSession) -> TreatmentSession:
    """Add or change one record by hand (the form has checked its fields); refuses a second record with the
    same date, start and kind."""
    check_staff(actor, record.patient)
    clash = TreatmentSession.objects.filter(
        patient=record.patient, date=record.date, start_time=record.start_time, kind=record.kind
    ).exclude(pk=record.pk)
    if clash.exists():
        raise ValidationError(_("A session of this kind is already recorded at this date and time."))
    adding = record._state.adding
    record.recorded_by = actor
    if adding:
        record.source = TreatmentSession.Source.HAND
    record.save()
    record_audit(
        kind=AuditEvent.Kind.OTHER,
        actor=actor,
        patient=record.patient,
        data={"event": "treatment_session_added" if adding else "treatment_session_changed", "id": str(record.pk)},
    )
    return record


def check_import(*, actor: User, patient: User, text: str) -> ParsedImport:
    """Step 1: every error by row and column, including rows already recorded. Writes nothing."""
    check_staff(actor, patient)
    parsed = parse_treatment_csv(text)
    if not parsed.rows:
        return parsed
    existing = set(
        TreatmentSession.objects.filter(patient=patient, date__in={r.date for r in parsed.rows}).values_list(
            "date", "start_time", "kind"
        )
    )
    for row in parsed.rows:
        if row.key in existing:
            parsed.errors.append(RowError(row.row, "date", _("Already recorded (same date, start and kind).")))
    parsed.errors.sort(key=lambda error: error.row or 0)
    return parsed


def preview_payload(*, patient: User, text: str) -> str:
    """Step 2: the signed copy of the checked text and a fresh one-time token, carried by the preview's form."""
    data = {"p": patient.pk, "t": secrets.token_urlsafe(24), "csv": text}
    return signing.dumps(data, salt=SIGNING_SALT, compress=True)


@dataclass(frozen=True)
class ImportOutcome:
    batch: TreatmentImport | None
    already_done: bool
    parsed: ParsedImport


def confirm_import(*, actor: User, patient: User, payload: str) -> ImportOutcome:
    """Step 3: check the signed text again and write every row in one transaction, or none.

    A token already used answers ``already_done`` with the earlier batch and writes nothing."""
    check_staff(actor, patient)
    try:
        data = signing.loads(payload, salt=SIGNING_SALT, max_age=PREVIEW_MAX_AGE)
    except signing.BadSignature as exc:
        raise ValidationError(_("This preview has expired. Please upload the file again.")) from exc
    if data.get("p") != patient.pk:
        raise ValidationError(_("This preview has expired. Please upload the file again."))
    token = str(data["t"])
    earlier = TreatmentImport.objects.filter(token=token).first()
    if earlier is not None:
        return ImportOutcome(earlier, True, ParsedImport())
    try:
        with transaction.atomic():
            parsed = check_import(actor=actor, patient=patient, text=str(data["csv"]))
            if not parsed.ok:
                return ImportOutcome(None, False, parsed)
            batch = TreatmentImport.objects.create(
                token=token, patient=patient, imported_by=actor, row_count=len(parsed.rows)
            )
            TreatmentSession.objects.bulk_create(
                [
                    TreatmentSession(
                        patient=patient,
                        kind=row.kind,
                        date=row.date,
                        start_time=row.start_time,
                        minutes=row.minutes,
                        attendance=row.attendance,
                        note=row.note,
                        recorded_by=actor,
                        source=TreatmentSession.Source.IMPORT,
                        treatment_import=batch,
                    )
                    for row in parsed.rows
                ]
            )
            totals = totals_of_rows(list(batch.sessions.all()))
            record_audit(
                kind=AuditEvent.Kind.OTHER,
                actor=actor,
                patient=patient,
                data={
                    "event": "treatment_sessions_imported",
                    "import": str(batch.pk),
                    "rows": totals.scheduled,
                    "attended": totals.attended,
                    "missed": totals.missed,
                    "excused": totals.excused,
                },
            )
    except IntegrityError:
        earlier = TreatmentImport.objects.filter(token=token).first()
        if earlier is not None:  # the same confirmation, committed by a concurrent request
            return ImportOutcome(earlier, True, ParsedImport())
        raise ValidationError(
            _("Some of these sessions were recorded meanwhile. Nothing was imported; please upload the file again.")
        ) from None
    return ImportOutcome(batch, False, parsed)
