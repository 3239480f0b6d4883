"""The one "move to a new time" page flow shared by a single session and a series' this-and-following change."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from family_portal.form_errors import show_errors
from family_portal.requests import PortalRequest
from scheduling.forms import RescheduleForm
from scheduling.models import FamilySession


def move_page(
    request: PortalRequest,
    session: FamilySession,
    *,
    move: Callable[[datetime, datetime], Any],
    moved: str,
    template: str,
) -> HttpResponse:
    """Show the new-time form for ``session``; on a valid POST call ``move(starts_at, ends_at)`` (a service that
    raises ``ValidationError`` to refuse), say ``moved`` and go back to the session. A refusal or bad input shows
    the form again with its errors (400) and changes nothing."""
    initial = {"starts_at": timezone.localtime(session.starts_at), "duration": session.duration_minutes}
    form = RescheduleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        starts_at = form.cleaned_data["starts_at"]
        try:
            move(starts_at, starts_at + timedelta(minutes=form.cleaned_data["duration"]))
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, moved)
            return redirect("scheduling:session_detail", pk=session.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "session": session, "tz": timezone.get_current_timezone()}
    return render(request, template, context, status=status)
