"""Access functions for scheduling views: one per rule, each answering 404 when the gate says no (AZ-03). Staff pages
use the one staff guard, ``family_portal.staff_guard``."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone

from accounts.models import User
from consent.gate import require_disclosure, visibility, visible_patient_ids
from consent.ledger import record_disclosures
from consent.models import Disclosure, Scope
from family_portal.staff_guard import require_care_staff
from scheduling.models import FamilySession, SessionRequest

UTC = zoneinfo.ZoneInfo("UTC")


def viewer_tz(user: Any, program: Any = None) -> zoneinfo.ZoneInfo:
    """The viewer's own time zone, else their program's, else the session's program's, else UTC."""
    if getattr(user, "time_zone", ""):
        return zoneinfo.ZoneInfo(user.time_zone)
    if getattr(user, "program_id", None):
        return user.program.tz
    if program is None and getattr(user, "is_family", False):
        program = _first_patients_program(user)
    return program.tz if program is not None else UTC


def _first_patients_program(user: Any) -> Any:
    """The program of the first patient (lowest id) whose schedule the family member may see, if any."""
    ids = visible_patient_ids(user, Scope.SCHEDULE)
    if not ids:
        return None
    first = min(ids)
    loaded = next((c.patient for c in visibility(user).consents if c.patient_id == first), None)
    if loaded is None:  # seen through a personal representative's authority: not loaded with the consents
        loaded = User.objects.select_related("program").get(pk=first)
    return loaded.program


def in_viewer_time_zone(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Parse form times and render pages in the viewer's time zone."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with timezone.override(viewer_tz(request.user)):
            return view(request, *args, **kwargs)

    return wrapper


def family_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not getattr(request.user, "is_family", False):
            raise Http404("Not found")
        return view(request, *args, **kwargs)

    return wrapper


def get_session_for(
    request: HttpRequest,
    pk: Any,
    *,
    what: str,
    channel: str = Disclosure.Channel.WEB,
    queryset: Any = None,
) -> FamilySession:
    """The session if the viewer may see it, with the disclosure recorded; 404 otherwise (AZ-02, AZ-03)."""
    sessions = queryset if queryset is not None else FamilySession.objects.all()
    session = sessions.visible_to(request.user).select_related("program", "patient").filter(pk=pk).first()
    if session is None:
        raise Http404("Not found")
    if session.patient_id is not None:
        require_disclosure(request.user, session.patient, Scope.SCHEDULE, channel=channel, what=what, request=request)
    return session


def get_staff_session(request: HttpRequest, pk: Any) -> FamilySession:
    """A session on the staff member's caseload (or their program's open event); 404 for anyone else."""
    require_care_staff(request)
    return get_session_for(request, pk, what="Family session (staff)")


def get_request_for(request: HttpRequest, pk: Any) -> SessionRequest:
    """A session request the viewer may see: its requester while consent lasts, or the care team."""
    found = (
        SessionRequest.objects.visible_to(request.user)
        .select_related("patient", "requested_by", "counselor", "session")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404("Not found")
    require_disclosure(request.user, found.patient, Scope.SCHEDULE, what="Family session request", request=request)
    return found


def get_staff_request(request: HttpRequest, pk: Any) -> SessionRequest:
    """A request a care-team member may answer; 404 for anyone else, the requester included."""
    require_care_staff(request)
    return get_request_for(request, pk)


def record_list_disclosures(
    viewer: Any, sessions: Iterable[FamilySession], *, what: str, channel: str = Disclosure.Channel.WEB
) -> None:
    """One ledger row per patient whose sessions a family member was shown (§ 2.25); none for staff.

    Written in bulk (two queries however many patients the list spans)."""
    if not getattr(viewer, "is_family", False):
        return
    patient_ids = {session.patient_id for session in sessions if session.patient_id is not None}
    record_disclosures(viewer, patient_ids, Scope.SCHEDULE, what=what, channel=channel)
