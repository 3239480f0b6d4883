"""Dashboard cards: a family member's next sessions with RSVP buttons and notices; a counselor's day and week."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import cast

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from consent.gate import visibility
from consent.models import Scope
from family_portal.dashboard import Card, PreparedWithIds, disclose, visible_patient_ids
from family_portal.requests import PortalRequest
from scheduling.access import viewer_tz
from scheduling.models import FamilySession, Participant, SessionNotice, SessionRequest
from scheduling.views.sessions import family_sessions, staff_sessions, with_my_answers

NEXT_SESSIONS = 3
NOTICES = 5


def cards(request: HttpRequest) -> list[Card]:
    if not request.user.is_authenticated:
        return []
    portal_request = cast(PortalRequest, request)
    if portal_request.user.is_care_staff:
        return [_staff_card(portal_request)]
    return _family_cards(portal_request)


def _staff_card(request: PortalRequest) -> Card:
    user = request.user
    tz = viewer_tz(user)
    now = timezone.now()
    today = now.astimezone(tz).date()
    day_start = datetime.combine(today, time.min, tzinfo=tz)
    week_end = datetime.combine(today + timedelta(days=7 - today.weekday()), time.min, tzinfo=tz)
    sessions = staff_sessions(user).scheduled().filter(counselors=user)
    week = list(sessions.overlapping(day_start, week_end).order_by("starts_at")[:50])
    tomorrow = day_start + timedelta(days=1)
    pending = list(
        SessionRequest.objects.visible_to(user).pending().select_related("patient").order_by("created_at")[:5]
    )
    context = {
        "tz": tz,
        "today": [s for s in week if s.starts_at < tomorrow],
        "later_this_week": [s for s in week if s.starts_at >= tomorrow],
        "pending": pending,
    }
    return Card(_("Family sessions"), "scheduling/cards/staff.html", context, order=30)


def _family_cards(request: PortalRequest) -> list[Card]:
    user = request.user
    now = timezone.now()
    if not user.is_patient and not visible_patient_ids(request, Scope.SCHEDULE):
        # A learner sees nothing that hints at a patient, not even an empty sessions card (and, with no patient
        # to see, ``FamilySession.objects.visible_to`` is empty for them too). A patient always sees their own.
        return []
    upcoming, notices = _family_rows(request, now)
    disclose(request, {s.patient_id for s in upcoming}, Scope.SCHEDULE, what="Upcoming family sessions (home page)")
    context = {
        "tz": viewer_tz(user, upcoming[0].program if upcoming else None),
        "upcoming": upcoming,
        "notices": notices,
        "may_request": user.is_family,
        "rsvp_choices": Participant.answer_choices(),
        "next": request.get_full_path(),
    }
    return [Card(_("Your family sessions"), "scheduling/cards/family.html", context, order=20)]


def _family_rows(request: PortalRequest, now: datetime) -> tuple[list[FamilySession], list[SessionNotice]]:
    """The next sessions and the unread notices the viewer may see: for a family member, the prepared queries
    below with the gate's answer (remembered for the request); for anyone else, or ids that do not fit, the ORM."""
    user = request.user
    if user.is_family and user.is_active and (programs := visibility(user).program_ids(Scope.SCHEDULE)) is not None:
        ids = {"patient": visible_patient_ids(request, Scope.SCHEDULE), "program": programs}
        upcoming = _PREPARED_UPCOMING.rows(ids, user=user.pk, now=now)
        notices = _PREPARED_NOTICES.rows(ids, user=user.pk)
        if upcoming is not None and notices is not None:
            return upcoming, notices
    # No names on the home page: neither the counselors nor the patient are read (only the program, for its zone).
    sessions = family_sessions(user).prefetch_related(None).select_related(None).select_related("program")
    return (
        list(sessions.scheduled().upcoming(now)[:NEXT_SESSIONS]),
        list(SessionNotice.objects.visible_to(user).unread().select_related("session", "request")[:NOTICES]),
    )


def _upcoming_query(ids: dict[str, list[int]], user: int, now: datetime) -> QuerySet[FamilySession]:
    """The family branch of ``_family_rows``'s ORM query, from the gate's ids (the same SQL: tested)."""
    sessions = FamilySession.objects.seen_by_family_member(user, ids["patient"], ids["program"])
    return with_my_answers(sessions.select_related("program"), user).scheduled().upcoming(now)[:NEXT_SESSIONS]


def _notices_query(ids: dict[str, list[int]], user: int) -> QuerySet[SessionNotice]:
    """``SessionNotice.objects.visible_to`` for a family member, from the gate's ids (the same SQL: tested)."""
    sessions = FamilySession.objects.seen_by_family_member(user, ids["patient"], ids["program"])
    # The patients as ``consent.gate.visible_patients`` gives them to ``SessionRequest.objects.visible_to``.
    patients = User.objects.filter(role=User.Role.PATIENT).filter(pk__in=ids["patient"])
    requests = SessionRequest.objects.asked_by(user, patients)
    notices = SessionNotice.objects.about(user, sessions, requests).unread()
    return notices.select_related("session", "request")[:NOTICES]


_PREPARED_UPCOMING = PreparedWithIds(_upcoming_query, user=int, now=datetime)
_PREPARED_NOTICES = PreparedWithIds(_notices_query, user=int)
