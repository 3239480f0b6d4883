"""Pages of the family member's own weekly check-in, and the counselor's page of check-ins shared with them.

The family pages answer 404 to everyone but family members, and a check-in's pages to everyone but its author
(AZ-03): a patient, a representative acting for a patient and other family members never see someone else's
check-in. A check-in is not a disclosure about a patient, so nothing here writes to the consent ledger.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages as toasts
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import checkin_sharing
from accounts.checkin_forms import CheckInForm, SharingForm
from accounts.checkin_models import WellbeingCheckIn
from accounts.checkins import PHQ4_ITEMS, score_of, trend, week_start_for
from education.support_groups import groups_for_learner
from family_portal.requests import PortalRequest
from family_portal.staff_guard import counselor_required, refuse

TREND_WEEKS = 52  # a year of weeks on the page


def _require_family(request: PortalRequest) -> None:
    if not (request.user.is_active and request.user.is_family):
        refuse(request)


def _own_checkin(request: PortalRequest, checkin_id: Any) -> WellbeingCheckIn:
    """The signed-in family member's own check-in; the same 404 for another person's and a missing one."""
    _require_family(request)
    checkin = WellbeingCheckIn.objects.filter(pk=checkin_id, member=request.user).first()
    if checkin is None:
        refuse(request, checkin_id)
    return checkin


def checkin(request: PortalRequest) -> HttpResponse:
    """This week's check-in form (answering again in the same week replaces that week's answer) and the trend of
    every earlier week, as a table."""
    _require_family(request)
    user = request.user
    recent = list(WellbeingCheckIn.objects.filter(member=user).order_by("-week_start")[:TREND_WEEKS])
    this_week = next((c for c in recent if c.week_start == week_start_for(user)), None)
    initial: dict[str, Any] = {}
    if this_week is not None:
        initial = {name: getattr(this_week, name) for name, _label in PHQ4_ITEMS}
        initial["confidence"] = this_week.confidence
        initial["share"] = this_week.shared_with_care_team  # replacing keeps the week's choice unless changed
    form = CheckInForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            saved, replaced = checkin_sharing.save_checkin(
                member=user,
                answers=form.answers(),
                confidence=form.cleaned_data["confidence"],
                share=form.cleaned_data["share"],
            )
            toasts.success(
                request,
                _("This week's check-in was updated.") if replaced else _("Your check-in was saved."),
            )
            return redirect("accounts:checkin_result", checkin_id=saved.pk)
        toasts.error(request, _("Your check-in was not saved. Please answer every question."))
    rows = trend(recent)
    context = {"form": form, "this_week": this_week, "rows": rows, "latest": rows[-1] if rows else None}
    return render(request, "accounts/checkins/checkin.html", context, status=400 if form.errors else 200)


def checkin_result(request: PortalRequest, checkin_id: Any) -> HttpResponse:
    """One check-in's result: the scores, a plain reading (not a diagnosis), support at once for a high result,
    and whether it is shared with the care team."""
    found = _own_checkin(request, checkin_id)
    result = score_of(found)
    context = {
        "checkin": found,
        "score": result,
        "local_groups": groups_for_learner(request.user) if result.is_high else [],
        "counselors_reached": found.shares.count() if found.shared_with_care_team else 0,
    }
    return render(request, "accounts/checkins/result.html", context)


@require_POST
def checkin_sharing_view(request: PortalRequest, checkin_id: Any) -> HttpResponse:
    """Share one of the member's check-ins with the care team, or stop sharing it."""
    found = _own_checkin(request, checkin_id)
    form = SharingForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("Choose whether to share."), status=400, content_type="text/plain; charset=utf-8")
    share = form.cleaned_data["share"]
    checkin_sharing.set_sharing(found, share)
    if share:
        toasts.success(request, _("This check-in is shared with the care team."))
    else:
        toasts.success(request, _("This check-in is no longer shared. The care team can no longer see it."))
    return redirect("accounts:checkin_result", checkin_id=found.pk)


@counselor_required
def shared_checkins(request: PortalRequest) -> HttpResponse:
    """Check-ins family members chose to share with this counselor, newest week first."""
    shares = checkin_sharing.shares_for_counselor(request.user)
    rows = [(share, score_of(share.checkin)) for share in shares]
    return render(request, "accounts/checkins/shared.html", {"rows": rows})
