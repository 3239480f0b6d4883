"""TOOL-05 / AZ-02: random grant, revoke, paper review, end-by-event, deactivate, time passing and reads.

Invariant: a read succeeds iff, in a plain model of the consent rules, an effective consent with that scope
existed at that instant — for reads now and for reads asked about an earlier instant (``at``)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from accounts.models import User
from consent.gate import DisclosureRefused, can_disclose, require_disclosure, visible_patients
from consent.models import Consent, Scope
from consent.services import (
    end_consent_by_event,
    grant_consent,
    record_paper_consent,
    review_paper_consent,
    revoke_consent,
)
from tests.support import personas

pytestmark = pytest.mark.django_db

SCOPES = [scope.value for scope in Scope]
# After the form version the migration created, whatever day the suite runs.
START = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
_ids = itertools.count()


@dataclass
class ModelConsent:
    """What the rules say about one consent, kept independently of the database row."""

    pk: UUID
    member: int
    scopes: frozenset[str]
    signed_at: datetime
    expires_at: datetime
    approved_at: datetime | None
    ended_at: datetime | None = None
    has_event: bool = False

    def effective(self, at: datetime) -> bool:
        return (
            self.approved_at is not None
            and self.approved_at <= at
            and self.signed_at <= at < self.expires_at
            and (self.ended_at is None or at < self.ended_at)
        )


@dataclass
class World:
    consents: list[ModelConsent] = field(default_factory=list)
    inactive: set[int] = field(default_factory=set)


class ConsentMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self._clock = time_machine.travel(START, tick=False)
        self.traveller = self._clock.start()
        run = next(_ids)
        self.program = personas.make_program(f"Program {run}")
        self.patient = personas.make_user(f"p{run}@example.org", User.Role.PATIENT, self.program)
        self.staff = [personas.make_staff(f"s{run}-{n}@example.org", self.program) for n in range(2)]
        self.members = [personas.make_user(f"f{run}-{n}@example.org", User.Role.FAMILY, None) for n in range(3)]
        self.world = World()
        self.now = START

    def teardown(self) -> None:
        self._clock.stop()
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- actions ------------------------------------------------------------------------------------------
    @rule(
        member=st.integers(0, 2),
        scopes=st.sets(st.sampled_from(SCOPES), min_size=1),
        minutes=st.integers(1, 60 * 24 * 20),
        with_event=st.booleans(),
    )
    def grant(self, member: int, scopes: set[str], minutes: int, with_event: bool) -> None:
        consent = grant_consent(
            patient=self.patient,
            recipient=self.members[member],
            recipient_name=f"Member {member}",
            recipient_email=self.members[member].email,
            scopes=sorted(scopes),
            expires_at=self.now + timedelta(minutes=minutes),
            expiry_event="Discharge from the program" if with_event else "",
            signature="Patient",
        )
        self.world.consents.append(
            ModelConsent(
                consent.pk,
                member,
                frozenset(scopes),
                self.now,
                self.now + timedelta(minutes=minutes),
                self.now,
                has_event=with_event,
            )
        )

    @rule(member=st.integers(0, 2), scopes=st.sets(st.sampled_from(SCOPES), min_size=1), days_ago=st.integers(1, 5))
    def record_paper(self, member: int, scopes: set[str], days_ago: int) -> None:
        signed_at = self.now - timedelta(days=days_ago)
        consent = record_paper_consent(
            staff=self.staff[0],
            patient=self.patient,
            recipient_name=f"Member {member}",
            recipient_email=self.members[member].email,
            scopes=sorted(scopes),
            expires_at=self.now + timedelta(days=10),
            signature="Patient",
            signed_at=signed_at,
            paper_form_reference="Scan",
            attested=True,
        )
        Consent.objects.filter(pk=consent.pk).update(recipient=self.members[member])  # linked by invitation
        self.world.consents.append(
            ModelConsent(consent.pk, member, frozenset(scopes), signed_at, self.now + timedelta(days=10), None)
        )

    @precondition(lambda self: any(c.approved_at is None and c.ended_at is None for c in self.world.consents))
    @rule(data=st.data())
    def approve_paper(self, data: st.DataObject) -> None:
        pending = [c for c in self.world.consents if c.approved_at is None and c.ended_at is None]
        target = data.draw(st.sampled_from(pending))
        review_paper_consent(reviewer=self.staff[1], consent=Consent.objects.get(pk=target.pk), approve=True)
        target.approved_at = self.now

    @precondition(lambda self: bool(self.world.consents))
    @rule(data=st.data())
    def revoke(self, data: st.DataObject) -> None:
        target = data.draw(st.sampled_from(self.world.consents))
        revoke_consent(consent=Consent.objects.get(pk=target.pk), actor=self.patient)
        if target.ended_at is None:
            target.ended_at = self.now

    @precondition(lambda self: any(c.has_event and c.ended_at is None for c in self.world.consents))
    @rule(data=st.data())
    def end_by_event(self, data: st.DataObject) -> None:
        target = data.draw(st.sampled_from([c for c in self.world.consents if c.has_event and c.ended_at is None]))
        end_consent_by_event(consent=Consent.objects.get(pk=target.pk), actor=self.staff[0], note="Discharged")
        target.ended_at = self.now

    @rule(member=st.integers(0, 2), active=st.booleans())
    def set_active(self, member: int, active: bool) -> None:
        User.objects.filter(pk=self.members[member].pk).update(is_active=active)
        self.members[member].is_active = active
        (self.world.inactive.discard if active else self.world.inactive.add)(member)

    @rule(minutes=st.integers(1, 60 * 24 * 7))
    def advance_time(self, minutes: int) -> None:
        self.traveller.shift(timedelta(minutes=minutes))
        self.now += timedelta(minutes=minutes)

    # --- reads --------------------------------------------------------------------------------------------
    def _expected(self, member: int, scope: str, at: datetime) -> bool:
        if member in self.world.inactive:
            return False
        return any(c.member == member and scope in c.scopes and c.effective(at) for c in self.world.consents)

    @rule(member=st.integers(0, 2), scope=st.sampled_from(SCOPES))
    def read_now(self, member: int, scope: str) -> None:
        viewer = self.members[member]
        expected = self._expected(member, scope, self.now)
        try:
            require_disclosure(viewer, self.patient, scope, what="state machine read")
            allowed = True
        except DisclosureRefused:
            allowed = False
        assert allowed == expected
        assert can_disclose(viewer, self.patient, scope) == expected
        assert visible_patients(viewer, scope).filter(pk=self.patient.pk).exists() == expected

    @rule(member=st.integers(0, 2), scope=st.sampled_from(SCOPES), minutes_ago=st.integers(0, 60 * 24 * 30))
    def read_at_earlier_instant(self, member: int, scope: str, minutes_ago: int) -> None:
        at = self.now - timedelta(minutes=minutes_ago)
        expected = self._expected(member, scope, at)
        assert can_disclose(self.members[member], self.patient, scope, at=at) == expected

    @precondition(lambda self: bool(self.world.consents))
    @rule(data=st.data())
    def read_at_boundary(self, data: st.DataObject) -> None:
        """Reads exactly at, just before and just after an instant where some consent starts or stops."""
        target = data.draw(st.sampled_from(self.world.consents))
        moments = [m for m in (target.signed_at, target.approved_at, target.expires_at, target.ended_at) if m]
        at = data.draw(st.sampled_from(moments)) + data.draw(st.sampled_from([-1, 0, 1])) * timedelta(microseconds=1)
        at = min(at, self.now)
        scope = data.draw(st.sampled_from(sorted(target.scopes)))
        expected = self._expected(target.member, scope, at)
        assert can_disclose(self.members[target.member], self.patient, scope, at=at) == expected

    @invariant()
    def clock_matches_model(self) -> None:
        from django.utils import timezone

        assert timezone.now() == self.now


def test_read_succeeds_iff_effective_consent_with_scope_existed_at_that_instant():
    run_state_machine_as_test(
        ConsentMachine,
        settings=settings(
            max_examples=60,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
