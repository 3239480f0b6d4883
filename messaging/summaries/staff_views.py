"""The care team's summary pages: a patient's summaries (from the patient page they already use), writing a new one,
editing one (a new version once the patient has seen it), and the reading-level hint shown while they write.

Every page is ``staff_required`` and answers 404 unless the viewer is on the patient's care team now."""

from __future__ import annotations

import uuid

from django.contrib import messages as toasts
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from consent import policy
from consent.gate import is_care_team_for, recipients
from consent.models import Scope
from family_portal.requests import PortalRequest
from family_portal.staff_guard import refuse, staff_required
from messaging.summaries import queries, services
from messaging.summaries.forms import SummaryForm
from messaging.summaries.models import ProgressSummary, SummaryVersion
from messaging.summaries.reading import reading_hint


def _patient_or_404(request: PortalRequest, patient_id: int) -> User:
    patient = User.objects.filter(pk=patient_id, role=User.Role.PATIENT).select_related("program").first()
    if patient is None or not is_care_team_for(request.user, patient):
        refuse(request, patient_id)
    return patient


@staff_required
@require_http_methods(["GET", "HEAD"])
def patient_summaries(request: PortalRequest, patient_id: int) -> HttpResponse:
    """A patient's summaries, each with its review state, and how many family members would receive one now."""
    patient = _patient_or_404(request, patient_id)
    family = recipients(patient, Scope.PROGRESS_SUMMARY, grants=(policy.CONSENT,))
    return render(
        request,
        "messaging/summaries/patient_summaries.html",
        {"patient": patient, "summaries": list(queries.of_patient(patient)), "family_count": len(family)},
    )


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def new_summary(request: PortalRequest, patient_id: int) -> HttpResponse:
    patient = _patient_or_404(request, patient_id)
    form = SummaryForm(request.POST or None, language=_form_language())
    return _write(request, form, patient=patient, summary=None)


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def edit_summary(request: PortalRequest, summary_id: uuid.UUID) -> HttpResponse:
    summary = queries.find(summary_id)
    if summary is None or not is_care_team_for(request.user, summary.patient):
        refuse(request, summary_id)
    form = SummaryForm(request.POST or None, version=summary.current_version)
    return _write(request, form, patient=summary.patient, summary=summary)


@staff_required
@require_POST
def reading_level(request: PortalRequest) -> HttpResponse:
    """The hint for the text being written (static/js/summary-reading.js posts the three fields as they change)."""
    parts = [str(request.POST.get(name, ""))[:2000] for name in ("attendance", "working_on", "how_to_help")]
    language = str(request.POST.get("language", ""))
    return render(request, "messaging/summaries/_reading_hint.html", {"hint": reading_hint(parts, language)})


def _write(
    request: PortalRequest, form: SummaryForm, *, patient: User, summary: ProgressSummary | None
) -> HttpResponse:
    action = request.POST.get("action", "send") if request.method == "POST" else ""
    if request.method == "POST" and action not in SummaryForm.ACTIONS:
        form.add_error(None, _("Choose one of the buttons below the form."))
    elif request.method == "POST" and form.is_valid() and action != "check":
        try:
            version = _save(request, form, patient, summary, send=action == "send")
        except PermissionDenied:
            refuse(request)
        if version.awaiting_review:
            toasts.success(request, _("Sent for review. Nothing is shared with the family until it is released."))
        else:
            toasts.success(request, _("Draft saved. Only the care team can see it."))
        return redirect("summaries:detail", summary_id=version.summary_id)
    values = form.data if form.is_bound else form.initial
    hint = reading_hint(
        [str(values.get(name, "")) for name in ("attendance", "working_on", "how_to_help")],
        str(values.get("language", "")),
    )
    return render(
        request,
        "messaging/summaries/summary_form.html",
        {
            "form": form,
            "patient": patient,
            "summary": summary,
            "current": summary.current_version if summary else None,
            "hint": hint,
            "review_hours": patient.program.summary_review_hours if patient.program else 48,
        },
        status=400 if form.is_bound and form.errors else 200,
    )


def _save(
    request: PortalRequest, form: SummaryForm, patient: User, summary: ProgressSummary | None, *, send: bool
) -> SummaryVersion:
    if summary is None:
        return services.write_summary(author=request.user, patient=patient, text=form.text(), send=send)
    return services.revise_summary(author=request.user, summary=summary, text=form.text(), send=send)


def _form_language() -> str:
    language = (get_language() or "en").split("-")[0]
    return language if language in ("en", "es") else "en"
