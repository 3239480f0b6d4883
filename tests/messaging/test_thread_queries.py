"""Q1: the conversation page a family member opens costs the same few queries however long the thread and however
many people read it: the conversation comes with its seats in one query, and the ledger row is still written."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Program, User
from consent.models import Disclosure
from messaging import services
from messaging.models import Conversation
from tests.support import personas

pytestmark = pytest.mark.django_db

# The signed-in user, the gate's answer for them (their consents), the conversation with its patient, program,
# member and seats, the ledger row (§ 2.25), who reads the thread now (the composer), the page of messages.
FAMILY_THREAD_QUERIES = 6


def _conversation(kind: str, patient: User, member: User) -> Conversation:
    if kind == "shared":
        return services.care_team_conversation(patient)
    return services.private_conversation(member, patient)


def _grow(program: Program, patient: User, conversation: Conversation, start: int, people: int, messages: int) -> None:
    """``people`` more counselors (and, in the shared thread, family members) who write and so hold a seat, then
    ``messages`` more messages."""
    writers = []
    for i in range(start, start + people):
        staff = personas.make_staff(f"c{i}@example.org", program, full_name=f"Counselor {i}")
        personas.assign(staff, patient)
        writers.append(staff)
        if conversation.is_shared:
            member = personas.make_user(f"f{i}@example.org", User.Role.FAMILY, None, full_name=f"Family {i}")
            personas.consent_for(patient, member, scopes=["messaging"])
            writers.append(member)
    for n in range(messages):
        services.send_message(sender=writers[n % len(writers)], conversation=conversation, body=f"Note {start}-{n}")


def _view(
    client: Client, url: str, django_assert_num_queries, member: User, queries: int = FAMILY_THREAD_QUERIES
) -> str:
    client.get(url)  # warm: marks the thread read
    ledger = Disclosure.objects.filter(recipient=member).count()
    with django_assert_num_queries(queries):
        response = client.get(url)
    assert response.status_code == 200
    assert Disclosure.objects.filter(recipient=member).count() == ledger + 1  # every view is a disclosure
    return response.content.decode()


@pytest.mark.parametrize("kind", ["shared", "private"])
def test_family_thread_query_count_is_exact_and_flat(
    login, django_assert_num_queries, program, patient, counselor, family_member, kind
):
    client = login(family_member)
    conversation = _conversation(kind, patient, family_member)
    url = reverse("messaging:conversation", args=[conversation.pk])
    services.send_message(sender=counselor, conversation=conversation, body="Welcome")
    mine = services.send_message(sender=family_member, conversation=conversation, body="Thank you")
    page = _view(client, url, django_assert_num_queries, family_member)
    assert page.index("Welcome") < page.index("Thank you")
    for name in ("messaging:edit_message", "messaging:delete_message"):  # links of one's own messages only
        assert f'href="{reverse(name, args=[conversation.pk, mine.pk])}"' in page
    assert len(re.findall(r'href="[^"]*/(?:edit|delete)/"', page)) == 2
    assert page.count('<span class="visually-hidden"> your message from ') == 2

    _grow(program, patient, conversation, 0, 12, 130)  # past a page of messages (100), two dozen seats
    page = _view(client, url, django_assert_num_queries, family_member)
    assert "Show earlier messages" in page and "Welcome" not in page
    assert page.index("Note 0-128") < page.index("Note 0-129")
    assert "Counselor 11" in page


def test_readers_without_a_seat_yet_cost_one_more_query_together(
    login, django_assert_num_queries, program, patient, counselor, family_member
):
    conversation = services.private_conversation(family_member, patient)
    assert not conversation.participants.exists()
    for i in range(5):  # counselors who never opened or wrote to the thread: no seat, still readers
        personas.assign(personas.make_staff(f"new{i}@example.org", program, full_name=f"New {i}"), patient)
    url = conversation.get_absolute_url()
    page = _view(login(family_member), url, django_assert_num_queries, family_member, FAMILY_THREAD_QUERIES + 1)
    assert "No messages yet." in page
    assert "Casey Morgan" in page and "New 4" in page  # the composer names the care team, seated or not


def test_a_shared_thread_still_starts_at_the_family_members_own_sharing(
    login, django_assert_num_queries, program, patient, counselor, family_member
):
    conversation = services.care_team_conversation(patient)
    services.send_message(sender=family_member, conversation=conversation, body="Hello")
    services.send_message(sender=counselor, conversation=conversation, body="Before Max")
    late = personas.make_user("max@example.org", User.Role.FAMILY, None, full_name="Max Okafor")
    personas.consent_for(patient, late, scopes=["messaging"])
    services.send_message(sender=counselor, conversation=conversation, body="After Max")
    page = _view(login(late), conversation.get_absolute_url(), django_assert_num_queries, late)
    assert "After Max" in page and "Before Max" not in page
