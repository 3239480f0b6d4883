"""Counselor pages for a series: book one from the booking form's "Repeat" part, change this and the following
occurrences, cancel this and the following ones or every future one. One occurrence is changed or cancelled on
the ordinary pages (``staff.session_reschedule``, ``staff.session_cancel``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from family_portal.form_errors import show_errors
from family_portal.requests import PortalRequest
from family_portal.staff_guard import staff_required
from scheduling.access import get_staff_session, in_viewer_time_zone
from scheduling.forms import RepeatForm, SeriesCancelForm, SessionForm
from scheduling.models import FamilySession
from scheduling.services import cancel_following, change_following, schedule_series
from scheduling.views.moving import move_page


def book_series(
    request: PortalRequest, form: SessionForm, repeat_form: RepeatForm, patient: User | None
) -> HttpResponse:
    """Book the whole series from a valid booking form; a refusal shows on the form and books nothing."""
    data = form.cleaned_data
    booking: dict[str, Any] = {
        "title": data["title"],
        "description": data["description"],
        "starts_at": data["starts_at"],
        "ends_at": data["starts_at"] + timedelta(minutes=data["duration"]),
        "modality": data["modality"],
        "location": data["location"],
        "join_url": data["join_url"],
        "capacity": data["capacity"],
        "staff_notes": data["staff_notes"],
    }
    if not data.get("patients"):
        booking.update(
            kind=data["kind"],
            patient=patient,
            family_members=data.get("family_members") or [],
            include_patient=bool(data.get("include_patient")),
        )
    try:
        series = schedule_series(
            actor=request.user, patients=list(data.get("patients") or []), **repeat_form.rule_arguments(), **booking
        )
    except ValidationError as exc:
        show_errors(form, exc)
        context = {"form": form, "repeat_form": repeat_form, "patient": patient, "tz": timezone.get_current_timezone()}
        return render(request, "scheduling/session_form.html", context)
    count = series.occurrences.count()
    messages.success(
        request,
        ngettext(
            "The series of %(count)d session is booked and the invitations are sent.",
            "The series of %(count)d sessions is booked and the invitations are sent.",
            count,
        )
        % {"count": count},
    )
    first_pk = series.occurrences.order_by("starts_at").values_list("pk", flat=True)[0]
    return redirect("scheduling:session_detail", pk=first_pk)


def _series_session(request: PortalRequest, pk: Any) -> FamilySession:
    session = get_staff_session(request, pk)
    if session.series_id is None:
        raise Http404("Not found")
    return session


@staff_required
@in_viewer_time_zone
def series_change(request: PortalRequest, pk: Any) -> HttpResponse:
    """Move this occurrence and the following ones to a new day and time."""
    session = _series_session(request, pk)
    return move_page(
        request,
        session,
        move=lambda starts_at, ends_at: change_following(
            actor=request.user, session=session, starts_at=starts_at, ends_at=ends_at
        ),
        moved=_("These sessions have moved. Participants are told in the portal and by email or text."),
        template="scheduling/series_change.html",
    )


@staff_required
@in_viewer_time_zone
def series_cancel(request: PortalRequest, pk: Any) -> HttpResponse:
    """Cancel this occurrence and the following ones, or every future occurrence of the series."""
    session = _series_session(request, pk)
    form = SeriesCancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            count = cancel_following(
                actor=request.user,
                session=session,
                reason=form.cleaned_data["reason"],
                whole_series=form.cleaned_data["scope"] == "all",
            )
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)d session is cancelled. Participants are told in the portal and by email or text.",
                    "%(count)d sessions are cancelled. Participants are told in the portal and by email or text.",
                    count,
                )
                % {"count": count},
            )
            return redirect("scheduling:session_detail", pk=session.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "session": session, "tz": timezone.get_current_timezone()}
    return render(request, "scheduling/series_cancel.html", context, status=status)
