"""The deterministic benchmark dataset (performance plan §3): one ``random.Random(seed)``, times relative to an
injected reference "now", ``bulk_create`` throughout. Reruns with the same seed and size build identical data.

1× = 500 families (1 patient + 2–4 family members), 20 counselors with ~25 patients each, ~10% of family members
with a revoked or expired consent, 25 family sessions per patient over ±3 weeks, one care-team conversation per
family with 50 messages, the starter curriculum with progress rows, 5,000 sent and 1,000 queued reminders.
``scale`` multiplies the families (``--quick``/``--ci`` use a fraction).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery

from accounts.models import CaseloadAssignment, Program, User

SEED = 20260401
EMAIL_DOMAIN = "bench.invalid"


@dataclass
class Family:
    patient: User
    members: list[User]  # with an effective consent (every scope)
    ended: list[User]  # revoked or expired consent: must never receive anything
    counselor: User
    conversation: Any = None


@dataclass
class Dataset:
    seed: int
    now: datetime
    program: Program
    counselors: list[User]
    families: list[Family]
    admin: User
    counts: dict[str, int] = field(default_factory=dict)
    module_slugs: list[str] = field(default_factory=list)


def seed(*, now: datetime, families: int = 500, rng_seed: int = SEED, messages_per_family: int = 50) -> Dataset:
    """Build the dataset in the current (empty, migrated) database. Returns handles for the stages."""
    rng = random.Random(rng_seed)
    password = make_password(None)  # unusable: load clients get sessions directly
    with transaction.atomic():
        program = Program.objects.create(name="Bench Program", legal_name="Bench Program LLC", time_zone="UTC")
        counselors = _users(
            [f"counselor{n}@{EMAIL_DOMAIN}" for n in range(20)], User.Role.COUNSELOR, program, password, now
        )
        admin = _users([f"admin@{EMAIL_DOMAIN}"], User.Role.PROGRAM_ADMIN, program, password, now)[0]
        _mfa(counselors + [admin])
        patients = _users(
            [f"patient{n}@{EMAIL_DOMAIN}" for n in range(families)], User.Role.PATIENT, program, password, now
        )
        sizes = [rng.randint(2, 4) for _ in range(families)]
        member_emails = [f"family{f}-{m}@{EMAIL_DOMAIN}" for f, size in enumerate(sizes) for m in range(size)]
        members = _users(member_emails, User.Role.FAMILY, None, password, now)
        CaseloadAssignment.objects.bulk_create(
            [CaseloadAssignment(counselor=counselors[n % len(counselors)], patient=p) for n, p in enumerate(patients)]
        )
        built: list[Family] = []
        cursor = 0
        for index, patient in enumerate(patients):
            group = members[cursor : cursor + sizes[index]]
            cursor += sizes[index]
            ended = [m for m in group[1:] if rng.random() < 0.15]  # the first member always keeps a consent
            built.append(
                Family(patient, [m for m in group if m not in ended], ended, counselors[index % len(counselors)])
            )
        data = Dataset(rng_seed, now, program, counselors, built, admin)
        _consents(data, rng)
    for section in (_conversations, _sessions, _education, _outbox):
        with transaction.atomic():
            section(data, rng, messages_per_family=messages_per_family)
    data.counts["users"] = User.objects.count()
    _analyze()
    return data


def _analyze() -> None:
    """Give PostgreSQL's planner the statistics autovacuum would gather on a live database: without them a freshly
    bulk-loaded database plans some of the pages' queries badly (insights' module completion took 225 ms)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _users(emails: list[str], role: str, program: Program | None, password: str, now: datetime) -> list[User]:
    from allauth.account.models import EmailAddress

    users = User.objects.bulk_create(
        [
            User(
                email=email,
                full_name=f"Bench {email.split('@')[0].title()}",
                role=role,
                program=program,
                password=password,
                date_joined=now - timedelta(days=60),
            )
            for email in emails
        ]
    )
    if users and users[0].pk is None:  # SQLite < 3.35 without RETURNING
        users = list(User.objects.filter(email__in=emails).order_by("pk"))
    EmailAddress.objects.bulk_create([EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users])
    return users


