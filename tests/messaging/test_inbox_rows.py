"""The counselor's list of conversations: each row's link, unread badge and last-message time (worked out in the
view, in the viewer's time zone), and the same exact number of queries for one patient or twenty."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Program, User
from messaging import services
from messaging.models import Conversation, Message
from tests.support import personas

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cache_of_its_own(settings: Any) -> None:
    """Exact counts need a warm cache only this test writes: a Redis cache is shared with other test processes,
    whose writes under the same ids can turn a cached unread count cold (one query more)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "counts"}}


LIST_URL = reverse("messaging:conversation_list")

# The signed-in user (with program), the MFA check, the gate's grants, the conversations (with unread counts), their
# seats, then the start form's people: the gate's recipients per patient and their names.
INBOX_QUERIES = 7


def test_each_row_links_its_thread_counts_unread_and_reads_the_time_where_the_viewer_is(
    counselor: User, family_member: User, care_team: Conversation
) -> None:
    counselor.time_zone = "America/Los_Angeles"
    counselor.save(update_fields=["time_zone"])
    for body in ("one", "two"):
        services.send_message(sender=family_member, conversation=care_team, body=body)
    at = datetime(2026, 3, 4, 1, 30, tzinfo=UTC)  # 17:30 on March 3rd in Los Angeles
    Conversation.objects.filter(pk=care_team.pk).update(last_message_at=at)
    Message.objects.filter(conversation=care_team).update(created_at=at)

    html = personas.login(Client(), counselor).get(LIST_URL).content.decode()

    row = re.search(rf'<a class="conversation-link" href="{care_team.get_absolute_url()}">(.*?)</li>', html, re.S)
    assert row is not None
    assert '<span class="badge badge-warn">2 unread</span>' in row.group(1)
    time = re.search(r'<time datetime="([^"]+)">([^<]+)</time>', row.group(1))
    assert time is not None
    assert datetime.fromisoformat(time.group(1)) == at
    assert time.group(2).startswith("Mar 3") and "5:30" in time.group(2)


def test_a_read_thread_has_no_badge(counselor: User, family_member: User, care_team: Conversation) -> None:
    services.send_message(sender=counselor, conversation=care_team, body="From me")
    html = personas.login(Client(), counselor).get(LIST_URL).content.decode()
    assert "unread</span>" not in html.split('id="section-shared"')[1].split("</section>")[0]


def _caseload(counselor: User, program: Program, count: int, prefix: str) -> None:
    for n in range(count):
        patient = personas.make_user(f"{prefix}p{n}@example.org", User.Role.PATIENT, program)
        personas.assign(counselor, patient)
        member = personas.make_user(f"{prefix}f{n}@example.org", User.Role.FAMILY, None, full_name=f"Fam {n}")
        personas.consent_for(patient, member)
        services.send_message(sender=member, conversation=services.care_team_conversation(patient), body="Hi")


def _count(client: Client) -> int:
    client.get(LIST_URL)  # the first visit creates the care-team threads; measure the next
    with CaptureQueriesContext(connection) as captured:
        assert client.get(LIST_URL).status_code == 200
    return len(captured)


def test_the_list_makes_the_same_seven_queries_for_one_patient_or_twenty(program: Program, counselor: User) -> None:
    client = personas.login(Client(), counselor)
    _caseload(counselor, program, 1, "a")
    one = _count(client)
    _caseload(counselor, program, 19, "b")
    assert one == _count(client) == INBOX_QUERIES
