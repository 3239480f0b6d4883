"""Assignments: a counselor asks a patient's family to take modules and follows their progress.

Care staff only (404 for anyone else, and for assignments of patients outside the viewer's caseload — AZ-03).
Progress is shown only for family members whose effective consent for that patient includes education
(``access.education_recipients``); a member without that scope does not appear at all.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from consent.gate import visible_patients
from consent.models import Scope
from education import services
from education.access import (
    education_recipients,
    get_visible_assignment,
    readable_modules,
    visible_assignments,
)
from education.forms import AssignmentForm
from education.models import ModuleProgress
from education.views.time_zone import in_user_time_zone
from family_portal.requests import PortalRequest
from family_portal.staff_guard import staff_required


def _form(request: PortalRequest) -> AssignmentForm:
    return AssignmentForm(
        request.POST or None,
        patients=visible_patients(request.user, Scope.EDUCATION).order_by("full_name", "email"),
        modules=readable_modules(request.user).select_related("current_version").order_by("current_version__title"),
    )


@staff_required
@require_http_methods(["GET", "POST"])
@in_user_time_zone
def assignment_list(request: PortalRequest) -> HttpResponse:
    """Assignments for the viewer's patients, and a form to add one."""
    form = _form(request)
    if request.method == "POST" and form.is_valid():
        try:
            assignment = services.assign_module(
                counselor=request.user,
                patient=form.cleaned_data["patient"],
                module=form.cleaned_data["module"],
                due_on=form.cleaned_data["due_on"],
            )
        except PermissionDenied:
            form.add_error("patient", _("You can assign modules only to families on your caseload."))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Module assigned. The family will see it at the top of their learning page."))
            return redirect("education:assignment", assignment_id=assignment.pk)
    assignments = (
        visible_assignments(request.user)
        .select_related("patient", "module__current_version", "assigned_by")
        .order_by("patient__full_name", "due_on")
    )
    return render(request, "education/assignments/list.html", {"form": form, "assignments": assignments})


@staff_required
@in_user_time_zone
def assignment_detail(request: PortalRequest, assignment_id: Any) -> HttpResponse:
    """One assignment and the progress of each family member whose consent includes education."""
    assignment = get_visible_assignment(request.user, assignment_id)
    members = list(education_recipients(assignment.patient).order_by("full_name", "email"))
    progress = {
        row.learner_id: row
        for row in ModuleProgress.objects.filter(module=assignment.module, learner__in=[m.pk for m in members])
        .select_related("version")
        .annotate(
            lesson_done=Count("completions", distinct=True), lesson_total=Count("version__lessons", distinct=True)
        )
    }
    rows = [(member, progress.get(member.pk)) for member in members]
    return render(request, "education/assignments/detail.html", {"assignment": assignment, "rows": rows})


@staff_required
@require_POST
def assignment_cancel(request: PortalRequest, assignment_id: Any) -> HttpResponse:
    assignment = get_visible_assignment(request.user, assignment_id)
    services.cancel_assignment(assignment=assignment, actor=request.user)
    messages.success(request, _("Assignment withdrawn. Family members keep their own progress."))
    return redirect("education:assignments")
