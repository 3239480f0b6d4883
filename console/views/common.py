"""What every console view shares: the program-admin guard, the program's time zone, re-authentication for
changes, and scoping an id to the admin's program (another program's id is a 404, AZ-03)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from allauth.account.decorators import reauthentication_required
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from accounts.models import User
from accounts.names import STAFF_ROLES
from family_portal.staff_guard import program_admin_required, refuse, require_program_admin

View = Callable[..., HttpResponse]


def console_view(view: View) -> View:
    """Program admins only (404 for everyone else); times are read and shown in the program's time zone."""

    @program_admin_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        program = require_program_admin(request).program
        with timezone.override(program.tz if program is not None else None):
            return view(request, *args, **kwargs)

    return wrapper


def admin_of(request: HttpRequest) -> User:
    return require_program_admin(request)


def program_id_of(admin: User) -> int:
    """The admin's program (the guard lets no admin without one in)."""
    assert admin.program_id is not None  # noqa: S101  (narrowing for mypy: is_program_admin checked it)
    return admin.program_id


def after_reauthentication(request: HttpRequest, view: View, *args: Any) -> HttpResponse:
    """A POST runs only after a recent sign-in (AUTH-08; allauth asks for the password and replays the POST);
    a GET shows the page. Callers scope the object first, so a foreign id is a 404, not a password prompt."""
    return reauthentication_required(allow_get=True)(view)(request, *args)


def staff_member_or_404(request: HttpRequest, staff_id: int) -> User:
    """A counselor or program admin of the admin's own program; any other id (a patient, another program's
    staff, no such account) answers the same audited 404."""
    admin = admin_of(request)
    member = User.objects.filter(pk=staff_id, program_id=program_id_of(admin), role__in=STAFF_ROLES).first()
    if member is None:
        refuse(request, staff_id)
    return member