def _mfa(staff: list[User]) -> None:
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    for user in staff:
        TOTP.activate(user, generate_totp_secret())


def _consents(data: Dataset, rng: random.Random) -> None:
    from consent.models import Consent, ConsentFormVersion

    form = ConsentFormVersion.current()
    now = data.now
    rows = []
    for family in data.families:
        for member in family.members + family.ended:
            signed = now - timedelta(days=rng.randint(20, 50))
            revoked = member in family.ended and rng.random() < 0.5
            expires = now - timedelta(days=1) if member in family.ended and not revoked else now + timedelta(days=180)
            rows.append(
                Consent(
                    program=data.program,
                    discloser_label=data.program.legal_name,
                    patient=family.patient,
                    recipient_kind=Consent.RecipientKind.FAMILY,
                    recipient=member,
                    recipient_name=member.full_name,
                    recipient_email=member.email,
                    recipient_relationship="Parent",
                    scope_education=True,
                    scope_schedule=True,
                    scope_attendance=True,
                    scope_messaging=True,
                    scope_progress_summary=True,
                    purpose=Consent.Purpose.FAMILY_INVOLVEMENT,
                    expires_at=expires,
                    form_version=form,
                    signature=family.patient.full_name,
                    method=Consent.Method.PORTAL,
                    signed_at=signed,
                    review_status=Consent.ReviewStatus.APPROVED,
                    approved_at=signed,
                    signed_by=family.patient,
                    revoked_at=now - timedelta(days=2) if revoked else None,
                )
            )
    Consent.objects.bulk_create(rows, batch_size=500)
    data.counts["consents"] = len(rows)


def _conversations(data: Dataset, rng: random.Random, *, messages_per_family: int) -> None:
    from messaging.models import Conversation, Message, Participant

    conversations = Conversation.objects.bulk_create(
        [Conversation(kind=Conversation.Kind.CARE_TEAM, patient=f.patient) for f in data.families]
    )
    messages, seats = [], []
    for family, conversation in zip(data.families, conversations, strict=True):
        family.conversation = conversation
        speakers = [family.counselor, *family.members]
        start = data.now - timedelta(days=21)
        for n in range(messages_per_family):
            messages.append(
                Message(
                    conversation=conversation,
                    sender=rng.choice(speakers),
                    body=f"Bench message {n} for the weekly check-in.",
                    created_at=start + timedelta(minutes=37 * n),
                )
            )
        seats += [Participant(conversation=conversation, user=u) for u in speakers]
    Message.objects.bulk_create(messages, batch_size=2000)
    Participant.objects.bulk_create(seats, batch_size=2000)
    last = {row["conversation_id"]: row["id"] for row in Message.objects.values("conversation_id", "id").order_by("id")}
    for conversation in conversations:
        conversation.last_message_id = last.get(conversation.pk, 0)
        conversation.last_message_at = data.now - timedelta(hours=1)
    Conversation.objects.bulk_update(conversations, ["last_message_id", "last_message_at"], batch_size=500)
    # Everyone has read the seeded history, so the worker's offline-notice scan does not text about it mid-run.
    newest = Subquery(Conversation.objects.filter(pk=OuterRef("conversation_id")).values("last_message_id")[:1])
    Participant.objects.update(last_read_message_id=newest, notified_up_to=newest)
    data.counts["messages"] = len(messages)


def _sessions(data: Dataset, rng: random.Random, *, messages_per_family: int) -> None:
    from scheduling.models import FamilySession, Participant

    sessions, families = [], []
    for family in data.families:
        for n in range(25):
            starts = (data.now - timedelta(days=21) + timedelta(hours=40 * n + rng.randint(0, 6))).replace(
                minute=0, second=0, microsecond=0
            )
            sessions.append(
                FamilySession(
                    id=uuid.UUID(int=rng.getrandbits(128)),
                    program=data.program,
                    patient=family.patient,
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=1),
                    location="Room 2",
                    created_by=family.counselor,
                )
            )
            families.append(family)
    FamilySession.objects.bulk_create(sessions, batch_size=2000)
    through = FamilySession.counselors.through
    through.objects.bulk_create(
        [through(familysession_id=s.pk, user_id=f.counselor.pk) for s, f in zip(sessions, families, strict=True)],
        batch_size=5000,
    )
    seats = [
        Participant(session=s, user=m) for s, f in zip(sessions, families, strict=True) for m in f.members + f.ended
    ]
    Participant.objects.bulk_create(seats, batch_size=5000)
    data.counts["family_sessions"] = len(sessions)


