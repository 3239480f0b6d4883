"""The inbox's compiled queries (``messaging.inbox_queries``) answer what the ORM path answers: the same
conversations in the same order with the same counts and titles, the gate's recipients, the same people, and the
same page byte for byte (issue #17, H1)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Program, User
from consent import policy
from consent.gate import recipients_by_patient, visible_patient_ids
from consent.models import Scope
from family_portal import prepared_lists
from messaging import inbox_queries, services
from messaging.models import Conversation
from tests.support import personas

pytestmark = pytest.mark.django_db

LIST_URL = reverse("messaging:conversation_list")


@pytest.fixture
def world(program: Program, counselor: User, patient: User, family_member: User, revoked_member: User) -> User:
    """A caseload of three patients with every kind of conversation: shared threads, private ones, a one-to-one
    the counselor sits in and one between another counselor and the same family member (not listed), unread
    messages, a guardian (a representative) and a revoked consent."""
    second = personas.make_user("sam@example.org", User.Role.PATIENT, program, full_name="Sam Stone")
    third = personas.make_user("tia@example.org", User.Role.PATIENT, program, full_name="Tia Tran")
    for other in (second, third):
        personas.assign(counselor, other)
    sibling = personas.make_user("sib@example.org", User.Role.FAMILY, None, full_name="Sib <Stone> & Co")
    personas.consent_for(second, sibling)
    personas.guardian_of(third, counselor)
    colleague = personas.make_staff("col@example.org", program, full_name="Col League")
    personas.assign(colleague, patient)
    shared = services.care_team_conversation(patient)
    services.send_message(sender=family_member, conversation=shared, body="Hello")
    services.send_message(sender=sibling, conversation=services.care_team_conversation(second), body="Hi")
    private = services.private_conversation(family_member, patient)
    services.send_message(sender=family_member, conversation=private, body="Just us")
    direct = services.start_direct_conversation(starter=counselor, patient=patient, other=family_member)
    services.send_message(sender=family_member, conversation=direct, body="One to one")
    services.start_direct_conversation(starter=colleague, patient=patient, other=family_member)
    services.private_conversation(sibling, second)
    return counselor


def _orm(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ``PreparedList`` declines (as for a list too long), so the ORM path runs."""
    monkeypatch.setattr(prepared_lists, "LONGEST", 0)


def _described(conversations: list[Any], viewer: User) -> list[tuple[Any, ...]]:
    return [(c.pk, c.kind, c.unread, c.last_read, c.visible_from, c.title_for(viewer)) for c in conversations]


def test_the_compiled_list_equals_the_orm_list(world: User, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = visible_patient_ids(world, Scope.MESSAGING)
    assert len(ids) == 3 and inbox_queries._COUNSELOR_LIST.rows(ids, viewer=world.pk) is not None  # compiled
    compiled = inbox_queries.listed_conversations(world)
    assert {c.kind for c in compiled} == set(Conversation.Kind)
    assert any(c.unread for c in compiled)
    _orm(monkeypatch)
    assert _described(compiled, world) == _described(inbox_queries.listed_conversations(world), world)


def test_the_compiled_list_loads_the_one_to_ones_seats(
    world: User, family_member: User, django_assert_num_queries: Any
) -> None:
    listed = inbox_queries.listed_conversations(world)
    direct = next(c for c in listed if c.kind == Conversation.Kind.DIRECT)
    with django_assert_num_queries(0):
        assert direct.title_for(world).startswith(family_member.display_name)
        assert {seat.user_id for seat in direct.participants.all()} == {world.pk, family_member.pk}


def test_the_compiled_recipients_are_the_gates(world: User) -> None:
    patients = list(Conversation.objects.values_list("patient_id", flat=True).distinct())
    for grants in [(policy.CONSENT, policy.REPRESENTATIVE), (policy.CASELOAD,)]:
        compiled = inbox_queries.messaging_recipients(patients, grants)
        assert compiled == recipients_by_patient(patients, Scope.MESSAGING, grants=grants)
        assert any(compiled.values())


def test_users_by_id_is_in_bulk(world: User) -> None:
    ids = set(User.objects.values_list("pk", flat=True)[:5])
    assert inbox_queries.users_by_id(ids) == User.objects.in_bulk(ids)
    assert inbox_queries.users_by_id(set()) == {}


def _page(client: Client) -> str:
    html = client.get(LIST_URL).content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    html = re.sub(r'data-idle-left="\d+"', "", html)  # seconds left in the session: moves between requests
    return re.sub(r'nonce="[^"]+"', "", html)


def test_the_counselor_inbox_is_the_orm_paths_page_byte_for_byte(
    world: User, revoked_member: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = personas.login(Client(), world)
    compiled = _page(client)
    assert "Sib &lt;Stone&gt; &amp; Co" in compiled and "Gail Guardian" in compiled
    assert revoked_member.display_name not in compiled
    _orm(monkeypatch)
    assert _page(client) == compiled


def test_a_revoked_consent_is_gone_from_the_next_inbox(world: User, family_member: User, consent: Any) -> None:
    client = personas.login(Client(), world)
    assert f'<option value="{consent.patient_id}:{family_member.pk}">' in _page(client)
    personas.revoke(consent)
    assert f'<option value="{consent.patient_id}:{family_member.pk}">' not in _page(client)


def test_padding_repeats_the_last_id_to_the_next_length() -> None:
    assert prepared_lists.padded([5, 3, 3, 7]) == [3, 5, 7, 7]
    assert prepared_lists.padded([9]) == [9]
    assert prepared_lists.padded([]) is None
    assert prepared_lists.padded(["3"]) is None
    assert prepared_lists.padded(range(prepared_lists.LONGEST + 1)) is None
    assert len(prepared_lists.padded(range(prepared_lists.LONGEST)) or []) == prepared_lists.LONGEST
