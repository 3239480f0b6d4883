"""The family dashboard's prepared card queries (``family_portal.dashboard.PreparedWithIds``): the same SQL and the
same rows as the ORM path they replace, nothing compiled again on the next page, a fallback to the ORM for id
lists that do not fit, and a consent's end seen on the very next page."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import timedelta
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Program, User
from consent import request_memo
from consent.gate import visibility, visible_patient_ids
from consent.models import Consent, Disclosure, Scope
from education import dashboard as education_cards
from education.access import enrolled_programs, readable_modules
from education.models import Module
from education.services import assign_module, start_module
from family_portal.dashboard import PREPARED_IDS, PreparedWithIds
from scheduling import dashboard as scheduling_cards
from scheduling.access import viewer_tz
from scheduling.models import FamilySession, Participant, SessionNotice
from scheduling.services import cancel_session, decline_request, request_session, respond_rsvp
from scheduling.views.sessions import family_sessions
from tests.scheduling.conftest import book, future_start
from tests.support import personas
from tests.support.compiles import watch_compiles
from tests.support.education_content import published_module

pytestmark = pytest.mark.django_db


def _module(slug: str, program: Program | None) -> Module:
    return published_module(slug, program=program, lessons=2, questions=[], title=f"Module {slug}")


def _patient_of(n: int, program: Program, counselor: User, member: User) -> tuple[User, FamilySession]:
    """A patient sharing everything with ``member``: an invitation (a notice), a cancelled session (another), a
    declined request (a third), an assignment of their own module and one the member started."""
    patient = personas.make_user(f"pp{n}@example.org", User.Role.PATIENT, program, full_name=f"Pat {n}")
    personas.assign(counselor, patient)
    personas.consent_for(patient, member)
    session = book(counselor, patient, [member], starts_at=future_start(days=2 + n))
    cancel_session(
        actor=counselor,
        session=book(counselor, patient, [member], starts_at=future_start(days=9 + n)),
        reason="Office closed.",
    )
    asked = request_session(requester=member, patient=patient, proposed_times=[future_start(days=20 + n)])
    decline_request(actor=counselor, session_request=asked, message="Not that week.")
    assign_module(counselor=counselor, patient=patient, module=_module(f"assigned-{n}", program))
    start_module(learner=member, module=_module(f"started-{n}", None))
    return patient, session


@pytest.fixture
def world(program: Program) -> dict[str, Any]:
    """One member with one patient, one with two patients in two programs, and an event night in each program."""
    other = personas.make_program("Lakeside Program")
    counselors = {p.pk: personas.make_staff(f"c{p.pk}@example.org", p) for p in (program, other)}
    one = personas.make_user("one@example.org", User.Role.FAMILY, None, full_name="One Member")
    two = personas.make_user("two@example.org", User.Role.FAMILY, None, full_name="Two Member")
    _patient_of(1, program, counselors[program.pk], one)
    _patient_of(2, program, counselors[program.pk], two)
    _patient_of(3, other, counselors[other.pk], two)
    for p in (program, other):
        book(counselors[p.pk], None, starts_at=future_start(days=4, hour_utc=15))
    return {"one": one, "two": two}


def _orm_upcoming(member: User, now: Any) -> Any:
    sessions = family_sessions(member).prefetch_related(None).select_related(None).select_related("program")
    return sessions.scheduled().upcoming(now)[: scheduling_cards.NEXT_SESSIONS]


def _orm_notices(member: User) -> Any:
    return SessionNotice.objects.visible_to(member).unread().select_related("session", "request")[:5]


def _prepared_sql(prepared: PreparedWithIds, ids: Mapping[str, Collection[int]]) -> str:
    shape = tuple((name, len(listed)) for name, listed in ids.items())
    return str(prepared.prepared(shape)._compiled["default"].sql)


@pytest.mark.parametrize("who", ["one", "two"])
def test_prepared_card_queries_are_the_orm_queries_and_give_their_rows(world: dict[str, Any], who: str) -> None:
    member, now = world[who], timezone.now()
    with request_memo.opened(now):
        programs = visibility(member).program_ids(Scope.SCHEDULE)
        assert programs is not None  # a family member's patients' programs are known
        schedule = {"patient": visible_patient_ids(member, Scope.SCHEDULE), "program": programs}
        learning = {"program": enrolled_programs(member), "patient": visible_patient_ids(member, Scope.EDUCATION)}
        upcoming = scheduling_cards._PREPARED_UPCOMING.rows(schedule, user=member.pk, now=now)
        notices = scheduling_cards._PREPARED_NOTICES.rows(schedule, user=member.pk)
        modules = education_cards._PREPARED_LEARNING.rows(learning, learner=member.pk)
        orm_queries = {
            "upcoming": _orm_upcoming(member, now),
            "notices": _orm_notices(member),
            "learning": education_cards._learning_query(readable_modules(member), member, learning["patient"]),
        }
        orm = {name: list(query) for name, query in orm_queries.items()}

    # The same SQL text (the rules are the model methods both paths call) …
    checked: list[tuple[str, PreparedWithIds, Mapping[str, Collection[int]]]] = [
        ("upcoming", scheduling_cards._PREPARED_UPCOMING, schedule),
        ("notices", scheduling_cards._PREPARED_NOTICES, schedule),
        ("learning", education_cards._PREPARED_LEARNING, learning),
    ]
    for name, prepared, ids in checked:
        assert _prepared_sql(prepared, ids) == orm_queries[name].query.get_compiler("default").as_sql()[0], name
    # … and the same rows, down to the annotations and joined rows the cards read.
    assert upcoming and notices and modules
    assert [(s.pk, s.my_rsvp, s.my_attendance, s.program) for s in upcoming] == [
        (s.pk, s.my_rsvp, s.my_attendance, s.program) for s in orm["upcoming"]
    ]
    assert {n.kind for n in notices} == {"invited", "cancelled", "request_declined"}
    assert [(n.pk, n.session, n.request) for n in notices] == [(n.pk, n.session, n.request) for n in orm["notices"]]

    def learning_rows(rows: list[Module]) -> list[tuple[Any, ...]]:
        mine = [getattr(m, "mine", None) for m in rows]
        return sorted(
            (m.pk, m.current_version, p and p.pk, p and p.version, getattr(m, "assigned", None))
            + (vars(m)["lesson_done"], vars(m)["lesson_total"])
            for m, p in zip(rows, mine, strict=True)
        )

    assert learning_rows(modules) == learning_rows(orm["learning"])


def test_the_next_dashboard_compiles_none_of_the_cards_queries(world: dict[str, Any], monkeypatch: Any) -> None:
    client = personas.login(Client(), world["two"])
    first = client.get(reverse("dashboard")).content.decode()
    compiled = watch_compiles(monkeypatch).models
    again = client.get(reverse("dashboard")).content.decode()
    assert not {FamilySession, SessionNotice, Module} & set(compiled)
    assert "Module assigned-2" in again and "Module assigned-3" in again
    assert again.count("rsvp-form") == first.count("rsvp-form") > 0


def test_more_patients_than_prepared_fall_back_to_the_orm(program: Program) -> None:
    counselor = personas.make_staff("many@example.org", program)
    member = personas.make_user("many-m@example.org", User.Role.FAMILY, None, full_name="Many")
    sessions = [_patient_of(10 + n, program, counselor, member)[1] for n in range(PREPARED_IDS + 1)]
    assert scheduling_cards._PREPARED_UPCOMING.rows({"patient": range(PREPARED_IDS + 1)}, user=1, now=None) is None
    page = personas.login(Client(), member).get(reverse("dashboard")).content.decode()
    shown = [s for s in sessions if reverse("scheduling:rsvp", args=[s.pk]) in page]
    assert shown == sessions[: scheduling_cards.NEXT_SESSIONS]


def test_a_revoked_consent_is_not_shown_on_the_next_dashboard(program: Program) -> None:
    counselor = personas.make_staff("rc@example.org", program)
    member = personas.make_user("rm@example.org", User.Role.FAMILY, None, full_name="Rae Member")
    kept, kept_session = _patient_of(1, program, counselor, member)
    revoked, revoked_session = _patient_of(2, program, counselor, member)
    client = personas.login(Client(), member)
    before = client.get(reverse("dashboard")).content.decode()
    for session in (kept_session, revoked_session):
        assert reverse("scheduling:rsvp", args=[session.pk]) in before
    assert "Module assigned-1" in before and "Module assigned-2" in before

    personas.revoke(Consent.objects.get(patient=revoked, recipient=member))
    since = timezone.now() - timedelta(microseconds=1)
    after = client.get(reverse("dashboard")).content.decode()

    # The kept patient's session and assignment remain; nothing of the revoked one: no session, no notice about it
    # (its link), no assignment, and no ledger row naming them.
    assert reverse("scheduling:rsvp", args=[kept_session.pk]) in after
    assert revoked_session.get_absolute_url() not in after
    assert "Module assigned-1" in after and "Module assigned-2" not in after
    assert "Module started-2" in after  # the member's own progress on shared content is theirs
    rows = Disclosure.objects.filter(recipient=member, at__gte=since)
    assert {row.patient_id for row in rows} == {kept.pk}


def _without_csrf(html: str) -> str:
    return re.sub(r'<input type="hidden" name="csrfmiddlewaretoken" value="[^"]*">', "", html)


def test_the_sessions_card_writes_out_the_schedule_partials_exactly(program: Program) -> None:
    """The card has ``scheduling/_when.html``, ``_rsvp_badge.html`` and ``_rsvp_buttons.html`` written out (no
    include per row): each session's lines are what those partials render, so a change to one fails here."""
    counselor = personas.make_staff("wo@example.org", program)
    member = personas.make_user("wo-m@example.org", User.Role.FAMILY, None, full_name="Wren Member")
    _patient, invited = _patient_of(1, program, counselor, member)
    going = book(counselor, _patient, [member], starts_at=future_start(days=5, hour_utc=14))
    respond_rsvp(user=member, session=going, response="accepted")
    page = _without_csrf(personas.login(Client(), member).get(reverse("dashboard")).content.decode())
    for session, rsvp in ((invited, "invited"), (going, "accepted")):
        with timezone.override(viewer_tz(member, session.program)):
            parts = [
                render_to_string("scheduling/_when.html", {"s": session}),
                render_to_string("scheduling/_rsvp_badge.html", {"rsvp": rsvp}),
                render_to_string(
                    "scheduling/_rsvp_buttons.html",
                    {
                        "s": session,
                        "choices": Participant.answer_choices(),
                        "current": rsvp,
                        "next": reverse("dashboard"),
                    },
                ),
            ]
        for part in parts:
            assert _without_csrf(part) in page