def _education(data: Dataset, rng: random.Random, *, messages_per_family: int) -> None:
    from education.models import Module, ModuleProgress

    call_command("load_curriculum", verbosity=0)
    modules = list(Module.objects.live().select_related("current_version").order_by("slug")[:10])
    data.module_slugs = [m.slug for m in modules]
    rows = []
    for family in data.families:
        learners = family.members
        for n in range(20):
            learner = learners[n % len(learners)]
            module = modules[(n // len(learners)) % len(modules)] if modules else None
            if module is None:
                break
            rows.append((learner, module))
    unique = {(learner.pk, module.pk): (learner, module) for learner, module in rows}
    ModuleProgress.objects.bulk_create(
        [
            ModuleProgress(
                learner=learner,
                module=module,
                version=module.current_version,
                started_at=data.now - timedelta(days=rng.randint(1, 20)),
                last_position=1,
                updated_at=data.now - timedelta(days=1),
            )
            for learner, module in unique.values()
        ],
        batch_size=2000,
    )
    data.counts["education_progress"] = len(unique)


def _outbox(data: Dataset, rng: random.Random, *, messages_per_family: int) -> None:
    from notifications.models import OutboxMessage

    members = [m for f in data.families for m in f.members]
    rows = []
    for n in range(6000):
        sent = n < 5000
        member = members[n % len(members)]
        rows.append(
            OutboxMessage(
                channel=OutboxMessage.Channel.SMS,
                recipient=member,
                to_address=f"+1555{member.pk:07d}",
                template_key="session_reminder",
                context={"when": "tomorrow at 6:00 PM", "link": "https://portal.example.org/s/x"},
                body="Reminder: you have an appointment tomorrow at 6:00 PM." if sent else "",
                send_after=data.now + (timedelta(hours=-rng.randint(1, 500)) if sent else timedelta(days=2)),
                idempotency_key=f"bench-seed-{n}",
                state=OutboxMessage.State.SENT if sent else OutboxMessage.State.QUEUED,
                provider_message_id=f"SMseed{n:028d}" if sent else "",
                created_at=data.now - timedelta(hours=rng.randint(1, 500)),
            )
        )
    OutboxMessage.objects.bulk_create(rows, batch_size=2000)
    data.counts["outbox"] = len(rows)


def multiply_family(data: Dataset, family: Family, factor: int = 10) -> None:
    """Give one family ``factor``× its sessions, messages and progress (the Q1 10× check); same RNG → same rows."""
    rng = random.Random(data.seed + 10)
    from messaging.models import Message
    from scheduling.models import FamilySession, Participant

    extra_messages = [
        Message(
            conversation=family.conversation,
            sender=family.counselor,
            body=f"Bench extra {n}.",
            created_at=data.now - timedelta(days=20, minutes=-n),
        )
        for n in range(50 * (factor - 1))
    ]
    Message.objects.bulk_create(extra_messages, batch_size=2000)
    sessions = []
    for n in range(25 * (factor - 1)):
        starts = (data.now - timedelta(days=21) + timedelta(hours=4 * n + rng.randint(0, 2))).replace(
            minute=30, second=0, microsecond=0
        )
        sessions.append(
            FamilySession(
                id=uuid.UUID(int=rng.getrandbits(128)),
                program=data.program,
                patient=family.patient,
                starts_at=starts,
                ends_at=starts + timedelta(hours=1),
                location="Room 3",
                created_by=family.counselor,
            )
        )
    FamilySession.objects.bulk_create(sessions)
    through = FamilySession.counselors.through
    through.objects.bulk_create([through(familysession_id=s.pk, user_id=family.counselor.pk) for s in sessions])
    Participant.objects.bulk_create([Participant(session=s, user=m) for s in sessions for m in family.members])
