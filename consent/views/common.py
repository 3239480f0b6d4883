"""Helpers shared by the consent views: scoping to 404, re-authentication after scoping, safe redirects."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from allauth.account.decorators import reauthentication_required
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.models import User
from consent.gate import care_team_patients, patients_acted_for
from family_portal.staff_guard import refuse, require_care_staff

__all__ = ["refuse", "require_care_staff"]  # the shared 404 and staff guard, re-exported for the consent views


def visible_or_404[M: Model](request: HttpRequest, queryset: QuerySet[M], pk: Any) -> M:
    """The object if it is in the viewer's scoped queryset; otherwise a 404 that looks like a missing page
    (AZ-03) and is audited as a refused access (DATA-01). Whether the object exists is never checked, so the
    refusal costs the same for a real id and a made-up one."""
    found = queryset.filter(pk=pk).first()
    if found is None:
        refuse(request, pk)
    return found


def with_reauthentication(request: HttpRequest, view: Callable[..., HttpResponse], *args: Any) -> HttpResponse:
    """Run ``view`` behind allauth's ``reauthentication_required`` (AUTH-08).

    Callers scope the object first, so someone who may not see it gets a 404 rather than a password prompt
    that would confirm it exists (AZ-03). A POST interrupted by the prompt is replayed by allauth afterwards."""
    return reauthentication_required(view)(request, *args)


def acted_patient_or_404(request: HttpRequest, patient_id: int | None) -> User:
    """The patient whose sharing the viewer manages: themself, or one they represent (§ 2.15)."""
    user = request.user
    if patient_id is None:
        if isinstance(user, User) and user.is_patient and user.is_active:
            return user
        refuse(request)
    return visible_or_404(request, patients_acted_for(user), patient_id)


def staff_patient_or_404(request: HttpRequest, patient_id: int) -> User:
    """A patient on the viewer's caseload (or break-glass, or their program for admins)."""
    require_care_staff(request)
    return visible_or_404(request, care_team_patients(request.user), patient_id)


def safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default
