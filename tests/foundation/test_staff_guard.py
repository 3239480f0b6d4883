"""AZ-03: one staff guard, one answer. Every staff-only URL (found in the resolver by the guard's mark) answers 404
to every persona who is not care staff, for GET and POST, even for objects that persona is part of."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import date, time, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import CaseloadAssignment, User
from consent.models import AuditEvent, Consent, ConsentFormVersion, PersonalRepresentative
from education.models import Assignment, LocalSupportGroup, Module
from education.support_groups import add_group
from family_portal.staff_guard import PROGRAM_ADMIN_ONLY_MARK, STAFF_ONLY_MARK
from messaging.summaries.models import ProgressSummary
from notifications.models import OutboxMessage
from scheduling.models import AttendanceLetter, FamilySession, TreatmentSession
from scheduling.services import schedule_series
from scheduling.services.treatment_records import save_treatment_session
from tests.summaries.helpers import released_summary
from tests.support import personas
from tests.support.portal_world import World, build_world

pytestmark = pytest.mark.django_db

NON_STAFF = ("patient", "family_member", "representative", "learner", "revoked_member", "outsider")

# Pages the issue named and every other page only staff use: the guard may gain pages, never lose one silently.
EXPECTED_STAFF_URLS = {
    "notifications:outbox",
    "notifications:outbox_requeue",
    "scheduling:week",
    "scheduling:availability",
    "scheduling:session_create",
    "scheduling:attendance_report",
    "scheduling:request_confirm",
    "scheduling:request_decline",
    "scheduling:session_reschedule",
    "scheduling:session_cancel",
    "scheduling:session_attendance",
    "scheduling:session_invite",
    "scheduling:participant_remove",
    "scheduling:session_capacity",
    "scheduling:series_change",
    "scheduling:series_cancel",
    "scheduling:treatment_patients",
    "scheduling:treatment_records",
    "scheduling:treatment_add",
    "scheduling:treatment_edit",
    "scheduling:treatment_import",
    "scheduling:treatment_import_confirm",
    "scheduling:letter_list",
    "scheduling:letter_detail",
    "scheduling:letter_download",
    "scheduling:letter_withdraw",
    "consent:patient_list",
    "consent:patient_detail",
    "consent:record_paper_consent",
    "consent:record_representative",
    "consent:ledger_export",
    "consent:review",
    "consent:record_revocation",
    "consent:end_by_event",
    "consent:end_representative",
    "consent:pending_reviews",
    "consent:break_glass",
    "education:manage",
    "education:module_new",
    "education:markdown_preview",
    "education:manage_module",
    "education:history",
    "education:version_preview",
    "education:lesson_new",
    "education:lesson_edit",
    "education:lesson_move",
    "education:lesson_delete",
    "education:question_new",
    "education:question_edit",
    "education:question_delete",
    "education:workflow",
    "education:assignments",
    "education:assignment",
    "education:assignment_cancel",
    "education:support_groups",
    "education:support_group_new",
    "education:support_group_edit",
    "education:support_group_active",
    "messaging:read_receipts",
    "messaging:message_history",
    "console:home",
    "console:staff",
    "console:staff_new",
    "console:staff_edit",
    "console:staff_deactivate",
    "console:staff_reactivate",
    "console:caseloads",
    "console:caseload_end",
    "console:program_settings",
    "console:consent_forms",
    "console:consent_form_new",
    "console:consent_form",
    "console:review_queue",
    "console:insights",
    "console:insights_csv",
    "console:caseload_insights",
    "console:caseload_insights_csv",
    "summaries:patient",
    "summaries:new",
    "summaries:edit",
    "summaries:reading_level",
}


def _walk(patterns: list, namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, f"{namespace}{entry.namespace}:" if entry.namespace else namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", entry


def marked_routes(mark: str = STAFF_ONLY_MARK) -> set[str]:
    return {name for name, entry in _walk(get_resolver().url_patterns) if getattr(entry.callback, mark, False)}


def staff_routes() -> dict[str, URLPattern]:
    """Every route the guard marks, and every route expected to be staff-only whether marked or not."""
    wanted = marked_routes() | EXPECTED_STAFF_URLS
    return {name: entry for name, entry in _walk(get_resolver().url_patterns) if name in wanted}


def _kwarg_names(entry: URLPattern) -> list[str]:
    pattern: Any = entry.pattern
    if hasattr(pattern, "converters") and pattern.converters:
        return list(pattern.converters)
    return list(pattern.regex.groupindex)


def real_objects(world: World) -> dict[str, Callable[[str], Any]]:
    """For each URL kwarg, an object of the world the non-staff personas are part of (their patient, their own
    consent, the session they are invited to, their request), so a 404 is the guard's, not a missing row."""
    patient, member = world.people["patient"], world.people["family_member"]
    draft = Module.objects.get(slug="crawl-draft").versions.get()
    row = OutboxMessage.objects.filter(recipient=member).first()
    thread = world.conversations["care_team"]
    return {
        "patient_id": lambda name: patient.pk,
        "consent_id": lambda name: Consent.objects.filter(patient=patient, recipient=member).get().pk,
        "representative_id": lambda name: PersonalRepresentative.objects.get(patient=patient).pk,
        "pk": lambda name: _session_object(world, name).pk,
        "slug": lambda name: draft.module.slug,
        "number": lambda name: draft.number,
        "lesson_id": lambda name: draft.lessons.first().pk,  # type: ignore[union-attr]
        "question_id": lambda name: draft.questions.first().pk,  # type: ignore[union-attr]
        "action": lambda name: "submit",
        "language": lambda name: "es",  # a module's translation (education/views/translations.py)
        "assignment_id": lambda name: Assignment.objects.get(patient=patient).pk,
        "row_id": lambda name: row.pk if row else uuid.uuid4(),
        "group_id": lambda name: _program_support_group(world).pk,
        "staff_id": lambda name: world.people["counselor"].pk,
        "caseload_id": lambda name: CaseloadAssignment.objects.active().get(patient=patient).pk,
        "form_id": lambda name: ConsentFormVersion.current().pk,
        "conversation_id": lambda name: thread.pk,
        "message_id": lambda name: thread.messages.first().pk,  # type: ignore[union-attr]
        "record_id": lambda name: _treatment_record(world).pk,
        "summary_id": lambda name: _progress_summary(world).pk,
        "letter_id": lambda name: AttendanceLetter.objects.get(patient=patient).pk,  # the world's letter
    }


