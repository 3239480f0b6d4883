"""Progress summary pages every role opens: the list (``/summaries/``), one summary, and the patient's review.

Who sees what is decided per request by the consent gate: care staff of the patient see every version; the patient
and their personal representative (``acts_as_patient``) see what waits for their review and what was shared; a
family member sees the latest released version only while their consent includes ``progress_summary``, asked at
the moment of reading (``require_disclosure``: one ledger row per read, a 404 otherwise), with the § 2.32 notice.
"""

from __future__ import annotations

import uuid

from django.contrib import messages as toasts
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from consent.gate import acts_as_patient, is_care_team_for, require_disclosure
from consent.ledger import record_disclosures
from consent.models import Scope
from family_portal.requests import PortalRequest
from family_portal.staff_guard import refuse
from messaging.summaries import queries, services
from messaging.summaries.forms import ReviewForm
from messaging.summaries.models import ProgressSummary


@require_http_methods(["GET", "HEAD"])
def index(request: PortalRequest) -> HttpResponse:
    """Staff: their patients' summaries and where each stands. Patients and representatives: what waits for their
    review and what was shared. Family: the released summaries they may read now."""
    user = request.user
    if user.is_care_staff:
        return render(request, "messaging/summaries/staff_index.html", {"summaries": list(queries.for_care_team(user))})
    own = list(queries.for_review(queries.acted_for_ids(user)))
    family = list(queries.released_for_family(queries.consented_ids(user)))
    if family:  # the list names whose updates exist and when: a disclosure, recorded once per patient
        shown = {summary.patient_id for summary in family}
        record_disclosures(user, shown, Scope.PROGRESS_SUMMARY, what="List of progress summaries")
    return render(
        request,
        "messaging/summaries/index.html",
        {
            "to_review": [s for s in own if s.current_version and s.current_version.awaiting_review],
            "own": [s for s in own if not (s.current_version and s.current_version.awaiting_review)],
            "family": family,
            "acts_for_someone": bool(queries.acted_for_ids(user)),
        },
    )


@require_http_methods(["GET", "HEAD"])
def summary_detail(request: PortalRequest, summary_id: uuid.UUID) -> HttpResponse:
    summary = _summary_or_404(request, summary_id)
    user = request.user
    if user.is_care_staff:
        if not is_care_team_for(user, summary.patient):
            refuse(request, summary_id)
        versions = list(summary.versions.select_related("written_by", "reviewed_by").order_by("-number"))
        return render(request, "messaging/summaries/staff_detail.html", {"summary": summary, "versions": versions})
    if acts_as_patient(user, summary.patient):
        return _review_page(request, summary, ReviewForm(initial=_review_initial(summary)))
    version = summary.released_version
    if version is None:
        refuse(request, summary_id)
    require_disclosure(user, summary.patient, Scope.PROGRESS_SUMMARY, what="Progress summary", request=request)
    return render(request, "messaging/summaries/family_detail.html", {"summary": summary, "version": version})


@require_POST
def review_summary(request: PortalRequest, summary_id: uuid.UUID) -> HttpResponse:
    """The patient's (or representative's) answer: approve, or ask for a change with a comment."""
    summary = _summary_or_404(request, summary_id)
    if request.user.is_care_staff or not acts_as_patient(request.user, summary.patient):
        refuse(request, summary_id)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return _review_page(request, summary, form, status=400)
    data = form.cleaned_data
    try:
        if data["decision"] == "approve":
            services.approve(reviewer=request.user, summary=summary, version_number=data["version"])
            toasts.success(request, _("Thank you. The summary is now shared with your family."))
        else:
            services.request_change(
                reviewer=request.user, summary=summary, version_number=data["version"], comment=data["comment"]
            )
            toasts.success(request, _("Thank you. Your counselor will see your comment."))
    except PermissionDenied:
        refuse(request, summary_id)
    except ValidationError as exc:
        form.add_error(None, exc.messages[0])
        fresh = queries.find(summary.pk)
        return _review_page(request, fresh or summary, form, status=409)
    return redirect("summaries:detail", summary_id=summary.pk)


def _summary_or_404(request: PortalRequest, summary_id: uuid.UUID) -> ProgressSummary:
    summary = queries.find(summary_id)
    if summary is None:
        refuse(request, summary_id)
    return summary


def _review_initial(summary: ProgressSummary) -> dict[str, object]:
    version = summary.current_version
    return {"version": version.number if version else 1, "decision": "approve"}


def _review_page(request: PortalRequest, summary: ProgressSummary, form: ReviewForm, status: int = 200) -> HttpResponse:
    current = summary.current_version
    if current is None or current.is_draft:  # the patient never sees a draft
        if summary.released_version is None:
            refuse(request, summary.pk)
        current = summary.released_version
    return render(
        request,
        "messaging/summaries/review.html",
        {"summary": summary, "version": current, "form": form, "is_patient": request.user.pk == summary.patient_id},
        status=status,
    )
