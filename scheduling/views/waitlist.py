"""The waiting list's pages: a counselor changes a group's number of places; a family member leaves the list."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from family_portal.requests import PortalRequest
from family_portal.staff_guard import staff_required
from scheduling.access import family_only, get_session_for, get_staff_session
from scheduling.forms import CapacityForm
from scheduling.services import change_capacity, leave_waitlist


@staff_required
@require_POST
def session_capacity(request: PortalRequest, pk: Any) -> HttpResponse:
    """Change a group's places; people waiting are promoted at once when places open."""
    session = get_staff_session(request, pk)
    form = CapacityForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(error) for error in form.errors.get("capacity", [])))
        return redirect(session)
    try:
        promoted = change_capacity(actor=request.user, session=session, capacity=form.cleaned_data["capacity"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        message = _("The number of places is saved.")
        if promoted:
            message += " " + ngettext(
                "%(count)d person from the waiting list has a place now and is told.",
                "%(count)d people from the waiting list have a place now and are told.",
                len(promoted),
            ) % {"count": len(promoted)}
        messages.success(request, message)
    return redirect(session)


@require_POST
@family_only
def waitlist_leave(request: PortalRequest, pk: Any) -> HttpResponse:
    """A family member takes themselves off the waiting list."""
    session = get_session_for(request, pk, what="Family session waiting list")
    try:
        leave_waitlist(user=request.user, session=session)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("You have left the waiting list."))
    return redirect(session)
