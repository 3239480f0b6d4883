"""Scheduling fixtures: a future daytime start and a family session booked through the real service."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import User
from scheduling.models import FamilySession
from scheduling.services import schedule_session


def future_start(days: int = 3, hour_utc: int = 17) -> datetime:
    """A start ``days`` from now at a daytime UTC hour (midday in New York): reminders fall in waking hours."""
    return (timezone.now() + timedelta(days=days)).replace(hour=hour_utc, minute=0, second=0, microsecond=0)


def book(
    counselor: User,
    patient: User | None,
    members: list[User] | None = None,
    starts_at: datetime | None = None,
    minutes: int = 60,
    **extra: object,
) -> FamilySession:
    starts_at = starts_at or future_start()
    extra.setdefault("kind", FamilySession.Kind.FAMILY_THERAPY if patient else FamilySession.Kind.EDUCATION_NIGHT)
    extra.setdefault("modality", FamilySession.Modality.IN_PERSON)
    extra.setdefault("location", "Room 2, 10 Elm Street")
    return schedule_session(
        actor=counselor,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        patient=patient,
        family_members=members or [],
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
def family_session(counselor: User, patient: User, family_member: User) -> FamilySession:
    return book(counselor, patient, [family_member], staff_notes="Interpreter booked; use side door")


@pytest.fixture
def postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://…)")
