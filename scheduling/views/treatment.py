"""The program's own treatment sessions for a patient (staff only): the list with totals for a period, hand entry,
and the CSV import (upload and check, preview, confirm). Only the patient's care team reaches them; everyone else
gets the 404 of a missing page (AZ-03). Dates and start times are the program's wall clock."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.models import User
from consent.gate import care_team_patients
from family_portal.form_errors import show_errors
from family_portal.requests import PortalRequest
from family_portal.staff_guard import refuse, staff_required
from scheduling.forms.treatment import (
    TreatmentConfirmForm,
    TreatmentPeriodForm,
    TreatmentSessionForm,
    TreatmentUploadForm,
)
from scheduling.models import TreatmentSession
from scheduling.services.treatment_csv import (
    MAX_BYTES,
    MAX_MINUTES,
    MAX_ROWS,
    ParsedImport,
    upload_text,
)
from scheduling.services.treatment_records import (
    check_import,
    confirm_import,
    preview_payload,
    records_in_period,
    save_treatment_session,
    totals_for,
    totals_of_rows,
)


def _patient_or_404(request: PortalRequest, patient_id: int) -> User:
    """A patient on the viewer's care team (caseload, break-glass, or the admin's program); 404 otherwise."""
    patient = care_team_patients(request.user).select_related("program").filter(pk=patient_id).first()
    if patient is None:
        refuse(request, patient_id)
    return patient


def _page(request: PortalRequest, template: str, patient: User, **context: Any) -> HttpResponse:
    program = patient.program
    context.update(patient=patient, program_tz=program.tz if program else timezone.get_current_timezone())
    return render(request, template, context)


@staff_required
def treatment_patients(request: PortalRequest) -> HttpResponse:
    """The patients whose treatment sessions the viewer may record."""
    patients = care_team_patients(request.user).order_by("full_name")
    return render(request, "scheduling/treatment_patients.html", {"patients": patients})


@staff_required
def treatment_records(request: PortalRequest, patient_id: int) -> HttpResponse:
    """A patient's treatment sessions in a period with the totals (three queries whatever the number of rows)."""
    patient = _patient_or_404(request, patient_id)
    with timezone.override(patient.program.tz if patient.program else timezone.get_current_timezone()):
        form = TreatmentPeriodForm(request.GET or None)
        if form.is_bound and form.is_valid():
            start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        else:
            start, end = form.fields["start"].initial, form.fields["end"].initial
    records = records_in_period(patient, start, end)
    rows = list(records.select_related("recorded_by"))
    return _page(
        request,
        "scheduling/treatment_records.html",
        patient,
        form=form,
        start=start,
        end=end,
        rows=rows,
        totals=totals_for(records),
    )


@staff_required
def treatment_add(request: PortalRequest, patient_id: int) -> HttpResponse:
    return _edit(request, _patient_or_404(request, patient_id), TreatmentSession(patient_id=patient_id))


@staff_required
def treatment_edit(request: PortalRequest, patient_id: int, record_id: Any) -> HttpResponse:
    patient = _patient_or_404(request, patient_id)
    record = TreatmentSession.objects.filter(patient=patient, pk=record_id).first()
    if record is None:
        refuse(request, record_id)
    return _edit(request, patient, record)


def _edit(request: PortalRequest, patient: User, record: TreatmentSession) -> HttpResponse:
    record.patient = patient
    form = TreatmentSessionForm(request.POST if request.method == "POST" else None, instance=record)
    if request.method == "POST" and form.is_valid():
        try:
            save_treatment_session(actor=request.user, record=form.save(commit=False))
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("The treatment session was saved."))
            return redirect("scheduling:treatment_records", patient_id=patient.pk)
    return _page(request, "scheduling/treatment_form.html", patient, form=form, adding=record._state.adding)


@staff_required
def treatment_import(request: PortalRequest, patient_id: int) -> HttpResponse:
    """Step 1 (upload and check, nothing written) and step 2 (the preview, with the signed copy to confirm)."""
    patient = _patient_or_404(request, patient_id)
    form = TreatmentUploadForm(request.POST or None, request.FILES or None)
    parsed: ParsedImport | None = None
    if request.method == "POST" and form.is_valid():
        text, problem = upload_text(form.cleaned_data["file"])
        if problem is not None:
            parsed = ParsedImport(errors=[problem])
        else:
            parsed = check_import(actor=request.user, patient=patient, text=text)
            if parsed.ok:
                rows = [TreatmentSession(**_fields(row)) for row in parsed.rows]
                confirm = TreatmentConfirmForm(initial={"payload": preview_payload(patient=patient, text=text)})
                return _page(
                    request,
                    "scheduling/treatment_preview.html",
                    patient,
                    rows=rows,
                    totals=totals_of_rows(rows),
                    confirm_form=confirm,
                )
    return _import_page(request, patient, form, parsed)


def _import_page(
    request: PortalRequest, patient: User, form: TreatmentUploadForm, parsed: ParsedImport | None
) -> HttpResponse:
    return _page(
        request,
        "scheduling/treatment_import.html",
        patient,
        form=form,
        errors=parsed.errors if parsed else [],
        max_rows=MAX_ROWS,
        max_kb=MAX_BYTES // 1024,
        max_minutes=MAX_MINUTES,
        kinds=TreatmentSession.Kind.choices,
        marks=TreatmentSession.Attendance.choices,
    )


def _fields(row: Any) -> dict[str, Any]:
    return {
        "kind": row.kind,
        "date": row.date,
        "start_time": row.start_time,
        "minutes": row.minutes,
        "attendance": row.attendance,
        "note": row.note,
    }


@staff_required
@require_POST
def treatment_import_confirm(request: PortalRequest, patient_id: int) -> HttpResponse:
    """Step 3: every row written in one transaction or none; a repeated confirmation writes nothing again."""
    patient = _patient_or_404(request, patient_id)
    form = TreatmentConfirmForm(request.POST)
    back = reverse("scheduling:treatment_records", kwargs={"patient_id": patient.pk})
    if not form.is_valid():
        messages.error(request, _("This preview has expired. Please upload the file again."))
        return redirect("scheduling:treatment_import", patient_id=patient.pk)
    try:
        outcome = confirm_import(actor=request.user, patient=patient, payload=form.cleaned_data["payload"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("scheduling:treatment_import", patient_id=patient.pk)
    if outcome.already_done:
        messages.info(request, _("This file was already imported. Nothing was added again."))
        return redirect(back)
    if outcome.batch is None:
        return _import_page(request, patient, TreatmentUploadForm(), outcome.parsed)
    count = outcome.batch.row_count
    messages.success(
        request,
        ngettext("%(count)s treatment session was imported.", "%(count)s treatment sessions were imported.", count)
        % {"count": count},
    )
    return redirect(back)
