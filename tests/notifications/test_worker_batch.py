"""Batched send-time decisions (R1, JOB-05): one gate answer per claimed batch, never older than the bound at a send.

Time is a fake clock shared by the worker and its rate limiter: it passes only while the worker sleeps for a send
slot, and whatever "another process" does during that sleep (a revocation, a STOP) is committed before it wakes.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from consent.models import Consent
from notifications.models import OutboxMessage
from notifications.phones import record_keyword_opt_out
from notifications.ratelimit import LocalBucketStore, RateLimiter
from notifications.worker import DECISION_MAX_AGE_S, Worker
from tests.notifications.conftest import MEMBER_NUMBER, give_phone
from tests.notifications.test_worker import _reminder
from tests.support import personas
from tests.support.fake_twilio import FakeTwilio

pytestmark = pytest.mark.django_db

State = OutboxMessage.State


class PacedClock:
    """Seconds that move only when the worker sleeps; ``while_asleep`` actions run during the next sleep."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.slept: list[float] = []
        self._pending: list[Callable[[], object]] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept.append(seconds)
        actions, self._pending = self._pending, []
        for action in actions:
            action()

    def while_asleep(self, action: Callable[[], object]) -> None:
        self._pending.append(action)


def _paced_worker(clock: PacedClock, *, mps: float, batch_size: int = 10) -> Worker:
    worker = Worker(worker_id="paced", batch_size=batch_size, clock=clock.time)
    worker.limiter = RateLimiter(mps, clock=clock.time, sleep=clock.sleep, store=LocalBucketStore())
    return worker


def _states(rows: list[OutboxMessage]) -> list[tuple[str, str]]:
    by_id = {r.pk: (r.state, r.state_reason) for r in OutboxMessage.objects.filter(pk__in=[r.pk for r in rows])}
    return [by_id[r.pk] for r in rows]


def test_consent_revoked_while_the_batch_waits_for_a_send_slot_stops_the_next_text(
    fake_twilio: FakeTwilio, texting_member: User, patient: User, consent: Consent
) -> None:
    rows = [_reminder(texting_member, patient, key=f"paced{n}") for n in range(3)]
    clock = PacedClock()
    worker = _paced_worker(clock, mps=1.0)
    clock.while_asleep(lambda: personas.revoke(consent))  # during the wait for the second text's slot
    worker.run(once=True)
    refused = (State.SUPPRESSED, "consent no longer covers this")
    assert _states(rows) == [(State.SENT, ""), refused, refused]
    assert len(fake_twilio.posts()) == 1


def test_stop_texted_while_the_batch_waits_for_a_send_slot_stops_the_next_text(
    fake_twilio: FakeTwilio, texting_member: User, patient: User, consent: Consent
) -> None:
    rows = [_reminder(texting_member, patient, key=f"stop{n}") for n in range(2)]
    clock = PacedClock()
    worker = _paced_worker(clock, mps=1.0)
    clock.while_asleep(lambda: record_keyword_opt_out(e164=MEMBER_NUMBER))
    worker.run(once=True)
    assert _states(rows) == [(State.SENT, ""), (State.SUPPRESSED, "number opted out")]
    assert len(fake_twilio.posts()) == 1


def test_fast_sends_reuse_one_decision_for_the_whole_batch(
    fake_twilio: FakeTwilio, texting_member: User, patient: User, consent: Consent
) -> None:
    """Within the bound the batch's decision stands: a revocation is seen by the first send after the bound."""
    rows = [_reminder(texting_member, patient, key=f"fast{n}") for n in range(3)]
    clock = PacedClock()
    worker = _paced_worker(clock, mps=4.0)  # slots 0.26 s apart: the third send is 0.53 s after the decision
    clock.while_asleep(lambda: personas.revoke(consent))
    worker.run(once=True)
    assert [state for state, _ in _states(rows)] == [State.SENT, State.SENT, State.SENT]
    assert sum(clock.slept) <= DECISION_MAX_AGE_S
    later = _reminder(texting_member, patient, key="after-bound")
    clock.now += DECISION_MAX_AGE_S
    worker.run(once=True)
    later.refresh_from_db()
    assert later.state == State.SUPPRESSED


def _members_texting(count: int, patient: User) -> list[User]:
    members = []
    for n in range(count):
        member = personas.make_user(f"kin{n}@example.org", User.Role.FAMILY, None)
        personas.consent_for(patient, member)
        give_phone(member, f"+1212555{n:04d}")
        members.append(member)
    return members


def _batch_queries(members: list[User], patient: User, per_member: int, tag: str) -> tuple[int, int]:
    rows = [_reminder(m, patient, key=f"{tag}{i}-{n}") for i, m in enumerate(members) for n in range(per_member)]
    worker = Worker(worker_id=f"w-{tag}", batch_size=50, clock=lambda: 0.0)  # one decision: no time passes
    with CaptureQueriesContext(connection) as ctx:
        worker.run_pass()
    assert {r.state for r in OutboxMessage.objects.filter(pk__in=[r.pk for r in rows])} == {State.SENT}
    statements = [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    return len(rows), len(statements)


# Per sent reminder: the fenced "attempt" update and the fenced final update. Everything else is per batch.
WRITES_PER_REMINDER = 2


def test_batch_queries_are_constant_in_rows_and_recipients(
    daytime: object, patient: User, fake_twilio: FakeTwilio
) -> None:
    first, *others = _members_texting(4, patient)
    one_rows, one = _batch_queries([first], patient, 1, "one")
    many_rows, many = _batch_queries(others, patient, 5, "many")
    assert many_rows == 15
    assert one - WRITES_PER_REMINDER * one_rows == many - WRITES_PER_REMINDER * many_rows, (one, many)
