"""Two bookings of one counselor's time racing on PostgreSQL: exactly one wins (row lock on the counselor)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import time, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from scheduling.models import Availability, FamilySession, SessionRequest
from scheduling.services import request_session
from scheduling.slots import open_slots
from tests.scheduling.conftest import book, future_start
from tests.support import personas

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgres_only")]


def race(*calls: Callable[[], Any]) -> list[str]:
    """Run the calls at once in their own threads (and connections); return "ok" or "refused" for each."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = [""] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            call()
            outcomes[index] = "ok"
        except ValidationError:
            outcomes[index] = "refused"
        except Exception as exc:  # reported in the assertion
            outcomes[index] = f"error: {exc!r}"
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_two_bookings_of_one_slot_cannot_both_succeed(counselor, patient, other_patient):
    personas.assign(counselor, other_patient)
    start = future_start(days=4)
    outcomes = race(
        lambda: book(counselor, patient, starts_at=start),
        lambda: book(counselor, other_patient, starts_at=start + timedelta(minutes=30)),
    )
    assert sorted(outcomes) == ["ok", "refused"]
    assert FamilySession.objects.count() == 1


def test_two_families_requesting_one_open_slot_cannot_both_hold_it(counselor, patient, family_member):
    sibling = personas.make_user("sib@example.org", "family", None)
    personas.consent_for(patient, sibling)
    Availability.objects.create(
        counselor=counselor, weekday=2, start_time=time(10), end_time=time(11), time_zone="America/New_York"
    )
    slot = open_slots(counselor_ids=[counselor.pk])[0]
    outcomes = race(
        lambda: request_session(requester=family_member, patient=patient, slot_key=slot.key),
        lambda: request_session(requester=sibling, patient=patient, slot_key=slot.key),
    )
    assert sorted(outcomes) == ["ok", "refused"]
    assert SessionRequest.objects.count() == 1
