"""Program insights: the whole program's for program admins (inside the console), a counselor's own caseload's
for counselors (their own route, guarded by ``counselor_required``; the rest of the console stays admin-only)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from accounts.models import User
from console.insights.page import csv_response, render_page
from console.views.common import admin_of, console_view
from family_portal.staff_guard import counselor_required, refuse, require_counselor


@console_view
@require_safe
def program_insights(request: HttpRequest) -> HttpResponse:
    return render_page(request, admin_of(request), whole_program=True, template="console/insights/program.html")


@console_view
@require_safe
def program_insights_csv(request: HttpRequest) -> HttpResponse:
    return csv_response(request, admin_of(request), whole_program=True)


@counselor_required
@require_safe
def caseload_insights(request: HttpRequest) -> HttpResponse:
    return render_page(request, _counselor(request), whole_program=False, template="console/insights/caseload.html")


@counselor_required
@require_safe
def caseload_insights_csv(request: HttpRequest) -> HttpResponse:
    return csv_response(request, _counselor(request), whole_program=False)


def _counselor(request: HttpRequest) -> User:
    """The counselor, who must belong to a program (one without a program gets the same 404)."""
    counselor = require_counselor(request)
    if counselor.program_id is None:
        refuse(request)
    return counselor
