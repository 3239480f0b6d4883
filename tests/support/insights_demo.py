"""Families with some activity for the insights page, for the browser test and the README screenshot: enough
(14) that most counts are shown, with a few small ones that the page suppresses."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from django.utils import timezone

from accounts.models import User
from consent.audit import record_audit
from consent.models import AuditEvent, Invitation
from education.models import Module, ModuleProgress
from notifications.models import OutboxMessage, SmsOptOut, SmsPhone
from scheduling.models import FamilySession, Participant
from tests.support import personas


def add_families(counselor: User, patient: User, *, count: int = 14, tag: str = "demo") -> dict[str, Any]:
    """``count`` family members of ``patient``, invited and joined, most of them active: module progress, a
    past family session's attendance, delivered reminders and confirmed phones (two stopped texts)."""
    now = timezone.now()
    program = patient.program
    assert program is not None
    prefix = int(hashlib.sha256(tag.encode()).hexdigest()[:6], 16) % 1000
    members = []
    for i in range(count):
        member = personas.make_user(
            f"insights-{tag}-{i}@example.org", User.Role.FAMILY, None, full_name=f"Family {tag} {i}"
        )
        consent = personas.consent_for(patient, member)
        Invitation.objects.create(
            consent=consent,
            email=member.email,
            token_hash=hashlib.sha256(member.email.encode()).hexdigest(),
            created_by=counselor,
            created_at=now - timedelta(days=20 - i % 14),
            expires_at=now + timedelta(days=7),
            accepted_at=now - timedelta(days=18 - i % 14),
            accepted_by=member,
        )
        record_audit(kind=AuditEvent.Kind.LOGIN, actor=member)
        members.append(member)
    for module, finished in zip(Module.objects.live().order_by("path_position", "slug")[:3], (12, 11, 0), strict=False):
        ModuleProgress.objects.bulk_create(
            ModuleProgress(
                learner=m,
                module=module,
                version=module.current_version,
                started_at=now - timedelta(days=10),
                completed_at=now - timedelta(days=2) if i < finished else None,
            )
            for i, m in enumerate(members if finished else members[:3])
        )
    for weeks_ago in (0, 1, 2):
        start = now - timedelta(days=7 * weeks_ago, hours=3)
        session = FamilySession.objects.create(
            program=program,
            patient=patient,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            created_by=counselor,
            location="Room 2",
        )
        session.counselors.add(counselor)
        Participant.objects.bulk_create(
            Participant(
                session=session,
                user=m,
                attendance=Participant.Attendance.ABSENT
                if i >= count - 1 - weeks_ago
                else Participant.Attendance.ATTENDED,
            )
            for i, m in enumerate(members)
        )
    OutboxMessage.objects.bulk_create(
        OutboxMessage(
            channel="sms" if i < count - 1 else "email",
            recipient=m,
            template_key="session_reminder",
            idempotency_key=f"insights-{tag}-{m.pk}",
            state=OutboxMessage.State.DELIVERED if i < count - 1 else OutboxMessage.State.SENT,
            send_after=now - timedelta(days=1),
        )
        for i, m in enumerate(members)
    )
    for i, m in enumerate(members):
        SmsPhone.objects.create(user=m, e164=f"+1555{prefix:03d}{i:04d}", verified_at=now - timedelta(days=30))
    SmsOptOut.objects.bulk_create(SmsOptOut(e164=phone.e164) for phone in SmsPhone.objects.filter(user__in=members[:2]))
    return {"members": [m.pk for m in members]}
