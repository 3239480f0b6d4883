"""The browser suite's data helper: runs in a child process against the live server's SQLite file.

It reads one JSON command per line on stdin (``{"op": "user", "args": {...}}``) and answers one JSON line on
stdout (``{"ok": result}`` or ``{"error": traceback}``). People and consents are made through the real services
(``tests.support.personas``), the same way the unit tests make them. Start it with ``python -m
tests.support.browser.seed`` and the server's environment (DATABASE_URL, DJANGO_DEBUG).
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Callable
from datetime import time
from typing import Any

OPS: dict[str, Callable[..., Any]] = {}


def op(fn: Callable[..., Any]) -> Callable[..., Any]:
    OPS[fn.__name__] = fn
    return fn


@op
def program(name: str) -> int:
    """A program that is "open" around the clock, so staff-hours notices never change a journey."""
    from accounts.models import Program

    found = Program.objects.filter(name=name).first()
    if found is None:
        found = Program.objects.create(
            name=name,
            legal_name=f"{name} Services",
            time_zone="America/New_York",
            office_opens=time(0, 0),
            office_closes=time(23, 59, 59),
            office_days=[0, 1, 2, 3, 4, 5, 6],
            help_phone="+15555550100",
        )
    return found.pk


def waking_zone() -> str:
    """A fixed-offset zone where it is about noon now: quiet hours (8 AM-9 PM) never hold a reminder back."""
    from datetime import UTC, datetime

    offset = (12 - datetime.now(UTC).hour + 12) % 24 - 12
    if offset == 0:
        return "Etc/GMT"
    return f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"  # Etc/GMT signs are inverted


@op
def user(
    email: str, role: str, full_name: str, program_id: int | None = None, mfa: bool = True, awake: bool = False
) -> dict[str, Any]:
    """A verified account; care staff get a TOTP authenticator (its secret is returned) unless ``mfa`` is false.
    ``awake``: the person's time zone is one where it is daytime now (for reminders sent during the test)."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from accounts.models import Program
    from tests.support import personas

    prog = Program.objects.get(pk=program_id) if program_id else None
    extra = {"time_zone": waking_zone()} if awake else {}
    person = personas.make_user(email, role, prog, full_name=full_name, **extra)
    secret = ""
    if person.is_care_staff and mfa:
        secret = generate_totp_secret()
        TOTP.activate(person, secret)
    return {"id": person.pk, "email": person.email, "password": personas.PASSWORD, "totp_secret": secret}


@op
def prefer_language(user_id: int, language: str) -> None:
    """The language the person's pages, emails and texts reach them in (``User.preferred_language``)."""
    from accounts.models import User

    User.objects.filter(pk=user_id).update(preferred_language=language)


@op
def assign(counselor_id: int, patient_id: int) -> None:
    from accounts.models import User
    from tests.support import personas

    personas.assign(User.objects.get(pk=counselor_id), User.objects.get(pk=patient_id))


@op
def consent(patient_id: int, member_id: int, scopes: list[str] | None = None) -> str:
    """An effective consent from the patient to the (already registered) family member."""
    from accounts.models import User
    from tests.support import personas

    patient = User.objects.get(pk=patient_id)
    member = User.objects.get(pk=member_id)
    return str(personas.consent_for(patient, member, scopes=scopes).pk)


@op
def assign_module(counselor_id: int, patient_id: int, slug: str) -> dict[str, Any]:
    """The counselor assigns a published module to the patient's family; returns what the test needs to take it:
    the title, the lesson count and each question's prompt with the texts of its right answers."""
    from accounts.models import User
    from education.models import Module
    from education.services import assign_module as assign

    module = Module.objects.select_related("current_version").get(slug=slug)
    assign(counselor=User.objects.get(pk=counselor_id), patient=User.objects.get(pk=patient_id), module=module)
    version = module.current_version
    assert version is not None
    questions = version.questions.prefetch_related("choices").order_by("position")
    return {
        "title": version.title,
        "lessons": version.lessons.count(),
        "answers": [[q.prompt, [c.text for c in q.choices.all() if c.correct]] for q in questions],
    }


@op
def book_session(counselor_id: int, patient_id: int, member_ids: list[int], days: int = 3) -> str:
    """The counselor books a family session (2 PM program time, ``days`` from now) with the patient and members."""
    from datetime import datetime, timedelta

    from accounts.models import User
    from scheduling.services import schedule_session

    counselor = User.objects.select_related("program").get(pk=counselor_id)
    assert counselor.program is not None
    day = datetime.now(counselor.program.tz) + timedelta(days=days)
    starts = day.replace(hour=14, minute=0, second=0, microsecond=0)
    session = schedule_session(
        actor=counselor,
        kind="family_therapy",
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        modality="in_person",
        location="Room 2, ground floor",
        patient=User.objects.get(pk=patient_id),
        family_members=list(User.objects.filter(pk__in=member_ids)),
    )
    return str(session.pk)


