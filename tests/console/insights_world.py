"""A seeded program for the insights tests: counts chosen so some cells are 11 or more and others 1 to 10.

The counselor's caseload (one patient) has ``CASELOAD_MEMBERS`` family members; another counselor's patient has
``OTHER_MEMBERS`` more, so the admin's program-wide numbers differ from the counselor's."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from accounts.models import Program, User
from consent.audit import record_audit
from consent.models import AuditEvent, Consent, Invitation
from console.insights.scope import InsightsScope, gate_patient_ids
from education.models import Module, ModuleProgress
from notifications.models import OutboxMessage, SmsOptOut, SmsPhone
from scheduling.models import FamilySession, Participant
from tests.support import personas
from tests.support.education_content import published_module

CASELOAD_MEMBERS = 13  # invited (all), joined: all but one
ACTIVE = 4  # signed in lately: suppressed
OTHER_MEMBERS = 2


@dataclass
class World:
    program: Program
    admin: User
    counselor: User
    other_counselor: User
    members: list[User]
    module_a: Module
    module_b: Module


def _members(program: Program, patient: User, prefix: str, n: int) -> list[User]:
    members = []
    now = timezone.now()
    for i in range(n):
        member = personas.make_user(f"{prefix}{i}@example.org", User.Role.FAMILY, None, full_name=f"Fam {prefix}{i}")
        consent = personas.consent_for(patient, member)
        joined = not (prefix == "m" and i == n - 1)
        Invitation.objects.create(
            consent=consent,
            email=member.email,
            token_hash=hashlib.sha256(member.email.encode()).hexdigest(),
            created_by=patient,
            created_at=now - timedelta(days=5),
            expires_at=now + timedelta(days=5),
            accepted_at=now - timedelta(days=4) if joined else None,
            accepted_by=member if joined else None,
        )
        members.append(member)
    assert Consent.objects.filter(patient=patient).count() >= n
    return members


def build(program: Program, counselor: User, patient: User, admin: User, *, scale: int = 1) -> World:
    """The seeded world; ``scale`` > 1 adds more sessions, progress and reminders (for the query-count test)."""
    now = timezone.now()
    other_counselor = personas.make_staff("other-counselor@example.org", program, full_name="Other Counselor")
    other_patient = personas.make_user("other-pt@example.org", User.Role.PATIENT, program, full_name="Other Pt")
    personas.assign(other_counselor, other_patient)
    members = _members(program, patient, "m", CASELOAD_MEMBERS)
    _members(program, other_patient, "o", OTHER_MEMBERS)
    for member in members[:ACTIVE]:
        record_audit(kind=AuditEvent.Kind.LOGIN, actor=member)

    module_a = published_module("insights-a", program=program, lessons=1, questions=[])
    module_b = published_module("insights-b", program=program, lessons=1, questions=[])
    started = now - timedelta(days=3)
    progress = [
        ModuleProgress(
            learner=m,
            module=module_a,
            version=module_a.current_version,
            started_at=started,
            completed_at=now - timedelta(days=2) if i < 11 else None,
        )
        for i, m in enumerate(members[:12])
    ] + [
        ModuleProgress(learner=m, module=module_b, version=module_b.current_version, started_at=started)
        for m in members[:3]
    ]
    ModuleProgress.objects.bulk_create(progress)

    for k in range(scale):
        session = FamilySession.objects.create(
            program=program,
            patient=patient,
            starts_at=now - timedelta(hours=2 + k),
            ends_at=now - timedelta(hours=1 + k),
            created_by=counselor,
            location="Room 1",
        )
        Participant.objects.bulk_create(
            [Participant(session=session, user=m, attendance=Participant.Attendance.ATTENDED) for m in members[:12]]
            + [Participant(session=session, user=m, attendance=Participant.Attendance.ABSENT) for m in members[12:]]
        )
    rows = [
        OutboxMessage(
            channel="sms",
            recipient=m,
            template_key="session_reminder",
            idempotency_key=f"r{k}-{m.pk}",
            state=OutboxMessage.State.DELIVERED,
            send_after=now - timedelta(days=1),
        )
        for k in range(scale)
        for m in members[:12]
    ]
    rows.append(
        OutboxMessage(
            channel="sms",
            recipient=members[12],
            template_key="session_reminder",
            idempotency_key="failed",
            state=OutboxMessage.State.FAILED,
            send_after=now - timedelta(days=1),
        )
    )
    OutboxMessage.objects.bulk_create(rows)
    for i, m in enumerate(members[:12]):
        SmsPhone.objects.create(user=m, e164=f"+1555000{i:04d}", verified_at=now - timedelta(days=10))
    for i in range(2):
        SmsOptOut.objects.create(e164=f"+1555000{i:04d}", opted_out_at=now - timedelta(days=1))
    return World(program, admin, counselor, other_counselor, members, module_a, module_b)


def last_30_days(viewer: User, *, whole_program: bool = False) -> InsightsScope:
    """The insights page's default scope for ``viewer``: the last 30 days, the gate's patients as of now."""
    today = timezone.localdate()
    assert viewer.program is not None
    return InsightsScope(
        viewer=viewer,
        program_id=viewer.program.pk,
        tz=viewer.program.tz,
        gate_ids=gate_patient_ids(viewer),
        start=today - timedelta(days=30),
        end=today,
        now=timezone.now(),
        whole_program=whole_program,
    )
