"""DATA-01/02: the audit log is append-only (triggers), hash-chained and verifiable; admin changes are audited."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, IntegrityError, connection, connections, transaction
from django.db.models.signals import pre_save
from django.test import RequestFactory

from consent import audit
from consent.audit import (
    GENESIS_HASH,
    ChainBreak,
    ChainHead,
    canonical_payload,
    chain_hash,
    chain_head,
    event_payload,
    record_audit,
    verify_chain,
)
from consent.models import AuditEvent

pytestmark = pytest.mark.django_db

TABLE = "consent_auditevent"


@contextmanager
def triggers_bypassed() -> Iterator[None]:
    """Tamper like a database superuser would: around the append-only triggers."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for action in ("update", "delete"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_{action}")
        else:
            cursor.execute("SET LOCAL session_replication_role = replica")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                for action in ("UPDATE", "DELETE"):
                    cursor.execute(
                        f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_{action.lower()} BEFORE {action} ON {TABLE} "
                        "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"
                    )
            else:
                cursor.execute("SET LOCAL session_replication_role = origin")


def _append(count: int) -> list[AuditEvent]:
    return [record_audit(kind=AuditEvent.Kind.OTHER, data={"n": n}) for n in range(count)]


def _verify() -> tuple[int, str]:
    try:
        from io import StringIO

        out = StringIO()
        call_command("verify_audit", stdout=out)
        return 0, out.getvalue()
    except CommandError as exc:
        return 1, str(exc)


def test_verify_audit_passes_on_clean_chain():
    _append(100)
    code, output = _verify()
    assert code == 0
    assert f"Audit chain intact: {AuditEvent.objects.count()} rows" in output


def test_verify_audit_names_edited_row():
    events = _append(10)
    target = events[4].seq
    with triggers_bypassed(), connection.cursor() as cursor:
        cursor.execute("UPDATE consent_auditevent SET data = %s WHERE seq = %s", ['{"n": 99}', target])
    code, output = _verify()
    assert code == 1
    assert f"seq {target}:" in output
    broken = verify_chain()
    assert broken is not None
    assert broken.seq == target


