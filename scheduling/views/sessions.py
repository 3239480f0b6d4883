"""Pages every role shares: the session list, a session's page, RSVP, the .ics download and notices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import CharField, Count, OuterRef, Q, Subquery, Value, prefetch_related_objects
from django.db.models.functions import Coalesce, NullIf
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from consent.gate import care_team_patients
from consent.models import Disclosure
from family_portal.requests import PortalRequest
from scheduling.access import get_session_for, in_viewer_time_zone, record_list_disclosures
from scheduling.calendar_links import calendar_links
from scheduling.family_list import listed_sessions
from scheduling.family_queries import FamilyQuery
from scheduling.forms import CapacityForm, InviteForm, RsvpForm
from scheduling.ics import build_calendar
from scheduling.models import FamilySession, FamilySessionQuerySet, Participant, SessionNotice, SessionRequest
from scheduling.services import mark_notices_read, respond_rsvp, waiting_position
from scheduling.summaries import group_invites_summary
from scheduling.views.video import allows_join_redirect

UPCOMING_LIMIT = 100
PAST_PER_PAGE = 20
PAST_PAGE_DIGITS = 6  # a longer "page" is no page of anyone's history: read as malformed


@dataclass(frozen=True)
class PastPage:
    """One page of past sessions, newest first; "Newer" is the page before, "Older" the page after."""

    sessions: list[FamilySession]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


def past_page_number(request: PortalRequest) -> int:
    """The requested page of past sessions; a missing or malformed number (not ASCII digits, 0, too long) is 1."""
    raw = request.GET.get("page", "")
    if raw.isascii() and raw.isdigit() and len(raw) <= PAST_PAGE_DIGITS:
        return max(int(raw), 1)
    return 1


def past_page(sessions: FamilySessionQuerySet, number: int) -> PastPage:
    """One query however deep the page: the page's rows plus one to tell whether an older page exists (no COUNT).
    A page past the end is a 404, never an empty page that looks like "no past sessions"."""
    start = (number - 1) * PAST_PER_PAGE
    return _page_of(list(sessions[start : start + PAST_PER_PAGE + 1]), number)


def _page_of(rows: list[FamilySession], number: int) -> PastPage:
    """The page from its rows plus the one after it, if any (``past_page``); 404 for a page past the end."""
    if number > 1 and not rows:
        raise Http404(_("There is no such page of past sessions."))
    return PastPage(sessions=rows[:PAST_PER_PAGE], number=number, has_next=len(rows) > PAST_PER_PAGE)


def family_schedule(user: Any, now: datetime, number: int) -> tuple[list[FamilySession], PastPage]:
    """The family list's upcoming sessions (soonest first, at most ``UPCOMING_LIMIT``) and its page ``number`` of past
    sessions (newest first, as ``past_page``), with their counselors' names, in one query: each list's sessions are
    chosen by its own sliced subquery. Open events of the program are listed once past only if the viewer answered
    them. The first page's SQL is compiled once per process (``scheduling.family_queries``)."""
    rows = _FIRST_PAGE.rows(user, now) if number == 1 else None
    listed = _by_session(list(_schedule_rows(user, now, number)) if rows is None else rows)
    ended = [s for s in reversed(listed) if s.ends_at <= now]
    return [s for s in listed if s.ends_at > now], _page_of(ended, number)


def _schedule_rows(user: Any, now: datetime, number: int) -> Any:
    """``family_schedule``'s query: a row per session and counselor (``_counselor_rows``)."""
    sessions = family_sessions(user).prefetch_related(None)
    upcoming = sessions.upcoming(now).order_by("starts_at", "pk").values("pk")[:UPCOMING_LIMIT]
    start = (number - 1) * PAST_PER_PAGE
    past = (
        sessions.past(now)
        .filter(Q(patient__isnull=False) | Q(my_rsvp__isnull=False))
        .order_by("-starts_at", "-pk")
        .values("pk")[start : start + PAST_PER_PAGE + 1]
    )
    # Every pk comes from a ``visible_to`` subquery: the outer query needs no second visibility filter.
    chosen = FamilySession.objects.filter(Q(pk__in=upcoming) | Q(pk__in=past)).select_related("patient", "program")
    return _counselor_rows(with_my_answers(chosen, user))


_FIRST_PAGE = FamilyQuery(lambda user, now: _schedule_rows(user, now, 1))
_REQUESTS = FamilyQuery(lambda user, now: SessionRequest.objects.visible_to(user).select_related("session")[:20])
_NOTICES = FamilyQuery(
    lambda user, now: SessionNotice.objects.visible_to(user).select_related("session", "request")[:10]
)


