"""Office hours and reminder policy: the program's settings in plain words."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from console import services
from console.forms import ProgramSettingsForm
from console.views.common import admin_of, after_reauthentication, console_view
from family_portal.form_errors import show_errors


@console_view
@require_http_methods(["GET", "POST"])
def program_settings(request: HttpRequest) -> HttpResponse:
    return after_reauthentication(request, _program_settings)


def _program_settings(request: HttpRequest) -> HttpResponse:
    admin = admin_of(request)
    program = admin.program
    assert program is not None  # noqa: S101  (the guard requires a program)
    form = ProgramSettingsForm(request.POST or None, program=program)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.update_program_settings(admin=admin, request=request, **form.cleaned_data)
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("Saved.") if changed else _("Nothing was changed."))
            return redirect("console:program_settings")
    return render(request, "console/program_settings.html", {"form": form, "program": program})
