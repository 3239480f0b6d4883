"""MSG-01: since when a family member reads a patient's shared history (``consent.history.history_start``).

The start of the current unbroken run of approved consents that include the scope: a renewal signed before (or
exactly when) the previous consent ended continues the run; a gap starts a new one; consents without the scope,
pending or rejected ones, and consents that never applied do not count. A personal representative reads it all.
Checked on chosen cases and against a plain statement of the rule in random histories, at instants that often fall
exactly on a boundary.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accounts.models import Program, User
from consent.history import EVERYTHING, history_start
from consent.models import Consent, ConsentFormVersion, PersonalRepresentative

pytestmark = pytest.mark.django_db

T0 = datetime(2031, 3, 1, 12, 0, tzinfo=UTC)
DAYS = [0, 10, 20, 30, 40, 50]
EXAMPLES = int(os.environ.get("PORTAL_HISTORY_WORLDS", "60"))


def day(offset: int) -> datetime:
    return T0 + timedelta(days=offset)


def maybe_day(offset: int | None) -> datetime | None:
    return None if offset is None else day(offset)


@dataclass(frozen=True)
class Spec:
    signed: int
    expires: int
    approved: int | None = None  # days after signing; None: waiting for review
    revoked: int | None = None
    ended: int | None = None
    messaging: bool = True
    rejected: bool = False


def build(specs: list[Spec]) -> tuple[User, User]:
    program = Program.objects.create(name="History", legal_name="History LLC")
    patient = User.objects.create(email="p@history.example", role=User.Role.PATIENT, program=program)
    member = User.objects.create(email="m@history.example", role=User.Role.FAMILY)
    form = ConsentFormVersion.current()
    for spec in specs:
        status = Consent.ReviewStatus.APPROVED if spec.approved is not None else Consent.ReviewStatus.PENDING
        Consent.objects.create(
            program=program,
            discloser_label="Program",
            patient=patient,
            recipient=member,
            recipient_name="Member",
            purpose=Consent.Purpose.FAMILY_INVOLVEMENT,
            expires_at=day(spec.expires),
            form_version=form,
            signature="Signed",
            signed_at=day(spec.signed),
            review_status=Consent.ReviewStatus.REJECTED if spec.rejected else status,
            approved_at=None if spec.approved is None else day(spec.signed + spec.approved),
            revoked_at=maybe_day(spec.revoked),
            ended_by_event_at=maybe_day(spec.ended),
            scope_education=True,
            scope_messaging=spec.messaging,
        )
    return member, patient


def start(member: User, patient: User, at: datetime) -> datetime | None:
    """``history_start`` evaluated by the database, as callers fold it into their queries."""
    expression = history_start(member, patient, "messaging", at)
    return User.objects.filter(pk=patient.pk).annotate(s=expression).values_list("s", flat=True).get()


def expected(specs: list[Spec], at: datetime) -> datetime | None:
    """The rule stated plainly: walk back from ``at`` through consents that applied without a gap."""
    spans = []
    for spec in specs:
        if spec.approved is None or spec.rejected or not spec.messaging:
            continue
        begins = day(spec.signed + spec.approved)
        ends = min(moment for moment in (day(spec.expires), maybe_day(spec.revoked), maybe_day(spec.ended)) if moment)
        if ends > begins:
            spans.append((begins, ends))
    covering = [begins for begins, ends in spans if begins <= at < ends]
    if not covering:
        return None
    run = min(covering)
    while earlier := [begins for begins, ends in spans if begins < run <= ends]:
        run = min(earlier)
    return run


CASES = {
    "one consent": ([Spec(0, 90, approved=0)], 20, 0),
    "a paper consent starts when approved": ([Spec(0, 90, approved=5)], 20, 5),
    "an overlapping renewal continues the run": ([Spec(0, 30, approved=0), Spec(20, 90, approved=0)], 50, 0),
    "a renewal at the very end continues the run": ([Spec(0, 30, approved=0), Spec(30, 90, approved=0)], 50, 0),
    "a gap starts a new run": ([Spec(0, 30, approved=0), Spec(40, 90, approved=0)], 50, 40),
    "revoked, then given again": ([Spec(0, 90, approved=0, revoked=10), Spec(12, 90, approved=0)], 20, 12),
    "ended by an event, then given again": ([Spec(0, 90, approved=0, ended=10), Spec(11, 90, approved=0)], 20, 11),
    "a consent without messaging does not bridge": (
        [Spec(0, 30, approved=0), Spec(25, 90, approved=0, messaging=False), Spec(40, 90, approved=0)],
        50,
        40,
    ),
    "a pending consent does not count": ([Spec(0, 90), Spec(10, 90, approved=0)], 20, 10),
    "a rejected consent does not count": ([Spec(0, 90, approved=0, rejected=True), Spec(10, 90, approved=0)], 20, 10),
    "a consent signed later is not yet part of it": ([Spec(0, 90, approved=0), Spec(30, 90, approved=0)], 20, 0),
}


@pytest.mark.parametrize(("specs", "at", "begins"), CASES.values(), ids=CASES.keys())
def test_history_starts_with_the_current_unbroken_run(specs, at, begins):
    member, patient = build(specs)
    assert start(member, patient, day(at)) == day(begins) == expected(specs, day(at))


def test_no_messaging_consent_means_no_history():
    member, patient = build([Spec(0, 90, approved=0, messaging=False)])
    assert start(member, patient, day(20)) is None


def test_a_personal_representative_reads_everything():
    member, patient = build([Spec(10, 90, approved=0)])
    PersonalRepresentative.objects.create(
        representative=member,
        patient=patient,
        authority=PersonalRepresentative.Authority.GUARDIAN,
        document_reference="Order",
        verified_by=patient,
        verified_at=day(5),
    )
    assert start(member, patient, day(20)) == EVERYTHING
    assert start(member, patient, day(1)) is None  # not yet verified: back to consents (none applied then)


specs = st.builds(
    Spec,
    signed=st.sampled_from(DAYS),
    expires=st.sampled_from([d + 10 for d in DAYS]),
    approved=st.one_of(st.none(), st.sampled_from([0, 0, 5])),
    revoked=st.one_of(st.none(), st.sampled_from(DAYS)),
    ended=st.one_of(st.none(), st.sampled_from(DAYS)),
    messaging=st.booleans(),
    rejected=st.just(False) | st.booleans(),
)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(history=st.lists(specs, max_size=4), at=st.sampled_from([d + shift for d in DAYS for shift in (0, 5)]))
@example(history=[Spec(0, 10, approved=0), Spec(10, 20, approved=0), Spec(20, 60, approved=0)], at=40)
def test_history_start_agrees_with_the_rule_in_random_histories(history: list[Spec], at: int) -> None:
    with transaction.atomic():
        member, patient = build(history)
        want = expected(history, day(at))
        if want is not None:  # where no consent applies at ``at`` the gate refuses before anyone asks from when
            assert start(member, patient, day(at)) == want
        transaction.set_rollback(True)
