"""What one socket connect and one socket message cost in queries, and that the cost does not grow with the data
(issue #17, items 3 and 4): the per-frame user and session re-read is one query, the delivery-side session recheck
is one query, and a write's broadcasts come back to the consumer after the commit instead of being sent from the
database thread."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from accounts.models import User
from accounts.sessions import session_store
from messaging import services, socket_calls
from messaging.access import ACCESS_ENDED, SESSION_ENDED, session_close_code
from messaging.models import Conversation, Message, SocketConnection
from tests.messaging.conftest import session_key_for
from tests.support import personas

pytestmark = pytest.mark.django_db

# Counted on the test database (SQLite: its BEGIN IMMEDIATE and COMMIT are statements too).
# A message: the user with the session row (one query), then in one transaction the lock, the gate, the seats, the
# insert and the two updates. It was one more: the session row read on its own.
SEND_QUERIES = 9
# A family connect, in one transaction: the session row, the conversation, the consent relied on, its ledger row
# and the presence row. It was two more: the gate asked for can_participate and again (authority, then consent)
# for the ledger row; now once (``gate.disclosure_if_allowed``), authorities only for people ever named by one.
CONNECT_QUERIES = 7


def _grow(patient: User, members: int, messages: int, care_team: Conversation, counselor: User) -> None:
    """More people with a consent, and more history, in the same conversation."""
    for n in range(members):
        personas.consent_for(patient, personas.make_user(f"grow{n}@example.org", User.Role.FAMILY, None))
    for n in range(messages):
        services.send_message(sender=counselor, conversation=care_team, body=f"history {n}")


def _send_count(django_assert_max_num_queries: Any, key: str, user: User, care_team: Conversation) -> int:
    conversation = Conversation.objects.select_related("patient__program").get(pk=care_team.pk)
    with django_assert_max_num_queries(50) as captured:
        message, _, broadcasts = socket_calls.send_and_describe(key, user.pk, conversation, "Hello")
    assert Message.objects.filter(pk=message.pk).exists()
    assert [event["type"] for _, event in broadcasts] == ["message.created"]
    return len(captured.captured_queries)


@pytest.mark.django_db(transaction=True)
def test_a_socket_message_costs_the_same_queries_however_large_the_family_and_history(
    django_assert_max_num_queries, patient, counselor, family_member, care_team
):
    key = session_key_for(family_member)
    _send_count(django_assert_max_num_queries, key, family_member, care_team)  # the first one also seats people
    before = _send_count(django_assert_max_num_queries, key, family_member, care_team)
    _grow(patient, members=15, messages=30, care_team=care_team, counselor=counselor)
    _send_count(django_assert_max_num_queries, key, family_member, care_team)
    after = _send_count(django_assert_max_num_queries, key, family_member, care_team)
    assert before == after == SEND_QUERIES


def _scope(user: User, key: str, conversation: Conversation) -> dict[str, Any]:
    return {"user": user, "session": session_store(key), "url_route": {"kwargs": {"conversation_id": conversation.pk}}}


def _connect_count(django_assert_max_num_queries: Any, user: User, care_team: Conversation, name: str) -> int:
    scope = _scope(user, session_key_for(user), care_team)
    with django_assert_max_num_queries(50) as captured:
        grant = socket_calls.admit(scope=scope, channel_name=name, max_wait_s=60)
    assert grant is not None
    assert SocketConnection.objects.filter(channel_name=name).exists()
    return len(captured.captured_queries)


@pytest.mark.django_db(transaction=True)
def test_a_family_connect_costs_the_same_queries_however_large_the_family_and_history(
    django_assert_max_num_queries, patient, counselor, family_member, care_team
):
    before = _connect_count(django_assert_max_num_queries, family_member, care_team, "first")
    _grow(patient, members=15, messages=30, care_team=care_team, counselor=counselor)
    after = _connect_count(django_assert_max_num_queries, family_member, care_team, "second")
    assert before == after == CONNECT_QUERIES


def test_the_delivery_side_session_recheck_is_one_query(django_assert_num_queries, family_member):
    key = session_key_for(family_member)
    with django_assert_num_queries(1):
        assert session_close_code(key, family_member.pk) is None


def test_the_recheck_still_tells_an_ended_session_from_an_ended_user(family_member, counselor):
    ended = session_key_for(family_member)
    session_store().delete(ended)
    assert session_close_code(ended, family_member.pk) == SESSION_ENDED
    key = session_key_for(counselor)
    User.objects.filter(pk=counselor.pk).update(is_active=False)
    assert session_close_code(key, counselor.pk) == ACCESS_ENDED
    session_store().delete(key)
    assert session_close_code(key, counselor.pk) == ACCESS_ENDED  # a deactivation outranks the session
    assert session_close_code(key, 10**9) == ACCESS_ENDED


def test_collected_broadcasts_keep_only_what_commits_in_commit_order(
    django_capture_on_commit_callbacks, counselor, care_team
):
    with services.collected_broadcasts() as kept, django_capture_on_commit_callbacks(execute=True):
        first = services.send_message(sender=counselor, conversation=care_team, body="one")
        with pytest.raises(RuntimeError), transaction.atomic():
            services.send_message(sender=counselor, conversation=care_team, body="rolled back")
            raise RuntimeError
        second = services.send_message(sender=counselor, conversation=care_team, body="two")
    assert [event["message"]["id"] for _, event in kept] == [first.pk, second.pk]
    assert {group for group, _ in kept} == {services.group_name(care_team.pk)}


class _Compiles:
    """Counts the SELECT and UPDATE statements the ORM compiles (a prepared query re-runs SQL compiled once)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from django.db.models.sql import compiler

        self.selects = self.updates = 0
        select, update = compiler.SQLCompiler.as_sql, compiler.SQLUpdateCompiler.as_sql

        def counted_select(this: Any, *args: Any, **kwargs: Any) -> Any:
            self.selects += type(this) is compiler.SQLCompiler
            return select(this, *args, **kwargs)

        def counted_update(this: Any, *args: Any, **kwargs: Any) -> Any:
            self.updates += 1
            return update(this, *args, **kwargs)

        monkeypatch.setattr(compiler.SQLCompiler, "as_sql", counted_select)
        monkeypatch.setattr(compiler.SQLUpdateCompiler, "as_sql", counted_update)


