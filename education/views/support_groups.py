"""Care staff manage their program's own support groups for families (``education.support_groups``).

Every page is ``staff_required`` (404 to everyone else, AZ-03). A group of another program answers the same audited
404 as a missing one. Groups are deactivated, never deleted.
"""

from __future__ import annotations

import copy
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from education import support_groups
from education.forms import LocalSupportGroupForm
from education.models import LocalSupportGroup
from family_portal.form_errors import show_errors
from family_portal.requests import PortalRequest
from family_portal.staff_guard import refuse, staff_required


def _own_group(request: PortalRequest, group_id: Any) -> LocalSupportGroup:
    group = support_groups.groups_managed_by(request.user).filter(pk=group_id).first()
    if group is None:
        refuse(request, group_id)
    return group


@staff_required
def support_group_list(request: PortalRequest) -> HttpResponse:
    """The program's groups: those families see, then those taken down."""
    groups = list(support_groups.groups_managed_by(request.user).order_by("-is_active", "name"))
    return render(
        request,
        "education/support_groups/list.html",
        {
            "active": [group for group in groups if group.is_active],
            "inactive": [group for group in groups if not group.is_active],
            "has_program": request.user.program_id is not None,
            "module_slug": support_groups.SUPPORT_MODULE_SLUG,
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def support_group_new(request: PortalRequest) -> HttpResponse:
    form = LocalSupportGroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            group = support_groups.add_group(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            added = _("“%(name)s” was added. Families of your program now see it.")
            messages.success(request, added % {"name": group.name})
            return redirect("education:support_groups")
    return render(request, "education/support_groups/form.html", {"form": form, "group": None})


@staff_required
@require_http_methods(["GET", "POST"])
def support_group_edit(request: PortalRequest, group_id: Any) -> HttpResponse:
    group = _own_group(request, group_id)
    form = LocalSupportGroupForm(request.POST or None, instance=copy.copy(group))  # is_valid() writes to its instance
    if request.method == "POST" and form.is_valid():
        try:
            support_groups.update_group(actor=request.user, group=group, **form.cleaned_data)
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("education:support_groups")
    return render(request, "education/support_groups/form.html", {"form": form, "group": group})


@staff_required
@require_POST
def support_group_active(request: PortalRequest, group_id: Any) -> HttpResponse:
    """Stop showing a group to families (``active=0``) or show it again (``active=1``)."""
    group = _own_group(request, group_id)
    choice = request.POST.get("active")
    if choice not in ("0", "1"):
        messages.error(request, _("Choose whether to show or hide the group."))
        return redirect("education:support_groups")
    support_groups.set_active(actor=request.user, group=group, active=choice == "1")
    if choice == "1":
        messages.success(request, _("“%(name)s” is shown to families again.") % {"name": group.name})
    else:
        messages.success(request, _("“%(name)s” is no longer shown to families.") % {"name": group.name})
    return redirect("education:support_groups")
