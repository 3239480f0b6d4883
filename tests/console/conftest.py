"""Console fixtures: a second program with its own admin, counselor and patient (for IDOR), a freshly signed-in
admin (no re-authentication prompt) and the audit rows the console writes."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.models import Program, User
from consent.models import AuditEvent
from tests.support import personas


@pytest.fixture
def other_program(db: None) -> Program:
    return personas.make_program("Lakeside Program")


@pytest.fixture
def other_admin(other_program: Program) -> User:
    return personas.make_staff(
        "lena@example.org", other_program, role=User.Role.PROGRAM_ADMIN, full_name="Lena Lakeside"
    )


@pytest.fixture
def other_patient_elsewhere(other_program: Program) -> User:
    return personas.make_user("quinn@example.org", User.Role.PATIENT, other_program, full_name="Quinn Lake")


@pytest.fixture
def other_counselor(other_program: Program, other_patient_elsewhere: User) -> User:
    user = personas.make_staff("olu@example.org", other_program, full_name="Olu Lakeside")
    personas.assign(user, other_patient_elsewhere)
    return user


@pytest.fixture
def admin_client(program_admin: User) -> Client:
    """The program admin, signed in just now (so changes need no password prompt)."""
    return personas.login(Client(), program_admin, signed_in_ago=0)


def console_audits() -> list[dict[str, Any]]:
    """The ``data`` of every console change in the audit chain, oldest first."""
    rows = AuditEvent.objects.filter(kind=AuditEvent.Kind.ADMIN_CHANGE).order_by("seq")
    return [row.data for row in rows if "action" in row.data and isinstance(row.data["action"], str)]
