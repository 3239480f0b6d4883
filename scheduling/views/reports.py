"""The printable attendance record of a patient's family sessions, and its release under consent."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from consent.gate import release_consents, require_disclosure
from consent.models import Scope
from family_portal.requests import PortalRequest
from family_portal.staff_guard import staff_required
from scheduling.access import in_viewer_time_zone
from scheduling.forms import ReleaseForm, ReportForm
from scheduling.models import FamilySession, Participant
from scheduling.services import release_attendance_report


def report_rows(user: Any, patient: Any, start: Any, end: Any) -> list[dict[str, Any]]:
    """Sessions in the local date range with the patient's own mark and the family's marks (two queries)."""
    tz = timezone.get_current_timezone()
    since = datetime.combine(start, time.min, tzinfo=tz)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)
    sessions = (
        FamilySession.objects.visible_to(user)
        .filter(patient=patient, starts_at__gte=since, starts_at__lt=until)
        .prefetch_related("participants__user")
        .order_by("starts_at")
    )
    rows = []
    for session in sessions:
        current = [p for p in session.participants.all() if p.removed_at is None]
        own = next((p for p in current if p.role == Participant.Role.PATIENT), None)
        family = [p for p in current if p.role == Participant.Role.FAMILY]
        rows.append(
            {
                "session": session,
                "patient_mark": own.get_attendance_display() if own and own.attendance else "",
                "family": family,
                "family_present": sum(
                    1 for p in family if p.attendance in (Participant.Attendance.ATTENDED, Participant.Attendance.LATE)
                ),
            }
        )
    return rows


@staff_required
@in_viewer_time_zone
def attendance_report(request: PortalRequest) -> HttpResponse:
    """GET shows the internal record; POST releases it to a consented recipient and records the disclosure."""
    user = request.user
    data = request.POST if request.method == "POST" else (request.GET or None)
    form = ReportForm(data, user=user)
    context: dict[str, Any] = {"form": form, "tz": timezone.get_current_timezone()}
    if form.is_bound and form.is_valid():
        patient, start, end = form.cleaned_data["patient"], form.cleaned_data["start"], form.cleaned_data["end"]
        require_disclosure(user, patient, Scope.ATTENDANCE, what="Attendance record (care team)", request=request)
        consents = release_consents(patient, Scope.ATTENDANCE)
        release_form = ReleaseForm(request.POST if request.method == "POST" else None, consents=consents)
        context.update(patient=patient, start=start, end=end, release_form=release_form, consents=consents)
        if request.method == "POST" and release_form.is_valid():
            try:
                consent = release_attendance_report(
                    actor=user,
                    patient=patient,
                    consent=release_form.cleaned_data["consent"],
                    start=start,
                    end=end,
                    request=request,
                )
            except ValidationError as exc:
                release_form.add_error(None, exc.messages)
            else:
                context.update(
                    released_to=consent, released_on=timezone.localdate(), rows=report_rows(user, patient, start, end)
                )
                return render(request, "scheduling/attendance_release.html", context)
        context["rows"] = report_rows(user, patient, start, end)
    return render(request, "scheduling/attendance_report.html", context)
