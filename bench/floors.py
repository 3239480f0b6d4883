"""Stage 1: the machine's own limits, measured in the same run (performance plan §1, §4).

``python -m bench.floors echo-server`` is the loopback ping-pong peer (blocking sockets, its own process).
"""

from __future__ import annotations

import asyncio
import socket
import statistics
import sys
import threading
import time
from datetime import timedelta
from typing import Any

PAYLOAD = b"x" * 64


def _echo_server() -> None:
    server = socket.create_server(("127.0.0.1", 0))
    sys.stdout.write(f"Listening on TCP address 127.0.0.1:{server.getsockname()[1]}\n")
    sys.stdout.flush()

    def serve(conn: socket.socket) -> None:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with conn:
            while data := conn.recv(4096):
                conn.sendall(data)

    while True:
        conn, _ = server.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


def loopback_rtt(port: int, count: int) -> dict[str, Any]:
    """Blocking-socket ping-pong, then the same with asyncio, against the echo process."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        samples = []
        for n in range(count + 500):
            t0 = time.perf_counter_ns()
            sock.sendall(PAYLOAD)
            received = 0
            while received < len(PAYLOAD):
                received += len(sock.recv(4096))
            if n >= 500:
                samples.append(time.perf_counter_ns() - t0)

    async def async_rtt() -> list[int]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        out = []
        for n in range(count // 4 + 200):
            t0 = time.perf_counter_ns()
            writer.write(PAYLOAD)
            await reader.readexactly(len(PAYLOAD))
            if n >= 200:
                out.append(time.perf_counter_ns() - t0)
        writer.close()
        return out

    async_samples = asyncio.run(async_rtt())
    return {
        "blocking_p50_us": round(statistics.median(samples) / 1000, 1),
        "asyncio_p50_us": round(statistics.median(async_samples) / 1000, 1),
        "count": count,
    }


def twilio_raw(base_url: str, count: int) -> dict[str, Any]:
    """twilio-python straight at the fake (keep-alive, sync): the ceiling for any sender built on it."""
    from twilio.rest import Client

    from notifications.sms import _BaseUrlHttpClient

    client = Client("AC" + "0" * 32, "bench-token", http_client=_BaseUrlHttpClient(base_url, timeout=10))
    for n in range(20):
        client.messages.create(to=f"+1555900{n:04d}", from_="+15550009999", body="warm up")
    t0 = time.perf_counter()
    for n in range(count):
        client.messages.create(to=f"+1555800{n:04d}", from_="+15550009999", body="floor")
    elapsed = time.perf_counter() - t0
    return {"count": count, "msg_per_s": round(count / elapsed, 1)}


def noop_outbox_loop(recipient_id: int, count: int) -> dict[str, Any]:
    """Claim one row per transaction (SKIP LOCKED) and finish it in a second: the floor for the real worker."""
    from django.db import transaction
    from django.utils import timezone

    from notifications.models import OutboxMessage

    now = timezone.now()
    OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(
                channel="sms",
                recipient_id=recipient_id,
                template_key="noop",
                idempotency_key=f"bench-noop-{n}",
                send_after=now - timedelta(seconds=1),
                subject="bench:noop",
            )
            for n in range(count)
        ]
    )
    done = 0
    t0 = time.perf_counter()
    while True:
        with transaction.atomic():
            row = (
                OutboxMessage.objects.due()
                .filter(subject="bench:noop")
                .select_for_update(skip_locked=True)
                .order_by("send_after")
                .values_list("id", flat=True)
                .first()
            )
            if row is None:
                break
            OutboxMessage.objects.filter(pk=row).update(
                state="sending", lease_owner="noop", lease_expires_at=timezone.now() + timedelta(seconds=60)
            )
        with transaction.atomic():
            OutboxMessage.objects.filter(pk=row, lease_owner="noop").update(
                state="sent", lease_owner="", sent_at=timezone.now()
            )
        done += 1
    elapsed = time.perf_counter() - t0
    OutboxMessage.objects.filter(subject="bench:noop").delete()
    return {"count": done, "per_s": round(done / elapsed, 1)}


if __name__ == "__main__":
    if sys.argv[1:] == ["echo-server"]:
        _echo_server()
