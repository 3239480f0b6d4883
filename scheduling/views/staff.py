"""Counselor pages: book, move, cancel, invite, attendance, week view, availability and request answers."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.models import User
from consent.gate import visible_patients
from consent.models import Scope
from family_portal.form_errors import show_errors
from family_portal.requests import PortalRequest
from family_portal.staff_guard import staff_required
from scheduling.access import get_staff_request, get_staff_session, in_viewer_time_zone
from scheduling.forms import (
    AttendanceForm,
    AvailabilityForm,
    CancelForm,
    ChoosePatientForm,
    ConfirmForm,
    DeclineForm,
    InviteForm,
    RepeatForm,
    RescheduleForm,
    SessionForm,
    TimeOffForm,
    WeekForm,
)
from scheduling.models import Availability, AvailabilityException, FamilySession
from scheduling.services import (
    cancel_session,
    confirm_request,
    decline_request,
    invite_family_members,
    invite_to_following,
    record_attendance,
    remove_participant,
    reschedule_session,
    schedule_group_session,
    schedule_session,
)
from scheduling.summaries import group_invites_summary
from scheduling.views.series import book_series
from scheduling.views.sessions import staff_sessions


@staff_required
@in_viewer_time_zone
def session_create(request: PortalRequest) -> HttpResponse:
    """Step 1 chooses the patient (or an open event); step 2 books the session and invites the family."""
    user = request.user
    patient: User | None = None
    if request.GET.get("patient"):
        patient = visible_patients(user, Scope.SCHEDULE).filter(pk=_int(request.GET["patient"])).first()
        if patient is None:
            raise Http404("Not found")
    elif request.GET.get("open") != "1":
        return render(request, "scheduling/session_choose_patient.html", {"form": ChoosePatientForm(user=user)})
    group_patients = visible_patients(user, Scope.SCHEDULE) if patient is None else None
    form = SessionForm(request.POST or None, patient=patient, group_patients=group_patients)
    repeat_form = RepeatForm(request.POST or None, prefix="repeat")
    valid = request.method == "POST" and form.is_valid() and repeat_form.is_valid()
    if valid and repeat_form.repeats:
        return book_series(request, form, repeat_form, patient)
    if valid and form.cleaned_data.get("patients"):
        return _book_group(request, form)
    if valid:
        data = form.cleaned_data
        try:
            session = schedule_session(
                actor=user,
                kind=data["kind"],
                starts_at=data["starts_at"],
                ends_at=data["starts_at"] + timedelta(minutes=data["duration"]),
                modality=data["modality"],
                location=data["location"],
                join_url=data["join_url"],
                capacity=data["capacity"],
                patient=patient,
                family_members=data.get("family_members") or [],
                include_patient=bool(data.get("include_patient")),
                staff_notes=data["staff_notes"],
                title=data["title"],
                description=data["description"],
            )
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("The session is booked and the invitations are sent."))
            return redirect(session)
    return render(
        request,
        "scheduling/session_form.html",
        {"form": form, "repeat_form": repeat_form, "patient": patient, "tz": timezone.get_current_timezone()},
    )


def _book_group(request: PortalRequest, form: SessionForm) -> HttpResponse:
    """Book a multi-family group for the chosen patients' families and say truthfully whom it told."""
    data = form.cleaned_data
    try:
        session, outcome = schedule_group_session(
            actor=request.user,
            patients=list(data["patients"]),
            title=data["title"],
            description=data["description"],
            starts_at=data["starts_at"],
            ends_at=data["starts_at"] + timedelta(minutes=data["duration"]),
            modality=data["modality"],
            location=data["location"],
            join_url=data["join_url"],
            capacity=data["capacity"],
            staff_notes=data["staff_notes"],
        )
    except ValidationError as exc:
        show_errors(form, exc)
        return render(
            request,
            "scheduling/session_form.html",
            {
                "form": form,
                "repeat_form": RepeatForm(request.POST, prefix="repeat"),
                "patient": None,
                "tz": timezone.get_current_timezone(),
            },
        )
    messages.success(request, group_invites_summary(outcome.as_dict()))
    return redirect(session)


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise Http404("Not found") from None


