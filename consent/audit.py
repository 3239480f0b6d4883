"""The append-only, hash-chained audit log (DATA-01, DATA-02).

Appends are serialised (a PostgreSQL advisory lock, a process lock elsewhere) so concurrent writers keep one
chain. The hash covers the previous hash and the row's canonical JSON (sorted keys, no spaces, UTC ISO time).

On PostgreSQL only the transaction-scoped advisory lock is taken: it is re-entrant for the same connection and
held until the outermost transaction commits. A process lock on top of it could deadlock (thread A holds the
process lock waiting for the advisory lock, thread B holds the advisory lock in an open transaction and waits
for the process lock to append a second row).
"""

from __future__ import annotations

import hashlib
import json
import threading
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from consent.models import AuditEvent

GENESIS_HASH = "0" * 64
_ADVISORY_LOCK_KEY = 0x4641_5544  # "FAUD"
_process_lock = threading.Lock()


def canonical_payload(
    *,
    seq: int,
    at: datetime,
    kind: str,
    actor_id: int | None,
    patient_id: int | None,
    ip: str | None,
    user_agent: str,
    data: dict[str, Any],
) -> str:
    body = {
        "seq": seq,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "kind": kind,
        "actor": actor_id,
        "patient": patient_id,
        "ip": ip,
        "user_agent": user_agent,
        "data": data,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def chain_hash(prev_hash: str, payload: str) -> str:
    return hashlib.sha256(f"{prev_hash}|{payload}".encode()).hexdigest()


def event_payload(event: AuditEvent) -> str:
    return canonical_payload(
        seq=event.seq,
        at=event.at,
        kind=event.kind,
        actor_id=event.actor_id,
        patient_id=event.patient_id,
        ip=event.ip,
        user_agent=event.user_agent,
        data=event.data,
    )


def record_audit(
    *,
    kind: str,
    actor: Any = None,
    patient: Any = None,
    request: HttpRequest | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit row to the chain. ``data`` must hold ids and codes only, never patient text."""
    ip, user_agent = _client_of(request)
    postgres = connection.vendor == "postgresql"
    lock: AbstractContextManager[object] = nullcontext() if postgres else _process_lock
    with lock, transaction.atomic():
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK_KEY])
        last = AuditEvent.objects.order_by("-seq").values("seq", "hash").first()
        prev_hash = last["hash"] if last else GENESIS_HASH
        seq = (last["seq"] if last else 0) + 1
        at = timezone.now()
        actor_id = getattr(actor, "pk", None)  # None for no actor and for an AnonymousUser
        patient_id = getattr(patient, "pk", None)
        payload = canonical_payload(
            seq=seq,
            at=at,
            kind=kind,
            actor_id=actor_id,
            patient_id=patient_id,
            ip=ip,
            user_agent=user_agent,
            data=data or {},
        )
        return AuditEvent.objects.create(
            seq=seq,
            at=at,
            kind=kind,
            actor_id=actor_id,
            patient_id=patient_id,
            ip=ip,
            user_agent=user_agent,
            data=data or {},
            prev_hash=prev_hash,
            hash=chain_hash(prev_hash, payload),
        )


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str


@dataclass(frozen=True)
class ChainHead:
    rows: int
    seq: int
    hash: str


def chain_head() -> ChainHead:
    """The newest row: operators copy its hash outside the database so truncation of the tail is detectable."""
    last = AuditEvent.objects.order_by("-seq").values("seq", "hash").first()
    if last is None:
        return ChainHead(rows=0, seq=0, hash=GENESIS_HASH)
    return ChainHead(rows=AuditEvent.objects.count(), seq=last["seq"], hash=last["hash"])


def verify_chain() -> ChainBreak | None:
    """Walk the chain in ``seq`` order; return the first broken link, or ``None`` when intact."""
    prev_hash = GENESIS_HASH
    expected_seq = 1
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        if event.seq != expected_seq:
            return ChainBreak(expected_seq, f"row {expected_seq} is missing (next row is {event.seq})")
        if event.prev_hash != prev_hash:
            return ChainBreak(event.seq, "its previous-hash does not match the row before it")
        if chain_hash(prev_hash, event_payload(event)) != event.hash:
            return ChainBreak(event.seq, "its contents do not match its hash")
        prev_hash = event.hash
        expected_seq += 1
    return None


def _client_of(request: HttpRequest | None) -> tuple[str | None, str]:
    if request is None:
        return None, ""
    return request.META.get("REMOTE_ADDR") or None, request.META.get("HTTP_USER_AGENT", "")[:300]
