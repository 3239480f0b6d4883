"""``family_portal.prepared``: SQL compiled once and re-run with new values gives what the ORM gives for those
values, reads the data as it is at each run (it keeps SQL, never answers), and refuses what it cannot map."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import transaction
from django.db.models import QuerySet
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from accounts.models import User
from family_portal.prepared import Prepared, PreparedUpdate
from tests.support import personas
from tests.support.compiles import watch_compiles

pytestmark = pytest.mark.django_db


def _joined_since(role: str, since: datetime) -> QuerySet[Any]:
    return User.objects.filter(role=role, date_joined__gte=since).select_related("program").order_by("pk")


JOINED = Prepared(_joined_since, role=str, since=datetime)
EMAILS = Prepared(lambda pk: User.objects.filter(pk=pk).values_list("pk", "email"), pk=int)


def test_rows_equal_the_orm_for_each_new_value_and_see_each_change(program, counselor, family_member):
    long_ago = timezone.now() - timedelta(days=1)
    for role in (User.Role.COUNSELOR, User.Role.FAMILY, User.Role.PATIENT):
        found = JOINED.rows(role=role.value, since=long_ago)
        assert found == list(_joined_since(role, long_ago))
        assert all(
            user.program == expected.program
            for user, expected in zip(found, _joined_since(role, long_ago), strict=True)
        )
    assert JOINED.rows(role="family", since=timezone.now() + timedelta(days=1)) == []
    newcomer = personas.make_user("new@example.org", User.Role.FAMILY, None)
    assert newcomer in JOINED.rows(role="family", since=long_ago)
    assert EMAILS.rows(pk=newcomer.pk) == [(newcomer.pk, "new@example.org")]
    User.objects.filter(pk=newcomer.pk).update(email="renamed@example.org")
    assert EMAILS.rows(pk=newcomer.pk) == [(newcomer.pk, "renamed@example.org")]


def test_a_second_run_compiles_nothing(monkeypatch, counselor):
    EMAILS.rows(pk=counselor.pk)
    compiled = watch_compiles(monkeypatch)
    assert EMAILS.rows(pk=counselor.pk) == [(counselor.pk, counselor.email)]
    assert compiled.sql == []


def test_a_value_of_another_type_is_refused(counselor):
    with pytest.raises(TypeError):
        EMAILS.rows(pk=str(counselor.pk))
    with pytest.raises(TypeError):
        EMAILS.rows(pk=None)
    with pytest.raises(TypeError):
        EMAILS.rows(pk=counselor.pk, extra=1)


def test_a_value_that_shapes_the_sql_cannot_be_prepared():
    sliced = Prepared(lambda n: User.objects.all()[:n], n=int)  # LIMIT is written into the SQL
    with pytest.raises(ValueError, match="does not map"):
        sliced.rows(n=3)


def test_a_lock_outside_a_transaction_is_refused_as_the_orm_refuses_it(monkeypatch, counselor):
    from django.db import connection

    locked = Prepared(lambda pk: User.objects.select_for_update().filter(pk=pk), pk=int)
    with transaction.atomic():
        assert locked.rows(pk=counselor.pk) == [counselor]
    monkeypatch.setattr(connection, "get_autocommit", lambda: True)  # the test itself runs in a transaction
    refused = connection.features.has_select_for_update  # SQLite has no row locks: both ignore the lock
    for run in (lambda: list(User.objects.select_for_update().filter(pk=counselor.pk)), lambda: locked.rows(pk=1)):
        try:
            run()
        except TransactionManagementError:
            assert refused
        else:
            assert not refused


def test_a_prepared_update_changes_the_rows_the_orm_would_and_counts_them(counselor, family_member):
    rename = PreparedUpdate(lambda pk, name: (User.objects.filter(pk=pk), {"full_name": name}), pk=int, name=str)
    assert rename.update(pk=counselor.pk, name="Casey Renamed") == 1
    assert rename.update(pk=family_member.pk, name="Fran Renamed") == 1
    assert rename.update(pk=10**9, name="Nobody") == 0
    names = dict(User.objects.filter(pk__in=[counselor.pk, family_member.pk]).values_list("pk", "full_name"))
    assert names == {counselor.pk: "Casey Renamed", family_member.pk: "Fran Renamed"}


def test_uuid_values(program, patient, counselor, family_member):
    from messaging import services
    from messaging.models import Conversation

    conversation = services.care_team_conversation(patient)
    by_pk = Prepared(lambda pk: Conversation.objects.filter(pk=pk), pk=uuid.UUID)
    assert by_pk.rows(pk=conversation.pk) == [conversation]
    assert by_pk.rows(pk=uuid.uuid4()) == []


def test_a_second_run_asks_no_column_for_its_converters(monkeypatch, counselor):
    """The columns' converters are worked out once per connection (issue #17); the rows stay the ORM's."""
    from django.db.models.sql import compiler

    role, since = str(counselor.role), counselor.date_joined - timedelta(seconds=1)
    expected = list(_joined_since(role, since))
    JOINED.rows(role=role, since=since)
    calls: list[int] = []
    original = compiler.SQLCompiler.get_converters

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(compiler.SQLCompiler, "get_converters", counted)
    found = JOINED.rows(role=role, since=since)
    assert calls == []
    assert found == expected and [user.program for user in found] == [user.program for user in expected]
