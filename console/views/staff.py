"""Staff: the program's counselors and admins; add one, change one, deactivate and reactivate."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from accounts.models import User
from accounts.names import STAFF_ROLES
from consent.caseloads import caseload_sizes
from console import services
from console.forms import StaffEditForm, StaffInviteForm
from console.views.common import (
    admin_of,
    after_reauthentication,
    console_view,
    program_id_of,
    staff_member_or_404,
)
from family_portal.form_errors import show_errors


@console_view
@require_safe
def staff_list(request: HttpRequest) -> HttpResponse:
    """Every counselor and admin of the program, active first, with sign-in and two-step status."""
    admin = admin_of(request)
    members = list(
        User.objects.filter(program_id=program_id_of(admin), role__in=STAFF_ROLES).order_by(
            "-is_active", "role", "full_name", "email"
        )
    )
    ids = [member.pk for member in members]
    enrolled = set(
        Authenticator.objects.filter(user_id__in=ids, type=Authenticator.Type.TOTP).values_list("user_id", flat=True)
    )
    carried = caseload_sizes([member.pk for member in members if member.is_counselor])
    rows = [
        {
            "member": member,
            "mfa": member.pk in enrolled,
            "invited": not member.has_usable_password(),
            "patients": carried.get(member.pk, 0),
        }
        for member in members
    ]
    return render(request, "console/staff_list.html", {"rows": rows, "me": admin})


@console_view
@require_http_methods(["GET", "POST"])
def staff_new(request: HttpRequest) -> HttpResponse:
    return after_reauthentication(request, _staff_new)


def _staff_new(request: HttpRequest) -> HttpResponse:
    admin = admin_of(request)
    form = StaffInviteForm(request.POST or None, initial={"role": User.Role.COUNSELOR})
    if request.method == "POST" and form.is_valid():
        try:
            member = services.invite_staff(admin=admin, request=request, **form.cleaned_data)
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(name)s was added. We emailed them a link to choose a password.") % {"name": member.display_name},
            )
            return redirect("console:staff")
    return render(request, "console/staff_form.html", {"form": form, "member": None})


@console_view
@require_http_methods(["GET", "POST"])
def staff_edit(request: HttpRequest, staff_id: int) -> HttpResponse:
    member = staff_member_or_404(request, staff_id)
    return after_reauthentication(request, _staff_edit, member)


def _staff_edit(request: HttpRequest, member: User) -> HttpResponse:
    admin = admin_of(request)
    initial = {
        "full_name": member.full_name,
        "role": member.role,
        "can_review_content": member.can_review_content,
        "credentials": member.credentials,
    }
    form = StaffEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.update_staff(admin=admin, member=member, request=request, **form.cleaned_data)
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            if changed:
                messages.success(request, _("Saved."))
            else:
                messages.info(request, _("Nothing was changed."))
            return redirect("console:staff")
    return render(request, "console/staff_form.html", {"form": form, "member": member})


@console_view
@require_http_methods(["GET", "POST"])
def staff_deactivate(request: HttpRequest, staff_id: int) -> HttpResponse:
    member = staff_member_or_404(request, staff_id)
    return after_reauthentication(request, _staff_active, member, False)


@console_view
@require_http_methods(["GET", "POST"])
def staff_reactivate(request: HttpRequest, staff_id: int) -> HttpResponse:
    member = staff_member_or_404(request, staff_id)
    return after_reauthentication(request, _staff_active, member, True)


def _staff_active(request: HttpRequest, member: User, active: bool) -> HttpResponse:
    """A confirmation page (GET), then the change (POST)."""
    admin = admin_of(request)
    if request.method == "POST":
        try:
            if active:
                services.reactivate_staff(admin=admin, member=member, request=request)
                messages.success(request, _("%(name)s can sign in again.") % {"name": member.display_name})
            else:
                services.deactivate_staff(admin=admin, member=member, request=request)
                messages.success(
                    request,
                    _("%(name)s was deactivated and signed out everywhere.") % {"name": member.display_name},
                )
        except ValidationError as exc:
            for text in exc.messages:
                messages.error(request, text)
        return redirect("console:staff")
    context = {
        "member": member,
        "active": active,
        "is_me": member.pk == admin.pk,
        "patients": caseload_sizes([member.pk]).get(member.pk, 0) if member.is_counselor else 0,
    }
    return render(request, "console/staff_active.html", context)