@op
def book_video_session(counselor_id: int, patient_id: int, member_ids: list[int], minutes_ahead: int = 10) -> str:
    """A family video session starting ``minutes_ahead`` from now (its room already open, from 15 minutes before
    the start), booked through the real service with the portal's own video rooms on."""
    from datetime import timedelta

    from django.test import override_settings
    from django.utils import timezone

    from accounts.models import User
    from scheduling.services import schedule_session

    starts = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=minutes_ahead)
    with override_settings(VIDEO_PROVIDER="jitsi"):
        session = schedule_session(
            actor=User.objects.select_related("program").get(pk=counselor_id),
            kind="family_therapy",
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            modality="video",
            patient=User.objects.get(pk=patient_id),
            family_members=list(User.objects.filter(pk__in=member_ids)),
        )
    return str(session.pk)


@op
def reminders_due_now(recipient_id: int) -> int:
    """Bring the recipient's queued reminders forward to now (instead of waiting a day for them): the worker then
    sends them exactly as it would at their planned time."""
    from django.utils import timezone

    from notifications.models import OutboxMessage

    return OutboxMessage.objects.filter(
        recipient_id=recipient_id, template_key="session_reminder", state=OutboxMessage.State.QUEUED
    ).update(send_after=timezone.now())


@op
def enable_totp(email: str) -> str:
    """Give an existing staff account an authenticator (as if they had set it up); returns the secret."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from accounts.models import User

    person = User.objects.get(email=email)
    Authenticator.objects.filter(user=person, type=Authenticator.Type.TOTP).delete()
    secret = generate_totp_secret()
    TOTP.activate(person, secret)
    return secret


@op
def demo_content() -> dict[str, Any]:
    """On top of ``load_demo_data``: an assignment with some progress, a family session, a short conversation —
    so the screenshots show pages in use rather than empty states. Returns the paths the screenshots visit."""
    from datetime import datetime, timedelta

    from django.utils import timezone

    from accounts.models import User
    from education import services as learning
    from education.models import Module
    from messaging import services as messaging
    from scheduling.models import FamilySession
    from scheduling.services import schedule_session

    counselor = User.objects.get(email="counselor@demo.example")
    patient = User.objects.get(email="patient@demo.example")
    fran = User.objects.get(email="family@demo.example")
    for slug in ("what-addiction-is", "communication-that-helps"):
        learning.assign_module(counselor=counselor, patient=patient, module=Module.objects.get(slug=slug))
    module = Module.objects.get(slug="what-addiction-is")
    progress = learning.start_module(learner=fran, module=module)
    assert module.current_version is not None
    for lesson in module.current_version.lessons.order_by("position")[:2]:
        progress = learning.complete_lesson(progress=progress, lesson=lesson)
    assert patient.program is not None
    tz = patient.program.tz
    day = timezone.localdate(timezone=tz) + timedelta(days=3)
    starts = datetime.combine(day, time(14, 0), tzinfo=tz)
    session = schedule_session(
        actor=counselor,
        kind=FamilySession.Kind.FAMILY_THERAPY,
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        modality=FamilySession.Modality.IN_PERSON,
        location="Room 2, 10 Elm Street",
        patient=patient,
        family_members=[fran],
    )
    conversation = messaging.care_team_conversation(patient)
    messaging.send_message(
        sender=counselor,
        conversation=conversation,
        body="Hi Fran, thank you for joining the portal. The family session is on the calendar for Thursday.",
    )
    messaging.send_message(
        sender=fran, conversation=conversation, body="Thank you. I will be there. Is there parking nearby?"
    )
    return {
        "counselor_secret": enable_totp(counselor.email),
        "patient_id": patient.pk,
        "session": session.get_absolute_url(),
        "conversation": conversation.get_absolute_url(),
        "module": module.slug,
        "week": f"{day:%Y-%m-%d}",
    }


@op
def insights_families(
    counselor_email: str, patient_email: str = "", count: int = 14, tag: str = "demo"
) -> dict[str, Any]:
    """Families with activity enough for the insights charts (``tests.support.insights_demo``); without
    ``patient_email`` they belong to a new patient put on the counselor's caseload."""
    from accounts.models import User
    from tests.support import personas
    from tests.support.insights_demo import add_families

    counselor = User.objects.get(email=counselor_email)
    if patient_email:
        patient = User.objects.get(email=patient_email)
    else:
        patient = personas.make_user(f"insights-{tag}@example.org", User.Role.PATIENT, counselor.program, "Sam Lee")
        personas.assign(counselor, patient)
    return add_families(counselor, patient, count=count, tag=tag)


def main() -> None:
    out = sys.stdout
    sys.stdout = sys.stderr  # anything printed by Django or the services must not corrupt the protocol
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "family_portal.settings")
    import django

    django.setup()
    out.write(json.dumps({"ready": True}) + "\n")
    out.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        command = json.loads(line)
        try:
            result = OPS[command["op"]](**command.get("args", {}))
            answer = {"ok": result}
        except Exception:  # reported to the test, which fails with the traceback
            answer = {"error": traceback.format_exc()}
        out.write(json.dumps(answer, default=str) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
