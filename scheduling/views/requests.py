"""A family member asks for a session; both sides follow the request on its own page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from consent.gate import require_disclosure, visible_patients
from consent.models import Scope
from family_portal.requests import PortalRequest
from scheduling.access import family_only, get_request_for, in_viewer_time_zone
from scheduling.forms import ConfirmForm, DeclineForm, RequestForm
from scheduling.models import SessionRequest
from scheduling.services import assigned_counselor_ids, request_session, withdraw_request
from scheduling.slots import HORIZON_DAYS, open_slots


@family_only
@in_viewer_time_zone
def request_create(request: PortalRequest) -> HttpResponse:
    """Open times of the patient's counselors for the next three weeks, or up to three suggested times."""
    user = request.user
    patients = list(visible_patients(user, Scope.SCHEDULE).order_by("full_name"))
    if not patients:
        raise Http404("Not found")
    chosen = request.GET.get("patient", "")
    if len(patients) > 1 and not chosen:
        return render(request, "scheduling/request_choose.html", {"patients": patients})
    patient = patients[0] if len(patients) == 1 else next((p for p in patients if str(p.pk) == chosen), None)
    if patient is None:
        raise Http404("Not found")
    require_disclosure(user, patient, Scope.SCHEDULE, what="Open times for a family session", request=request)
    counselor_ids = assigned_counselor_ids(patient)
    slots = open_slots(counselor_ids=counselor_ids)
    names = {c.pk: c.display_name for c in User.objects.filter(pk__in=counselor_ids)}
    form = RequestForm(request.POST or None, slots=slots, counselor_names=names)
    if request.method == "POST" and form.is_valid():
        try:
            created = request_session(
                requester=user,
                patient=patient,
                slot_key=form.cleaned_data["slot"],
                proposed_times=form.proposed(),
                modality=form.cleaned_data["modality"],
                message=form.cleaned_data["message"],
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Your request is sent. You will see the counselor's answer here."))
            return redirect(created)
    context = {
        "form": form,
        "patient": patient,
        "several_patients": len(patients) > 1,
        "counselor_names": names,
        "show_counselor": len(names) > 1,
        "horizon_days": HORIZON_DAYS,
        "tz": timezone.get_current_timezone(),
        "has_counselor": bool(counselor_ids),
    }
    return render(request, "scheduling/request_form.html", context)


def render_request_detail(
    request: PortalRequest,
    session_request: SessionRequest,
    *,
    confirm_form: ConfirmForm | None = None,
    decline_form: DeclineForm | None = None,
    status: int = 200,
) -> HttpResponse:
    staff = request.user.is_care_staff
    context: dict[str, Any] = {
        "req": session_request,
        "is_staff_view": staff,
        "tz": timezone.get_current_timezone(),
    }
    if staff and session_request.is_pending:
        context["confirm_form"] = confirm_form or ConfirmForm(
            proposed=session_request.proposed_datetimes, initial={"modality": session_request.modality}
        )
        context["decline_form"] = decline_form or DeclineForm()
    return render(request, "scheduling/request_detail.html", context, status=status)


@in_viewer_time_zone
def request_detail(request: PortalRequest, pk: Any) -> HttpResponse:
    return render_request_detail(request, get_request_for(request, pk))


@require_POST
@family_only
def request_withdraw(request: PortalRequest, pk: Any) -> HttpResponse:
    session_request = get_request_for(request, pk)
    try:
        withdraw_request(requester=request.user, session_request=session_request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Your request is withdrawn."))
    return redirect(session_request)