def with_counselor_names(sessions: FamilySessionQuerySet) -> list[FamilySession]:
    """The sessions, soonest first, each with ``counselor_names``: its counselors' display names
    (``User.display_name``) in the users' order (full name, email). One query with a row per session and counselor,
    sorted by the database (no prefetch; no ordered aggregate either, which SQLite before 3.44 lacks)."""
    return _by_session(list(_counselor_rows(sessions)))


def _counselor_rows(sessions: FamilySessionQuerySet) -> Any:
    name = Coalesce(
        NullIf("counselors__preferred_name", Value("")),
        NullIf("counselors__full_name", Value("")),
        "counselors__email",
        output_field=CharField(),
    )
    return sessions.annotate(counselor_name=name).order_by(
        "starts_at", "pk", "counselors__full_name", "counselors__email"
    )


def _by_session(rows: list[Any]) -> list[FamilySession]:
    """One session per run of rows of ``_counselor_rows``, with the run's names in ``counselor_names``."""
    listed: dict[Any, FamilySession] = {}
    for row in rows:
        session = listed.setdefault(row.pk, row)
        if session is row:
            session.counselor_names = []  # type: ignore[attr-defined]
        if row.counselor_name is not None:
            session.counselor_names.append(row.counselor_name)  # type: ignore[attr-defined]
    return list(listed.values())


def with_my_answers(sessions: FamilySessionQuerySet, user: Any) -> FamilySessionQuerySet:
    """Annotate the viewer's own RSVP and attendance without a query per session."""
    mine = Participant.objects.current().filter(session=OuterRef("pk"), user=user)
    return sessions.annotate(
        my_rsvp=Subquery(mine.values("rsvp")[:1]), my_attendance=Subquery(mine.values("attendance")[:1])
    )


def with_counts(sessions: FamilySessionQuerySet) -> FamilySessionQuerySet:
    current = Q(participants__removed_at__isnull=True)
    return sessions.annotate(
        invited_count=Count("participants", filter=current),
        going_count=Count("participants", filter=current & Q(participants__rsvp=Participant.Rsvp.ACCEPTED)),
        waiting_count=Count("participants", filter=current & Q(participants__rsvp=Participant.Rsvp.WAITLISTED)),
    )


def family_sessions(user: Any) -> FamilySessionQuerySet:
    """Sessions for the family/patient list: theirs, plus open events of the program."""
    return with_my_answers(
        FamilySession.objects.visible_to(user).select_related("patient", "program").prefetch_related("counselors"), user
    )


def staff_sessions(user: Any) -> FamilySessionQuerySet:
    return with_counts(FamilySession.objects.visible_to(user).select_related("patient").prefetch_related("counselors"))


@in_viewer_time_zone
def session_list(request: PortalRequest) -> HttpResponse:
    """Upcoming and past sessions, shaped for the viewer's role (nav link for everyone)."""
    user = request.user
    now = timezone.now()
    context: dict[str, Any] = {"tz": timezone.get_current_timezone(), "now": now}
    if user.is_care_staff:
        sessions = staff_sessions(user).prefetch_related(None)  # counselors: one prefetch for both lists below
        context["upcoming"] = list(sessions.upcoming(now)[:UPCOMING_LIMIT])
        context["past_page"] = page = past_page(sessions.past(now), past_page_number(request))
        context["past"] = page.sessions
        prefetch_related_objects(context["upcoming"] + context["past"], "counselors")
        context["pending_requests"] = list(
            SessionRequest.objects.visible_to(user)
            .pending()
            .select_related("patient", "requested_by")
            .order_by("created_at")[:50]
        )
        return render(request, "scheduling/session_list_staff.html", context)
    upcoming, page = family_schedule(user, now, past_page_number(request))
    past = page.sessions
    record_list_disclosures(user, upcoming + past, what="Family session dates and times")
    context.update(
        upcoming=listed_sessions(upcoming, user, past=False),
        past=listed_sessions(past, user, past=True),
        past_page=page,
        requests=_family_rows(_REQUESTS, user, now) if user.is_family else [],
        notices=_family_rows(_NOTICES, user, now),
        may_request=user.is_family and bool(upcoming or past or _has_schedule_patients(user)),
    )
    return render(request, "scheduling/session_list.html", context)


def _family_rows(query: FamilyQuery, user: Any, now: datetime) -> list[Any]:
    """``query``'s rows, through its compiled SQL where the viewer's answer fits it, else the ORM's."""
    rows = query.rows(user, now)
    return list(query.build(user, now)) if rows is None else rows


