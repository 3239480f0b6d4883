"""Caseloads: each counselor's patients, assigning a patient, ending an assignment (never deleting one)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.models import CaseloadAssignment, User
from consent.caseloads import assign_patient, assignment_in_program, end_assignment, program_assignments
from consent.gate import care_team_patients
from console.forms import AssignPatientForm
from console.views.common import admin_of, after_reauthentication, console_view, program_id_of
from family_portal.form_errors import show_errors
from family_portal.staff_guard import refuse


@console_view
@require_http_methods(["GET", "POST"])
def caseloads(request: HttpRequest) -> HttpResponse:
    return after_reauthentication(request, _caseloads)


def _caseloads(request: HttpRequest) -> HttpResponse:
    """Each counselor with their patients, the patients nobody carries, and the form to assign one (POST)."""
    admin = admin_of(request)
    counselors = User.objects.filter(program_id=program_id_of(admin), role=User.Role.COUNSELOR)
    form = AssignPatientForm(request.POST or None, patients=care_team_patients(admin), counselors=counselors)
    if request.method == "POST" and form.is_valid():
        try:
            assign_patient(admin=admin, request=request, **form.cleaned_data)
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(patient)s is now on %(counselor)s's caseload.")
                % {
                    "patient": form.cleaned_data["patient"].display_name,
                    "counselor": form.cleaned_data["counselor"].display_name,
                },
            )
            return redirect("console:caseloads")
    return render(request, "console/caseloads.html", {"form": form, **_overview(admin)})


def _overview(admin: User) -> dict[str, Any]:
    """The program's patients come from the gate (the admin's ``PROGRAM`` grant), the assignments from
    ``consent.caseloads``."""
    program_id = program_id_of(admin)
    assignments = list(program_assignments(program_id))
    by_counselor: dict[int, list[CaseloadAssignment]] = defaultdict(list)
    for assignment in assignments:
        by_counselor[assignment.counselor_id].append(assignment)
    counselors = User.objects.filter(program_id=program_id, role=User.Role.COUNSELOR).order_by(
        "-is_active", "full_name", "email"
    )
    carried = {assignment.patient_id for assignment in assignments}
    unassigned = care_team_patients(admin).filter(is_active=True).exclude(pk__in=carried)
    return {
        "groups": [
            (counselor, by_counselor.get(counselor.pk, []))
            for counselor in counselors
            if counselor.is_active or by_counselor.get(counselor.pk)
        ],
        "unassigned": list(unassigned.order_by("full_name", "email")),
    }


@console_view
@require_http_methods(["GET", "POST"])
def caseload_end(request: HttpRequest, caseload_id: int) -> HttpResponse:
    admin = admin_of(request)
    assignment = assignment_in_program(program_id_of(admin), caseload_id)
    if assignment is None:
        refuse(request, caseload_id)
    return after_reauthentication(request, _caseload_end, assignment)


def _caseload_end(request: HttpRequest, assignment: CaseloadAssignment) -> HttpResponse:
    """A confirmation page (GET), then the end of the assignment (POST)."""
    if request.method == "POST":
        try:
            end_assignment(admin=admin_of(request), assignment=assignment, request=request)
        except ValidationError as exc:
            for text in exc.messages:
                messages.error(request, text)
        else:
            messages.success(
                request,
                _("%(patient)s is no longer on %(counselor)s's caseload.")
                % {"patient": assignment.patient.display_name, "counselor": assignment.counselor.display_name},
            )
        return redirect("console:caseloads")
    return render(request, "console/caseload_end.html", {"assignment": assignment})
