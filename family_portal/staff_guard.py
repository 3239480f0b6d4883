"""The one staff guard: pages only care staff use answer 404 to everyone else (AZ-03).

A staff page refused with a 403 tells a family member or patient that the page exists and that someone else may
open it; a 404 looks like any page that does not exist, as object URLs outside the viewer's scope already do
(``consent.gate.DisclosureRefused``). Every refusal is audited with ids only (DATA-01).

``@staff_required`` guards a view (outermost, so no method or form check answers first); ``require_care_staff``
is the same check for code that needs the staff member back. Views carrying the decorator are marked
``care_staff_only``, which is how tests/foundation/test_staff_guard.py finds every staff URL in the resolver.

``@program_admin_required`` is the stricter guard of the program console: an active program admin of a program;
counselors get the same 404 as everyone else. Its views carry both marks (``program_admin_only`` as well).
``@counselor_required`` is the same for the few pages only counselors use (a message's earlier versions, read
receipts); program admins get the 404 too. Its views carry the staff mark.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, NoReturn

from django.http import HttpRequest, HttpResponse

from accounts.models import User
from consent.audit import record_audit
from consent.gate import DisclosureRefused
from consent.models import AuditEvent

STAFF_ONLY_MARK = "care_staff_only"
PROGRAM_ADMIN_ONLY_MARK = "program_admin_only"


def is_care_staff(user: Any) -> bool:
    """An active counselor or program admin (the roles behind MFA, AUTH-05)."""
    return isinstance(user, User) and user.is_active and user.is_care_staff


def refuse(request: HttpRequest, object_id: Any = None) -> NoReturn:
    """Audit a refused request (the view's name and an object id, never names) and answer 404."""
    match = request.resolver_match
    user = request.user if request.user.is_authenticated else None
    record_audit(
        kind=AuditEvent.Kind.DISCLOSURE_REFUSED,
        actor=user,
        request=request,
        data={"view": match.view_name if match else "", "object": str(object_id) if object_id is not None else ""},
    )
    raise DisclosureRefused("Not found")


def require_care_staff(request: HttpRequest) -> User:
    """The signed-in care staff member; a 404 for anyone else."""
    user = request.user
    if not is_care_staff(user):
        refuse(request)
    assert isinstance(user, User)  # noqa: S101  (narrowing for mypy: is_care_staff checked it)
    return user


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Decorate a view that only care staff may open: anyone else gets the same 404 as a missing page."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        require_care_staff(request)
        return view(request, *args, **kwargs)

    setattr(guarded, STAFF_ONLY_MARK, True)
    return guarded


def require_counselor(request: HttpRequest) -> User:
    """The signed-in counselor; a 404 for anyone else, program admins included."""
    user = require_care_staff(request)
    if not user.is_counselor:
        refuse(request)
    return user


def counselor_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Decorate a view only counselors may open: anyone else gets the same 404 as a missing page."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        require_counselor(request)
        return view(request, *args, **kwargs)

    setattr(guarded, STAFF_ONLY_MARK, True)
    return guarded


def is_program_admin(user: Any) -> bool:
    """An active program admin who belongs to a program (the console manages that program and nothing else)."""
    return is_care_staff(user) and user.is_program_admin and user.program_id is not None


def require_program_admin(request: HttpRequest) -> User:
    """The signed-in program admin; a 404 for anyone else, counselors included."""
    user = request.user
    if not is_program_admin(user):
        refuse(request)
    assert isinstance(user, User)  # noqa: S101  (narrowing for mypy: is_program_admin checked it)
    return user


def program_admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Decorate a view only program admins may open: anyone else gets the same 404 as a missing page."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        require_program_admin(request)
        return view(request, *args, **kwargs)

    setattr(guarded, STAFF_ONLY_MARK, True)
    setattr(guarded, PROGRAM_ADMIN_ONLY_MARK, True)
    return guarded