def _progress_summary(world: World) -> ProgressSummary:
    """A released progress summary of the non-staff personas' patient (written once)."""
    patient = world.people["patient"]
    return ProgressSummary.objects.filter(patient=patient).first() or released_summary(
        world.people["counselor"], patient
    )


def _treatment_record(world: World) -> TreatmentSession:
    """A treatment session of the non-staff personas' patient (recorded once)."""
    patient = world.people["patient"]
    return TreatmentSession.objects.filter(patient=patient).first() or save_treatment_session(
        actor=world.people["counselor"],
        record=TreatmentSession(
            patient=patient,
            kind="iop_group",
            date=date(2026, 3, 2),
            start_time=time(18),
            minutes=180,
            attendance="missed",
        ),
    )


def _session_object(world: World, name: str) -> Any:
    """The request, an occurrence of a series for the series pages (booked once), or the upcoming session."""
    if "request" in name:
        return world.session_request
    if "series" not in name:
        return world.sessions["upcoming"]
    if "series" not in world.sessions:
        upcoming = world.sessions["upcoming"]
        start = upcoming.starts_at + timedelta(hours=3)
        series = schedule_series(
            actor=world.people["counselor"],
            every_weeks=1,
            count=2,
            kind=FamilySession.Kind.FAMILY_THERAPY,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            modality=FamilySession.Modality.IN_PERSON,
            location="Room 2",
            patient=world.people["patient"],
            family_members=[world.people["family_member"]],
        )
        world.sessions["series"] = series.occurrences.order_by("starts_at")[0]
    return world.sessions["series"]


def _program_support_group(world: World) -> LocalSupportGroup:
    """A support group of the program the non-staff personas' patient belongs to."""
    existing = LocalSupportGroup.objects.filter(program=world.program).first()
    return existing or add_group(
        actor=world.people["counselor"], name="Crawl group", meeting_times="Mondays", how_to_join="Ask the desk."
    )


def staff_urls(world: World) -> dict[str, str]:
    objects = real_objects(world)
    return {
        name: reverse(name, kwargs={kwarg: objects[kwarg](name) for kwarg in _kwarg_names(entry)})
        for name, entry in staff_routes().items()
    }


@pytest.fixture
def world(patient, counselor, program_admin, family_member, revoked_member, outsider, learner) -> World:
    representative = personas.make_user("gwen@example.org", User.Role.FAMILY, None, full_name="Gwen Guardian")
    return build_world(
        {
            "patient": patient,
            "counselor": counselor,
            "program_admin": program_admin,
            "family_member": family_member,
            "representative": representative,
            "revoked_member": revoked_member,
            "outsider": outsider,
            "learner": learner,
        }
    )


def test_every_page_only_staff_use_carries_the_guard() -> None:
    missing = EXPECTED_STAFF_URLS - marked_routes()
    assert not missing, f"staff pages without @staff_required: {sorted(missing)}"


def test_every_staff_url_answers_404_to_everyone_who_is_not_staff(world: World) -> None:
    urls = staff_urls(world)
    assert len(urls) >= len(EXPECTED_STAFF_URLS)
    answers = {}
    for persona in NON_STAFF:
        client = personas.login(Client(), world.people[persona])
        for name, url in urls.items():
            for method in ("get", "post"):
                status = getattr(client, method)(url).status_code
                if status != 404:
                    answers[f"{persona}: {method.upper()} {url} ({name})"] = status
    assert not answers, "\n".join(f"{key} → {status}" for key, status in answers.items())


def test_the_staff_urls_are_real_pages_for_care_staff(world: World) -> None:
    """The same URLs open for the counselor (the program console's for the program admin, its only users), so the
    404s above are the guard's and not missing objects."""
    counselor = personas.login(Client(), world.people["counselor"])
    admin = personas.login(Client(), world.people["program_admin"])
    admin_only = marked_routes(PROGRAM_ADMIN_ONLY_MARK)
    not_found = [
        name
        for name, url in staff_urls(world).items()
        if (admin if name in admin_only else counselor).get(url).status_code == 404
    ]
    assert not not_found


def test_the_program_console_is_404_for_counselors_too(world: World) -> None:
    client = personas.login(Client(), world.people["counselor"])
    admin_only = marked_routes(PROGRAM_ADMIN_ONLY_MARK)
    assert admin_only
    found = {
        name: status
        for name, url in staff_urls(world).items()
        if name in admin_only
        if (status := client.get(url).status_code) != 404
    }
    assert found == {}


def test_a_refusal_is_audited_with_the_view_name(world: World) -> None:
    client = personas.login(Client(), world.people["family_member"])
    before = AuditEvent.objects.filter(kind=AuditEvent.Kind.DISCLOSURE_REFUSED).count()
    assert client.get("/sessions/week/").status_code == 404
    refusals = AuditEvent.objects.filter(kind=AuditEvent.Kind.DISCLOSURE_REFUSED).order_by("seq")
    assert refusals.count() == before + 1
    assert refusals.last().data["view"] == "scheduling:week"  # type: ignore[union-attr]
