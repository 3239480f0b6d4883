"""The console's front page: one card per task, each with the number that tells whether it needs attention."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from accounts.models import User
from accounts.names import STAFF_ROLES
from consent.caseloads import program_assignments
from consent.gate import care_team_patients
from consent.models import ConsentFormVersion
from console.choices import describe_days, describe_offset
from console.views.common import admin_of, console_view, program_id_of
from console.views.review import waiting_for_review


@console_view
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    admin = admin_of(request)
    program = admin.program
    assert program is not None  # noqa: S101  (the guard requires a program)
    staff = User.objects.filter(program_id=program_id_of(admin), role__in=STAFF_ROLES, is_active=True)
    carried = program_assignments(program_id_of(admin)).values("patient_id")
    context = {
        "program": program,
        "staff_count": staff.count(),
        "unassigned_count": care_team_patients(admin).filter(is_active=True).exclude(pk__in=carried).count(),
        "review_count": len(waiting_for_review(admin)),
        "consent_form": ConsentFormVersion.objects.filter(effective_from__lte=timezone.now()).first(),
        "office_days": describe_days(list(program.office_days or [])),
        "reminders": [describe_offset(int(m)) for m in sorted(program.reminder_offsets_minutes or [], reverse=True)],
    }
    return render(request, "console/home.html", context)
