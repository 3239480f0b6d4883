"""The staff outbox page, requeueing dead rows, and the dashboard cards."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from notifications.models import OutboxMessage
from notifications.services import enqueue_message
from tests.notifications import idor
from tests.notifications.conftest import give_phone

pytestmark = pytest.mark.django_db

OUTBOX = "/notifications/outbox/"


def _rows(member: User, patient: User, n: int, state: str = OutboxMessage.State.SENT) -> list[OutboxMessage]:
    rows = []
    for i in range(n):
        row = enqueue_message(
            recipient=member,
            template_key="new_message",
            idempotency_key=f"k{patient.pk}-{i}-{state}",
            context={"link": "https://portal.example.org/notifications/go/abc"},
            patient=patient,
            scope="messaging",
        )
        assert row is not None
        OutboxMessage.objects.filter(pk=row.pk).update(state=state, body="You have a new secure message")
        rows.append(row)
    return rows


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("counselor", 200),
        ("program_admin", 200),
        ("unassigned_counselor", 200),
        ("family_member", 404),
        ("patient", 404),
        ("outsider", 404),
        ("learner", 404),
    ],
)
def test_outbox_page_access(login: Any, request: pytest.FixtureRequest, persona: str, status: int) -> None:
    client = login(request.getfixturevalue(persona))
    assert client.get(OUTBOX).status_code == status


def test_counselor_sees_only_caseload_rows(
    login: Any, counselor: User, patient: User, other_patient: User, family_member: User, outsider: User
) -> None:
    _rows(family_member, patient, 1)
    _rows(outsider, other_patient, 1)
    page = login(counselor).get(OUTBOX)
    assert page.context["page"].paginator.count == 1
    assert b"Fran Rivera" in page.content and b"Otto Oakes" not in page.content


def test_unassigned_counselor_sees_nothing(
    login: Any, unassigned_counselor: User, patient: User, family_member: User
) -> None:
    _rows(family_member, patient, 2)
    page = login(unassigned_counselor).get(OUTBOX)
    assert page.context["page"].paginator.count == 0
    assert b"No messages to show" in page.content


def test_phone_codes_are_never_shown(login: Any, program_admin: User, family_member: User, daytime: Any) -> None:
    from notifications.phones import set_phone

    set_phone(user=family_member, raw_number="+12125550142")
    code = OutboxMessage.objects.get(template_key="phone_code").context["code"]
    page = login(program_admin).get(OUTBOX)
    assert b"Hidden (sign-in code)" in page.content
    assert code.encode() not in page.content


@pytest.mark.parametrize("count", [1, 20])
def test_outbox_page_query_count_is_constant(
    login: Any,
    counselor: User,
    patient: User,
    family_member: User,
    count: int,
    django_assert_num_queries: Any,
) -> None:
    _rows(family_member, patient, count)
    client = login(counselor)
    client.get(OUTBOX)  # warm the session and MFA checks
    # Equal at 1 and 20 rows: if a per-row query sneaks in, one of the two parametrized runs fails.
    with django_assert_num_queries(_baseline_queries(client)):
        response = client.get(OUTBOX)
    assert response.context["page"].paginator.count == count


def _baseline_queries(client: Client) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        client.get(OUTBOX + "?state=nothing-matches-this")
    return len(ctx.captured_queries)


def test_outbox_query_counts_equal_at_1_and_20(login: Any, counselor: User, patient: User, family_member: User) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(counselor)
    client.get(OUTBOX)
    counts = []
    for n in (1, 19):
        _rows(family_member, patient, n, state=OutboxMessage.State.DEAD if n == 1 else OutboxMessage.State.SENT)
        with CaptureQueriesContext(connection) as ctx:
            client.get(OUTBOX)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    assert OutboxMessage.objects.count() == 20


def test_counselor_requeues_dead_row(login: Any, counselor: User, patient: User, family_member: User) -> None:
    [row] = _rows(family_member, patient, 1, state=OutboxMessage.State.DEAD)
    client = login(counselor)
    response = client.post(reverse("notifications:outbox_requeue", args=[row.pk]))
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.state == OutboxMessage.State.QUEUED and row.attempts == 0
    assert client.get(OUTBOX + "?state=attention").context["page"].paginator.count == 0


@pytest.mark.parametrize("persona", ["unassigned_counselor", "outsider", "learner", "family_member", "revoked_member"])
def test_requeue_url_is_404_outside_scope(
    login: Any, request: pytest.FixtureRequest, patient: User, persona: str
) -> None:
    [url] = idor.object_urls(patient)
    client = login(request.getfixturevalue(persona))
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert OutboxMessage.objects.get().state == OutboxMessage.State.DEAD


def test_requeue_url_get_is_405_for_the_care_team(login: Any, counselor: User, patient: User) -> None:
    [url] = idor.object_urls(patient)
    assert login(counselor).get(url).status_code == 405


def test_staff_dashboard_card_counts_attention(login: Any, counselor: User, patient: User, family_member: User) -> None:
    client = login(counselor)
    assert b"going out normally" in client.get("/dashboard/").content
    _rows(family_member, patient, 2, state=OutboxMessage.State.DEAD)
    content = client.get("/dashboard/").content
    assert b"2 gave up" in content


def test_family_dashboard_card_shows_sms_status(client: Client, family_member: User, daytime: Any) -> None:
    client.force_login(family_member)
    assert b"Add a mobile number" in client.get("/dashboard/").content
    give_phone(family_member)
    assert b"Texts are on" in client.get("/dashboard/").content


def test_outbox_shows_plain_kinds_and_the_viewers_local_time(
    login: Any, counselor: User, patient: User, family_member: User
) -> None:
    from datetime import UTC, datetime

    row = _rows(family_member, patient, 1)[0]
    OutboxMessage.objects.filter(pk=row.pk).update(created_at=datetime(2026, 7, 1, 16, 5, tzinfo=UTC))
    body = login(counselor).get(OUTBOX).content.decode()
    assert "New-message notice" in body and ">new_message<" not in body
    assert "Jul 1, 12:05 PM" in body  # 16:05 UTC in the program's New York time (MONTH_DAY_TIME_FORMAT)
