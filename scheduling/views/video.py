""" "Join" for the portal's own video rooms (``scheduling/video.py``): a POST that checks, at that moment, that the
person takes part and that the consent gate still lets them see the session, then redirects to the room with a
freshly signed token.

- Not a participant (and not on the care team), or only on the waiting list (no place yet): 404, like any object
  one may not see (AZ-03); the page offers a person waiting no "Join".
- A participant whose sharing no longer covers sessions (consent revoked, ended or narrowed): a refusal page
  (403), the refusal audited by the gate (``DISCLOSURE_REFUSED``), no token.
- Before the room opens (15 minutes ahead of the start), after the session's end, or a cancelled session: back
  to the session's page with a message saying why, no token.

The room name travels only in the ``Location`` of the 302: never in a page, a log line or a message.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from consent.audit import record_audit
from consent.gate import DisclosureRefused, require_disclosure
from consent.models import AuditEvent, Disclosure, Scope
from family_portal.requests import PortalRequest
from scheduling.access import get_staff_session, in_viewer_time_zone
from scheduling.models import FamilySession, Participant
from scheduling.video import RoomWindow, join_token, portal_rooms_enabled, room_url

WHAT = "Family session video room"


@require_POST
@in_viewer_time_zone
def video_join(request: PortalRequest, pk: Any) -> HttpResponse:
    """Mint a token for the viewer and send them to the session's room, or say why not."""
    user = request.user
    session = get_staff_session(request, pk) if user.is_care_staff else _participant_session(request, pk)
    if session is None:
        return render(request, "scheduling/video_refused.html", status=403)
    if not session.has_portal_room:
        raise Http404("Not found")
    now = timezone.now()
    window = RoomWindow.for_session(session)
    if not session.is_scheduled:
        messages.error(request, _("This session is cancelled, so its video room is closed."))
    elif now < window.opens:
        messages.info(request, _("The video room opens 15 minutes before the start. Please come back then."))
    elif now >= window.closes:
        messages.info(request, _("This session has ended, so its video room is closed."))
    else:
        return HttpResponseRedirect(room_url(session, join_token(session=session, user=user, now=now)))
    return HttpResponseRedirect(session.get_absolute_url())


def _participant_session(request: PortalRequest, pk: Any) -> FamilySession | None:
    """The session if the viewer takes part in it and the gate allows it now; ``None`` when their participation
    stands but the gate refuses (the refusal audited); 404 when they do not take part."""
    user = request.user
    participant = (
        Participant.objects.current()
        .filter(session_id=pk, user=user)
        .exclude(rsvp=Participant.Rsvp.WAITLISTED)  # a person waiting has no place in the room yet
        .select_related("session__program", "session__patient", "via_patient")
        .first()
    )
    if participant is None:
        raise Http404("Not found")
    session = participant.session
    patient = session.patient or participant.via_patient
    try:
        if patient is not None:
            require_disclosure(user, patient, Scope.SCHEDULE, what=WHAT, request=request)
        elif not FamilySession.objects.visible_to(user).filter(pk=session.pk).exists():
            record_audit(
                kind=AuditEvent.Kind.DISCLOSURE_REFUSED,
                actor=user,
                request=request,
                data={"scope": Scope.SCHEDULE, "channel": Disclosure.Channel.WEB, "session": str(session.pk)},
            )
            return None
    except DisclosureRefused:
        return None
    return session


def allows_join_redirect(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let a page's "Join" form end at the Jitsi server: browsers apply the page's CSP ``form-action`` to the
    redirect that follows the POST, so the page names the Jitsi origin there (only while portal rooms are on)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if portal_rooms_enabled() and settings.JITSI_BASE_URL:
            parts = urlsplit(settings.JITSI_BASE_URL)
            policy = getattr(response, "_csp_config", settings.SECURE_CSP) or {}
            allowed = [*policy.get("form-action", []), f"{parts.scheme}://{parts.netloc}"]
            response._csp_config = {**policy, "form-action": allowed}  # type: ignore[attr-defined]
        return response

    return wrapper
