"""The role dashboards cost the same number of queries whatever the amount of data behind their cards (Q1).

Each test builds one viewer with 1 item of each kind and another with 20 in the same database, through the real
services, and asserts the second dashboard makes exactly as many queries as the first."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Program, User
from consent.models import Disclosure, Scope
from education.models import Module
from education.services import assign_module, start_module
from messaging import services as messaging
from tests.scheduling.conftest import book, future_start
from tests.support import personas
from tests.support.education_content import published_module

pytestmark = pytest.mark.django_db


_slot = itertools.count()


@pytest.fixture(autouse=True)
def _slots_from_tomorrow() -> None:
    """Each test books from tomorrow on, so which sessions fall in the counselor's "this week" (and so the queries
    their card makes) does not depend on how many sessions the tests before it booked."""
    global _slot
    _slot = itertools.count()


def _next_start() -> datetime:
    """A distinct future daytime hour for every session booked here (one counselor never double-books)."""
    k = next(_slot) % 60
    return future_start(days=1 + k // 6, hour_utc=13 + k % 6)


def _module(slug: str, program: Program) -> Module:
    return published_module(slug, program=program, lessons=1, questions=[])


def _family_member_with(n: int, program: Program, counselor: User, assigned: Module) -> User:
    """A family member of ``n`` patients who share everything: per patient a consent, a session, an assignment,
    a care-team conversation with an unread message, and a module the member has started."""
    member = personas.make_user(f"member{n}@example.org", User.Role.FAMILY, None, full_name=f"Member {n}")
    for i in range(n):
        patient = personas.make_user(f"p{n}-{i}@example.org", User.Role.PATIENT, program, full_name=f"Pat {n} {i}")
        personas.assign(counselor, patient)
        personas.consent_for(patient, member)
        book(counselor, patient, [member], starts_at=_next_start())
        assign_module(counselor=counselor, patient=patient, module=assigned)
        start_module(learner=member, module=_module(f"started-{n}-{i}", program))
        messaging.send_message(
            sender=counselor, conversation=messaging.care_team_conversation(patient), body=f"Hello {i}"
        )
    return member


def _counselor_with(n: int, program: Program, assigned: Module) -> User:
    """A counselor with ``n`` patients: per patient a family member whose consent expires soon, a session this
    week, an assignment they made and a care-team conversation with an unread message from the family."""
    counselor = personas.make_staff(f"counselor{n}@example.org", program, full_name=f"Counselor {n}")
    for i in range(n):
        patient = personas.make_user(f"sp{n}-{i}@example.org", User.Role.PATIENT, program, full_name=f"Sam {n} {i}")
        personas.assign(counselor, patient)
        member = personas.make_user(f"sm{n}-{i}@example.org", User.Role.FAMILY, None, full_name=f"Fam {n} {i}")
        personas.consent_for(patient, member, days=7)
        book(counselor, patient, [member], starts_at=_next_start())
        assign_module(counselor=counselor, patient=patient, module=assigned)
        messaging.send_message(sender=member, conversation=messaging.care_team_conversation(patient), body=f"Hi {i}")
    return counselor


def _patient_with(n: int, program: Program, counselor: User) -> User:
    """A patient sharing with ``n`` family members (consents expiring soon), a session with each and ``n`` unread
    messages in their care-team conversation."""
    patient = personas.make_user(f"patient{n}@example.org", User.Role.PATIENT, program, full_name=f"Patient {n}")
    personas.assign(counselor, patient)
    conversation = messaging.care_team_conversation(patient)
    for i in range(n):
        member = personas.make_user(f"pm{n}-{i}@example.org", User.Role.FAMILY, None, full_name=f"Kin {n} {i}")
        personas.consent_for(patient, member, days=7)
        book(counselor, patient, [member], starts_at=_next_start())
        messaging.send_message(sender=counselor, conversation=conversation, body=f"Hello {i}")
    return patient


def _dashboard_query_count(login: Any, user: User) -> int:
    client = login(user, Client())
    client.get(reverse("dashboard"))  # first visit writes once-only rows (care-team threads); measure the next
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _assert_same_cost(login: Any, django_assert_num_queries: Any, small: User, large: User) -> None:
    expected = _dashboard_query_count(login, small)
    client = login(large, Client())
    client.get(reverse("dashboard"))
    with django_assert_num_queries(expected):
        response = client.get(reverse("dashboard"))
    assert response.status_code == 200


def test_family_dashboard_costs_the_same_for_one_or_twenty_of_everything(
    program: Program, login: Any, django_assert_num_queries: Any
) -> None:
    counselor = personas.make_staff("team@example.org", program)
    assigned = _module("assigned", program)
    one = _family_member_with(1, program, counselor, assigned)
    twenty = _family_member_with(20, program, counselor, assigned)

    _assert_same_cost(login, django_assert_num_queries, one, twenty)


# The signed-in user (with program and phone), the consent gate, the Learning card (assignments and progress in
# one query), the next sessions, the unread session notices, and the ledger rows in one insert (Q1 budget: 6).
FAMILY_DASHBOARD_QUERIES = 6


def _dashboard_sql(login: Any, user: User) -> list[str]:
    client = login(user, Client())
    client.get(reverse("dashboard"))  # first visit writes once-only rows (care-team threads); measure the next
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("dashboard")).status_code == 200
    return [query["sql"] for query in ctx.captured_queries]


def test_family_dashboard_makes_six_queries_for_one_or_twenty_of_everything(program: Program, login: Any) -> None:
    counselor = personas.make_staff("team@example.org", program)
    assigned = _module("assigned", program)
    one = _family_member_with(1, program, counselor, assigned)
    twenty = _family_member_with(20, program, counselor, assigned)
    for member in (one, twenty):  # both have an unfinished module besides the assigned ones
        start_module(learner=member, module=assigned)

    for member in (one, twenty):
        queries = _dashboard_sql(login, member)
        assert len(queries) == FAMILY_DASHBOARD_QUERIES, queries
        assert sum('"education_' in sql.split(" WHERE ", 1)[0] for sql in queries) == 1  # the Learning card


def test_family_dashboard_still_writes_one_ledger_row_per_patient_and_scope_shown(program: Program, login: Any) -> None:
    counselor = personas.make_staff("team@example.org", program)
    member = _family_member_with(4, program, counselor, _module("assigned", program))
    before = set(Disclosure.objects.filter(recipient=member).values_list("pk", flat=True))

    login(member, Client()).get(reverse("dashboard"))

    rows = Disclosure.objects.filter(recipient=member).exclude(pk__in=before)
    education = rows.filter(scope=Scope.EDUCATION, what="Education assignments")
    schedule = rows.filter(scope=Scope.SCHEDULE, what="Upcoming family sessions (home page)")
    assert education.values("patient").distinct().count() == education.count() == 4
    assert schedule.values("patient").distinct().count() == schedule.count() == 3  # the next three sessions
    assert all(row.consent.patient_id == row.patient_id for row in rows.select_related("consent"))


def test_counselor_dashboard_costs_the_same_for_one_or_twenty_patients(
    program: Program, login: Any, django_assert_num_queries: Any
) -> None:
    assigned = _module("assigned", program)
    one = _counselor_with(1, program, assigned)
    twenty = _counselor_with(20, program, assigned)

    _assert_same_cost(login, django_assert_num_queries, one, twenty)


def test_patient_dashboard_costs_the_same_for_one_or_twenty_family_members(
    login: Any, django_assert_num_queries: Any
) -> None:
    program = personas.make_program(patients_join_care_team=True)
    counselor = personas.make_staff("team@example.org", program)
    one = _patient_with(1, program, counselor)
    twenty = _patient_with(20, program, counselor)

    _assert_same_cost(login, django_assert_num_queries, one, twenty)


@pytest.mark.parametrize("url_name", ["messaging:conversation_list", "scheduling:session_list"])
def test_family_lists_cost_the_same_for_one_or_twenty_patients(
    url_name: str, program: Program, login: Any, django_assert_num_queries: Any
) -> None:
    counselor = personas.make_staff("team@example.org", program)
    assigned = _module("assigned", program)
    one = _family_member_with(1, program, counselor, assigned)
    twenty = _family_member_with(20, program, counselor, assigned)
    url = reverse(url_name)
    for user in (one, twenty):
        login(user, Client()).get(url)  # first visit creates the care-team threads
    small = login(one, Client())
    with CaptureQueriesContext(connection) as ctx:
        assert small.get(url).status_code == 200
    large = login(twenty, Client())
    before = Disclosure.objects.filter(recipient=twenty).count()
    with django_assert_num_queries(len(ctx.captured_queries)):
        assert large.get(url).status_code == 200
    assert Disclosure.objects.filter(recipient=twenty).count() - before == 20  # one ledger row per patient


def test_learner_dashboard_shows_no_patient_cards_and_writes_no_ledger_rows(learner: User, login: Any) -> None:
    response = login(learner).get(reverse("dashboard"))

    assert response.status_code == 200
    titles = [card.title for card in response.context["cards"]]
    assert "Your family sessions" not in titles and "Messages" not in titles
    assert not Disclosure.objects.filter(recipient=learner).exists()


def test_representative_sees_assignments_without_a_ledger_row_as_the_gate_decides(
    program: Program, patient: User, counselor: User, learner: User, login: Any
) -> None:
    from consent.models import PersonalRepresentative
    from consent.services import record_personal_representative

    record_personal_representative(
        staff=counselor,
        patient=patient,
        representative=learner,
        authority=PersonalRepresentative.Authority.GUARDIAN,
        document_reference="Court order 12",
    )
    assign_module(counselor=counselor, patient=patient, module=_module("assigned", program))
    book(counselor, patient, [learner], starts_at=_next_start())

    response = login(learner).get(reverse("dashboard"))

    assert response.status_code == 200
    learning = next(card for card in response.context["cards"] if card.title == "Learning")
    assert [a.patient_id for a in learning.context["assigned"]] == [patient.pk]
    assert not Disclosure.objects.filter(recipient=learner).exists()  # acting as the patient is not a disclosure


def test_family_dashboard_shows_the_part2_notice_once(login, family_member, patient, counselor):
    from education.services import assign_module
    from tests.scheduling.conftest import book
    from tests.support.education_content import published_module

    assign_module(counselor=counselor, patient=patient, module=published_module("notice-once"))
    book(counselor, patient, [family_member])
    body = login(family_member).get("/dashboard/").content.decode()
    assert body.count("data-part2-notice") == 1