def _has_schedule_patients(user: Any) -> bool:
    from consent.gate import visible_patients
    from consent.models import Scope

    return visible_patients(user, Scope.SCHEDULE).exists()


@allows_join_redirect
@in_viewer_time_zone
def session_detail(request: PortalRequest, pk: Any) -> HttpResponse:
    user = request.user
    session = get_session_for(request, pk, what="Family session details")
    me = Participant.objects.current().filter(session=session, user=user).first()
    context: dict[str, Any] = {
        "session": session,
        "me": me,
        "tz": timezone.get_current_timezone(),
        "counselors": list(session.counselors.all()),
        "is_staff_view": user.is_care_staff,
        "may_answer": session.is_scheduled
        and session.starts_at > timezone.now()
        and (me is not None or (session.is_open_event and user.is_family)),
        "rsvp_choices": Participant.answer_choices(),
        "calendar_links": calendar_links(session)
        if session.is_scheduled and me is not None and not me.is_waiting and session.ends_at > timezone.now()
        else [],
        "waiting_position": waiting_position(me) if me is not None and me.is_waiting else None,
    }
    if user.is_care_staff:
        everyone = list(session.participants.current().select_related("user"))
        seen = set(care_team_patients(user).values_list("pk", flat=True))
        context["participants"] = [p for p in everyone if p.via_patient_id is None or p.via_patient_id in seen]
        context["others_count"] = len(everyone) - len(context["participants"])
        context["invite_summary"] = group_invites_summary(session.invite_summary)
        context.update(places_context(session, everyone, shown=context["participants"]))
        context["may_record_attendance"] = (
            session.status != FamilySession.Status.CANCELLED and session.starts_at <= timezone.now()
        )
        context["invite_form"] = (
            InviteForm(session=session) if session.patient_id is not None and session.is_scheduled else None
        )
        template = "scheduling/session_detail_staff.html"
    else:
        template = "scheduling/session_detail.html"
    return render(request, template, context)


def places_context(session: FamilySession, everyone: list[Participant], *, shown: list[Participant]) -> dict[str, Any]:
    """Going and waiting counts, and the waiting list in order (the staff member's own families by name, with their
    turn; the others counted), from the participants already loaded: no query."""
    waiting = sorted((p for p in everyone if p.is_waiting), key=lambda p: (p.waitlisted_at, p.pk))
    named = {p.pk for p in shown}
    return {
        "going_count": sum(1 for p in everyone if p.rsvp == Participant.Rsvp.ACCEPTED),
        "waiting_count": len(waiting),
        "waiting": [(turn, p) for turn, p in enumerate(waiting, start=1) if p.pk in named],
        "capacity_form": CapacityForm(initial={"capacity": session.capacity})
        if session.is_group and session.is_scheduled
        else None,
    }


def _safe_next(request: PortalRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


@require_POST
@in_viewer_time_zone
def rsvp(request: PortalRequest, pk: Any) -> HttpResponse:
    """Going / maybe / not going; works from the session page and the dashboard card."""
    session = get_session_for(request, pk, what="Family session RSVP")
    form = RsvpForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please choose going, maybe or not going."))
    else:
        try:
            participant = respond_rsvp(user=request.user, session=session, response=form.cleaned_data["response"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if participant.is_waiting:
                messages.info(
                    request,
                    _("This session is full. You are number %(position)d on the waiting list.")
                    % {"position": waiting_position(participant)},
                )
                return HttpResponseRedirect(_safe_next(request, session.get_absolute_url()))
            messages.success(
                request,
                _("Thank you. Your answer is saved: %(answer)s.") % {"answer": participant.get_rsvp_display()},
            )
    return HttpResponseRedirect(_safe_next(request, session.get_absolute_url()))


def session_ics(request: PortalRequest, pk: Any) -> HttpResponse:
    """A neutral .ics file for one session ("Appointment", a sign-in link, nothing else)."""
    session = get_session_for(
        request, pk, what="Calendar file for a family session", channel=Disclosure.Channel.CALENDAR
    )
    occurrences = [session]
    if session.series_id is not None:  # the whole recurring event, as far as the viewer may see it
        occurrences = list(
            FamilySession.objects.visible_to(request.user).filter(series_id=session.series_id).select_related("series")
        )
    response = HttpResponse(build_calendar(occurrences), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="appointment.ics"'
    return response


@require_POST
def notices_read(request: PortalRequest) -> HttpResponse:
    mark_notices_read(user=request.user)
    return HttpResponseRedirect(_safe_next(request, reverse("scheduling:session_list")))