def test_verify_audit_names_deleted_row():
    events = _append(10)
    target = events[6].seq
    with triggers_bypassed(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM consent_auditevent WHERE seq = %s", [target])
    code, output = _verify()
    assert code == 1
    assert f"seq {target}:" in output


def test_verify_audit_names_first_reordered_row():
    events = _append(10)
    first, second = events[3].seq, events[4].seq
    with triggers_bypassed(), connection.cursor() as cursor:
        cursor.execute("UPDATE consent_auditevent SET seq = %s WHERE seq = %s", [-1, first])
        cursor.execute("UPDATE consent_auditevent SET seq = %s WHERE seq = %s", [first, second])
        cursor.execute("UPDATE consent_auditevent SET seq = %s WHERE seq = %s", [second, -1])
    code, output = _verify()
    assert code == 1
    assert f"seq {first}:" in output


def test_verify_audit_detects_truncated_tail_against_recorded_head():
    _append(5)
    head = chain_head()
    with triggers_bypassed(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM consent_auditevent WHERE seq = %s", [head.seq])
    assert _verify()[0] == 0  # a chain alone cannot see its own tail cut off ...
    with pytest.raises(CommandError, match=f"seq {head.seq}"):  # ... an anchored head can
        call_command("verify_audit", expect_head=f"{head.seq}:{head.hash}")


# A fixed row: its canonical form and its link in the chain are pinned as literals, so a change to either (a field
# dropped, the previous hash left out, another separator) fails here rather than passing its own round trip.
KNOWN_ROW: dict[str, Any] = {
    "seq": 3,
    "at": datetime(2025, 1, 2, 8, 4, 5, 6, tzinfo=timezone(timedelta(hours=5))),
    "kind": "login",
    "actor_id": 7,
    "patient_id": None,
    "ip": "127.0.0.1",
    "user_agent": "UA/1",
    "data": {"b": 2, "a": "\u00e9"},
}
KNOWN_PAYLOAD = (
    '{"actor":7,"at":"2025-01-02T03:04:05.000006+00:00","data":{"a":"\\u00e9","b":2},"ip":"127.0.0.1",'
    '"kind":"login","patient":null,"seq":3,"user_agent":"UA/1"}'
)


def test_canonical_payload_known_answer():
    assert canonical_payload(**KNOWN_ROW) == KNOWN_PAYLOAD


def test_chain_hash_known_answer_covers_the_previous_hash():
    """hash_n = SHA-256(hash_{n-1} | canonical(entry_n)) (DATA-02), pinned for two different previous hashes."""
    assert chain_hash(GENESIS_HASH, KNOWN_PAYLOAD) == "852f3b0ac014d159187ebdcfee3450dcd04126b6ab1fbd0f4e8af6681ce46207"
    assert chain_hash("a" * 64, KNOWN_PAYLOAD) == "86527ca962c8881b5ee4f16464323ee5357fe3173b2ab24c903ddc0253dfaa61"


def _rewrite(seq: int, data: dict[str, int]) -> str:
    """Edit one row's data and give it the hash the chain function computes for the new contents: what someone
    who knows the algorithm would do. Returns the new hash."""
    event = AuditEvent.objects.get(seq=seq)
    event.data = data
    new_hash = chain_hash(event.prev_hash, event_payload(event))
    with triggers_bypassed():
        AuditEvent.objects.filter(seq=seq).update(data=data, hash=new_hash)
    return new_hash


def test_edited_row_with_a_recomputed_hash_is_caught_by_the_next_rows_hash():
    """Row N is edited and re-hashed correctly, and row N+1's prev_hash is made to match: row N+1's own hash still
    covers the old previous hash, so the chain breaks there."""
    events = _append(10)
    target = events[4].seq
    new_hash = _rewrite(target, {"n": 99})
    with triggers_bypassed():
        AuditEvent.objects.filter(seq=target + 1).update(prev_hash=new_hash)
    broken = verify_chain()
    assert broken == ChainBreak(target + 1, "its contents do not match its hash")
    code, output = _verify()
    assert code == 1
    assert f"seq {target + 1}:" in output


def test_a_fully_recomputed_chain_is_caught_only_by_the_recorded_head():
    """Every hash from the edit onwards recomputed: the chain is self-consistent again, which the chain alone
    cannot tell; the head copied outside the database before the edit can (DATA-02 anchoring)."""
    events = _append(6)
    head = chain_head()
    prev_hash = _rewrite(events[2].seq, {"n": 99})
    for event in AuditEvent.objects.filter(seq__gt=events[2].seq).order_by("seq"):
        event.prev_hash = prev_hash
        prev_hash = chain_hash(prev_hash, event_payload(event))
        with triggers_bypassed():
            AuditEvent.objects.filter(seq=event.seq).update(prev_hash=event.prev_hash, hash=prev_hash)
    assert verify_chain() is None
    assert _verify()[0] == 0
    with pytest.raises(CommandError, match=f"seq {head.seq}: it does not match the recorded head"):
        call_command("verify_audit", expect_head=f"{head.seq}:{head.hash}")


def test_canonical_time_is_utc_whatever_the_local_zone():
    """The payload's time is converted to UTC explicitly, not to the process's local zone (Django sets that from
    TIME_ZONE, a setting that may change; a tool run outside Django has the machine's)."""
    previous = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    try:
        assert canonical_payload(**KNOWN_ROW) == KNOWN_PAYLOAD
    finally:
        if previous is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = previous
        time.tzset()


def test_row_records_who_for_whom_and_from_where(patient, counselor):
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="Agent/" + "x" * 400)
    event = record_audit(kind=AuditEvent.Kind.OTHER, actor=counselor, patient=patient, request=request, data={"k": 1})
    stored = AuditEvent.objects.get(seq=event.seq)
    assert (stored.actor_id, stored.patient_id, stored.ip) == (counselor.pk, patient.pk, "203.0.113.9")
    assert stored.user_agent == ("Agent/" + "x" * 400)[:300]
    assert stored.data == {"k": 1}
    assert verify_chain() is None  # the hash covers the patient, address and agent as stored


def test_row_without_a_request_or_client_details_keeps_them_empty():
    bare = RequestFactory().get("/")
    del bare.META["REMOTE_ADDR"]
    record_audit(kind=AuditEvent.Kind.OTHER, actor=AnonymousUser(), request=bare)
    record_audit(kind=AuditEvent.Kind.OTHER)
    rows = list(AuditEvent.objects.order_by("seq").values_list("actor_id", "patient_id", "ip", "user_agent"))
    assert rows[-2:] == [(None, None, None, ""), (None, None, None, "")]
    assert verify_chain() is None


def test_chain_head_of_an_empty_log_is_the_genesis():
    assert not AuditEvent.objects.exists()
    assert chain_head() == ChainHead(rows=0, seq=0, hash=GENESIS_HASH)
    event = record_audit(kind=AuditEvent.Kind.OTHER)
    assert chain_head() == ChainHead(rows=1, seq=event.seq, hash=event.hash)


def test_verify_chain_says_why_each_link_broke():
    events = _append(6)
    with triggers_bypassed():
        AuditEvent.objects.filter(seq=events[1].seq).update(prev_hash="f" * 64)
        AuditEvent.objects.filter(seq=events[4].seq).delete()
    assert verify_chain() == ChainBreak(events[1].seq, "its previous-hash does not match the row before it")
    with triggers_bypassed():
        AuditEvent.objects.filter(seq=events[1].seq).update(prev_hash=events[0].hash)
    assert verify_chain() == ChainBreak(events[4].seq, f"row {events[4].seq} is missing (next row is {events[5].seq})")


def test_rolled_back_append_leaves_no_gap():
    """The row number is the chain's, not the database sequence's: a PostgreSQL sequence keeps advancing through a
    rollback, and a gap would read as a deleted row."""
    first = record_audit(kind=AuditEvent.Kind.OTHER)
    with pytest.raises(RuntimeError), transaction.atomic():
        record_audit(kind=AuditEvent.Kind.OTHER)
        raise RuntimeError("the change being audited failed")
    second = record_audit(kind=AuditEvent.Kind.OTHER)
    assert second.seq == first.seq + 1
    assert verify_chain() is None


def test_appends_hold_the_process_lock_outside_postgresql():
    """Without PostgreSQL's advisory lock, the process lock serialises appends: it is held while the row is written
    (read the last row, compute, insert), so two threads never chain onto the same row."""
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL serialises appends with the advisory lock (test_concurrent_appends_keep_one_chain)")
    held: list[bool] = []

    def observe(sender: object, **kwargs: object) -> None:
        held.append(audit._process_lock.locked())

    pre_save.connect(observe, sender=AuditEvent, dispatch_uid="test_process_lock")
    try:
        record_audit(kind=AuditEvent.Kind.OTHER)
    finally:
        pre_save.disconnect(dispatch_uid="test_process_lock", sender=AuditEvent)
    assert held == [True]
    assert not audit._process_lock.locked()


def test_update_through_orm_raises():
    event = record_audit(kind=AuditEvent.Kind.OTHER)
    event.kind = AuditEvent.Kind.LOGIN
    with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic():
        event.save()


def test_delete_through_orm_raises():
    event = record_audit(kind=AuditEvent.Kind.OTHER)
    with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()


@pytest.mark.parametrize("sql", ["UPDATE consent_auditevent SET kind = 'other'", "DELETE FROM consent_auditevent"])
def test_raw_update_and_delete_raise(sql):
    record_audit(kind=AuditEvent.Kind.OTHER)
    with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)