def test_a_socket_message_in_the_shared_thread_builds_no_select_or_update_with_the_orm(
    monkeypatch, family_member, care_team
):
    """The user and session read, the lock, the gate's recipients (four grant unions), the seats and the two
    updates re-run SQL compiled once; only the message's INSERT is compiled per message (issue #17)."""
    key = session_key_for(family_member)
    conversation = Conversation.objects.select_related("patient__program").get(pk=care_team.pk)
    socket_calls.send_and_describe(key, family_member.pk, conversation, "first")  # compiles, seats people
    compiles = _Compiles(monkeypatch)
    message, _, _ = socket_calls.send_and_describe(key, family_member.pk, conversation, "second")
    assert (compiles.selects, compiles.updates) == (0, 0)
    assert Conversation.objects.get(pk=care_team.pk).last_message_id == message.pk


def test_a_family_connect_builds_no_select_with_the_orm(monkeypatch, family_member, care_team):
    first = _scope(family_member, session_key_for(family_member), care_team)
    assert socket_calls.admit(scope=first, channel_name="warm", max_wait_s=60) is not None
    scope = _scope(family_member, session_key_for(family_member), care_team)
    compiles = _Compiles(monkeypatch)
    assert socket_calls.admit(scope=scope, channel_name="measured", max_wait_s=60) is not None
    assert compiles.selects == 0


def test_a_revoked_consent_ends_a_socket_message_at_once_with_the_sql_compiled_before(
    family_member, consent, care_team
):
    """The compiled SQL is re-run, never its answer: a revocation between two messages refuses the second."""
    from django.core.exceptions import PermissionDenied

    from tests.support import personas

    key = session_key_for(family_member)
    conversation = Conversation.objects.select_related("patient__program").get(pk=care_team.pk)
    socket_calls.send_and_describe(key, family_member.pk, conversation, "before")
    personas.revoke(consent)
    with pytest.raises(PermissionDenied):
        socket_calls.send_and_describe(key, family_member.pk, conversation, "after")
    assert not Message.objects.filter(body="after").exists()
