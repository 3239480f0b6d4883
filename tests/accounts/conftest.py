"""Helpers for the check-in tests: a week's check-in written straight to the table (for earlier weeks)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from accounts.checkins import week_start_for
from accounts.models import User, WellbeingCheckIn

LOW = {"nervous": 0, "worrying": 1, "down": 1, "little_interest": 0, "confidence": 4}
HIGH = {"nervous": 2, "worrying": 2, "down": 2, "little_interest": 1, "confidence": 2}


def week_ago(member: User, weeks: int) -> date:
    return week_start_for(member) - timedelta(weeks=weeks)


def past_checkin(member: User, weeks_ago: int, **answers: int) -> WellbeingCheckIn:
    values = {**LOW, **answers}
    return WellbeingCheckIn.objects.create(member=member, week_start=week_ago(member, weeks_ago), **values)


@pytest.fixture
def answers_low() -> dict[str, int]:
    return dict(LOW)


@pytest.fixture
def answers_high() -> dict[str, int]:
    return dict(HIGH)