@staff_required
@in_viewer_time_zone
def session_reschedule(request: PortalRequest, pk: Any) -> HttpResponse:
    session = get_staff_session(request, pk)
    initial = {"starts_at": timezone.localtime(session.starts_at), "duration": session.duration_minutes}
    form = RescheduleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        starts_at = form.cleaned_data["starts_at"]
        try:
            reschedule_session(
                actor=request.user,
                session=session,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=form.cleaned_data["duration"]),
            )
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            messages.success(
                request, _("The session has moved. Participants are told in the portal and by email or text.")
            )
            return redirect(session)
    return render(request, "scheduling/session_reschedule.html", {"form": form, "session": session})


@staff_required
@in_viewer_time_zone
def session_cancel(request: PortalRequest, pk: Any) -> HttpResponse:
    session = get_staff_session(request, pk)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cancel_session(actor=request.user, session=session, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            messages.success(
                request, _("The session is cancelled. Participants are told in the portal and by email or text.")
            )
            return redirect(session)
    return render(request, "scheduling/session_cancel.html", {"form": form, "session": session})


@staff_required
@in_viewer_time_zone
def session_attendance(request: PortalRequest, pk: Any) -> HttpResponse:
    session = get_staff_session(request, pk)
    participants = list(session.participants.current().select_related("user"))
    form = AttendanceForm(request.POST or None, participants=participants)
    if request.method == "POST" and form.is_valid():
        try:
            record_attendance(actor=request.user, session=session, marks=form.marks())
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("Attendance is saved."))
            return redirect(session)
    return render(request, "scheduling/session_attendance.html", {"form": form, "session": session})


@staff_required
@require_POST
def session_invite(request: PortalRequest, pk: Any) -> HttpResponse:
    session = get_staff_session(request, pk)
    form = InviteForm(request.POST, session=session)
    if form.is_valid():
        try:
            invite = invite_to_following if form.cleaned_data.get("following") else invite_family_members
            added = invite(actor=request.user, session=session, members=form.cleaned_data["members"])
            people = len({participant.user_id for participant in added})
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                ngettext("Invited %(count)d more person.", "Invited %(count)d more people.", people)
                % {"count": people},
            )
    else:
        messages.error(request, _("Choose at least one family member to invite."))
    return redirect(session)


@staff_required
@require_POST
def participant_remove(request: PortalRequest, pk: Any) -> HttpResponse:
    session = get_staff_session(request, pk)
    participant = session.participants.current().filter(pk=_int(request.POST.get("participant", ""))).first()
    if participant is None:
        raise Http404("Not found")
    remove_participant(actor=request.user, participant=participant)
    messages.success(request, _("Removed from the session; they will get no more reminders for it."))
    return redirect(session)


@staff_required
@in_viewer_time_zone
def counselor_week(request: PortalRequest) -> HttpResponse:
    """Seven local days starting Monday; one query for the sessions, whatever their number. A ``?week=`` that is
    not a day in the portal's range shows this week with the reason, as a 400."""
    today = timezone.localdate()
    form = WeekForm(request.GET)
    anchor = (form.cleaned_data["week"] if form.is_valid() else None) or today
    monday = anchor - timedelta(days=anchor.weekday())
    tz = timezone.get_current_timezone()
    start = datetime.combine(monday, datetime.min.time(), tzinfo=tz)
    end = datetime.combine(monday + timedelta(days=7), datetime.min.time(), tzinfo=tz)
    sessions = list(staff_sessions(request.user).overlapping(start, end).order_by("starts_at"))
    days = [monday + timedelta(days=i) for i in range(7)]
    by_day: dict[date, list[FamilySession]] = {day: [] for day in days}
    for session in sessions:
        local_day = timezone.localtime(session.starts_at).date()
        if local_day in by_day:
            by_day[local_day].append(session)
    context = {
        "days": [(day, by_day[day]) for day in days],
        "monday": monday,
        "previous_week": monday - timedelta(days=7),
        "next_week": monday + timedelta(days=7),
        "today": today,
        "tz": tz,
        "week_errors": form.errors.get("week", []),
    }
    return render(request, "scheduling/week.html", context, status=400 if form.errors else 200)


