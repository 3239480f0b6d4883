"""The private calendar subscription: a settings page to create, replace or stop it, and the feed itself."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db.models import Exists, OuterRef, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.models import User
from consent.models import Disclosure
from family_portal.requests import PortalRequest
from notifications.services import page_url
from scheduling.access import in_viewer_time_zone, record_list_disclosures
from scheduling.ics import build_calendar
from scheduling.models import CalendarFeed, FamilySession, Participant
from scheduling.services import feed_owner, issue_calendar_feed, revoke_calendar_feed

FEED_PAST = timedelta(days=60)
FEED_FUTURE = timedelta(days=366)


@in_viewer_time_zone
def feed_settings(request: PortalRequest) -> HttpResponse:
    """The address is shown once, right after it is made: only its hash is kept."""
    user = request.user
    new_url = ""
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "create":
            token = issue_calendar_feed(user=user)
            # From PORTAL_BASE_URL, never from the request's Host header.
            new_url = page_url(reverse("scheduling:calendar_feed", args=[token]))
        elif action == "revoke":
            if revoke_calendar_feed(user=user):
                messages.success(request, _("Your calendar link is turned off. Calendar apps will stop updating."))
            return redirect("scheduling:feed_settings")
    feed = CalendarFeed.objects.filter(user=user).first()
    return render(request, "scheduling/feed_settings.html", {"feed": feed, "new_url": new_url})


def feed_sessions(user: User) -> list[FamilySession]:
    """What a subscription shows: the user's own sessions (or the sessions a counselor leads) in a window,
    cancelled ones included so calendar apps remove them; for a series with an occurrence in the window, every
    occurrence the user takes part in (the calendar carries the whole recurring event)."""
    now = timezone.now()
    sessions = FamilySession.objects.visible_to(user)
    if getattr(user, "is_care_staff", False):
        sessions = sessions.filter(counselors=user)
    else:
        taking_part = Participant.objects.expecting_reminders().filter(session=OuterRef("pk"), user=user)
        sessions = sessions.filter(Exists(taking_part))
    in_window = Q(ends_at__gt=now - FEED_PAST, starts_at__lt=now + FEED_FUTURE)
    series_in_window = sessions.filter(in_window, series__isnull=False).values("series_id")
    chosen = sessions.filter(in_window | Q(series_id__in=series_in_window))
    return list(chosen.select_related("series").distinct().order_by("starts_at"))


@login_not_required
@never_cache
@require_GET
def calendar_feed(request: PortalRequest, token: str) -> HttpResponse:
    """Authenticated by the token alone. Consent is asked again on every fetch (the session query goes through
    the gate) and each disclosed patient's schedule is written to the ledger with channel "calendar"."""
    owner = feed_owner(token)
    if owner is None:
        raise Http404("Not found")
    sessions = feed_sessions(owner)
    record_list_disclosures(
        owner, sessions, what="Appointment times in a calendar subscription", channel=Disclosure.Channel.CALENDAR
    )
    with translation.override(owner.preferred_language):  # the subscriber's language, whoever's app fetches it
        body = build_calendar(sessions)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="appointments.ics"'
    response["Cache-Control"] = "no-store, private"
    response["X-Robots-Tag"] = "noindex"
    return response