def test_canonical_payload_ignores_dict_order():
    from django.utils import timezone

    at = timezone.now()
    one = canonical_payload(
        seq=1, at=at, kind="k", actor_id=1, patient_id=None, ip=None, user_agent="", data={"a": 1, "b": 2}
    )
    two = canonical_payload(
        seq=1, at=at, kind="k", actor_id=1, patient_id=None, ip=None, user_agent="", data={"b": 2, "a": 1}
    )
    assert one == two


def test_admin_change_is_audited_with_ids_only(program_admin, patient):
    LogEntry.objects.create(
        user=program_admin,
        content_type=ContentType.objects.get_for_model(patient),
        object_id=str(patient.pk),
        object_repr=patient.full_name,
        action_flag=CHANGE,
        change_message="Changed name",
    )
    event = AuditEvent.objects.filter(kind=AuditEvent.Kind.ADMIN_CHANGE).get()
    assert event.actor_id == program_admin.pk
    assert event.data["object_id"] == str(patient.pk)
    assert patient.full_name not in str(event.data)
    assert verify_chain() is None


@pytest.fixture
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (advisory locks across connections)")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_one_chain(_postgres_only):
    threads_count, per_thread = 8, 25
    start = threading.Barrier(threads_count)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                record_audit(kind=AuditEvent.Kind.OTHER, data={"thread": n, "i": i})
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.OTHER).count() == threads_count * per_thread
    assert verify_chain() is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_appends_in_one_transaction_with_concurrent_writers_do_not_deadlock(_postgres_only):
    done = threading.Event()

    def other_writer() -> None:
        try:
            for _ in range(20):
                record_audit(kind=AuditEvent.Kind.OTHER)
        finally:
            connections.close_all()
            done.set()

    thread = threading.Thread(target=other_writer)
    with transaction.atomic():
        record_audit(kind=AuditEvent.Kind.OTHER)
        thread.start()
        record_audit(kind=AuditEvent.Kind.OTHER)
    thread.join(timeout=30)
    assert done.is_set()
    assert verify_chain() is None