@staff_required
@in_viewer_time_zone
def availability(request: PortalRequest) -> HttpResponse:
    """Weekly hours (wall-clock in a time zone, so DST keeps them; weekends and evenings until 10 PM, in the
    program's zone unless the counselor picks another) and time off for the signed-in counselor."""
    user = request.user
    tz_name = user.program.time_zone if user.program else str(timezone.get_current_timezone())  # the program's
    action = request.POST.get("action", "")
    hours_form = AvailabilityForm(
        request.POST if action == "add_hours" else None, initial={"time_zone": tz_name, "slot_minutes": 60}
    )
    off_form = TimeOffForm(request.POST if action == "add_time_off" else None, prefix="off")
    if request.method == "POST":
        if action == "add_hours" and hours_form.is_valid():
            row = hours_form.save(commit=False)
            row.counselor = user
            row.save()
            messages.success(request, _("Your weekly hours are saved."))
            return redirect("scheduling:availability")
        if action == "add_time_off" and off_form.is_valid():
            row = off_form.save(commit=False)
            row.counselor = user
            row.save()
            messages.success(request, _("Your time off is saved. No new bookings can be made in that period."))
            return redirect("scheduling:availability")
        if action == "delete_hours":
            Availability.objects.filter(counselor=user, pk=_int(request.POST.get("id", ""))).delete()
            messages.success(request, _("Those weekly hours are removed."))
            return redirect("scheduling:availability")
        if action == "delete_time_off":
            AvailabilityException.objects.filter(counselor=user, pk=_int(request.POST.get("id", ""))).delete()
            messages.success(request, _("That time off is removed."))
            return redirect("scheduling:availability")
    context = {
        "hours": list(Availability.objects.filter(counselor=user)),
        "time_off": list(AvailabilityException.objects.filter(counselor=user, ends_at__gt=timezone.now())),
        "hours_form": hours_form,
        "off_form": off_form,
        "tz": timezone.get_current_timezone(),
    }
    return render(request, "scheduling/availability.html", context)


@staff_required
@require_POST
@in_viewer_time_zone
def request_confirm(request: PortalRequest, pk: Any) -> HttpResponse:
    session_request = get_staff_request(request, pk)
    form = ConfirmForm(request.POST, proposed=session_request.proposed_datetimes)
    if form.is_valid():
        try:
            session = confirm_request(
                actor=request.user,
                session_request=session_request,
                starts_at=form.chosen_start(),
                modality=form.cleaned_data["modality"],
                location=form.cleaned_data["location"],
                join_url=form.cleaned_data["join_url"],
                message=form.cleaned_data["message"],
            )
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("Confirmed. The family sees the session and gets reminders."))
            return redirect(session)
    from scheduling.views.requests import render_request_detail

    return render_request_detail(request, session_request, confirm_form=form, status=400)


@staff_required
@require_POST
@in_viewer_time_zone
def request_decline(request: PortalRequest, pk: Any) -> HttpResponse:
    session_request = get_staff_request(request, pk)
    form = DeclineForm(request.POST)
    if form.is_valid():
        try:
            decline_request(actor=request.user, session_request=session_request, message=form.cleaned_data["message"])
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("The family will see your message in the portal."))
            return HttpResponseRedirect(reverse("scheduling:session_list"))
    from scheduling.views.requests import render_request_detail

    return render_request_detail(request, session_request, decline_form=form, status=400)
