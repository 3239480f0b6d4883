"""A local fake of the Twilio Messages API for tests and demos (stdlib ``http.server`` in a thread, port 0).

It records every request, creates messages on ``POST /2010-04-01/Accounts/<sid>/Messages.json`` and lists them on
``GET …/Messages.json`` (filters ``To``, ``From``, ``DateSent>``/``DateSent<``/``DateSent``), so the real ``twilio``
client can be pointed at it with ``TWILIO_API_BASE_URL``. Tell it how to answer the next POSTs with
``answer_next("429", "500", 21211, 21610, ("slow", 2.0), "accept-then-500")`` or every POST to a number with
``answer_always(to, behaviour)``; ``delay`` slows every POST (after recording).

Run it by hand for a demo: ``python -m tests.support.fake_twilio`` (prints its base URL).
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Behaviour = Any  # "ok" | "429" | "500" | "503" | "accept-then-500" | int Twilio code | ("slow", seconds)

_ERRORS = {
    21211: "The 'To' number is not a valid phone number.",
    21610: "Attempt to send to unsubscribed recipient",
    21408: "Permission to send an SMS has not been enabled for the region",
}


@dataclass
class Recorded:
    method: str
    path: str
    params: dict[str, list[str]]
    at: datetime

    def get(self, name: str, default: str = "") -> str:
        values = self.params.get(name)
        return values[0] if values else default


@dataclass
class FakeMessage:
    sid: str
    to: str
    from_: str
    messaging_service_sid: str | None
    body: str
    date_created: datetime
    status: str = "queued"
    extra: dict[str, str] = field(default_factory=dict)

    def as_json(self, account_sid: str) -> dict[str, Any]:
        stamp = format_datetime(self.date_created, usegmt=True)
        return {
            "sid": self.sid,
            "account_sid": account_sid,
            "to": self.to,
            "from": self.from_,
            "messaging_service_sid": self.messaging_service_sid,
            "body": self.body,
            "status": self.status,
            "direction": "outbound-api",
            "num_segments": "1",
            "date_created": stamp,
            "date_updated": stamp,
            "date_sent": stamp,
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{account_sid}/Messages/{self.sid}.json",
            "error_code": None,
            "error_message": None,
            "price": None,
            "price_unit": "USD",
            "subresource_uris": {},
        }


class FakeTwilio:
    """Start with ``start()`` (returns the base URL), stop with ``stop()``; thread-safe inspection helpers."""

    def __init__(self, account_sid: str = "AC" + "0" * 32) -> None:
        self.account_sid = account_sid
        self.requests: list[Recorded] = []
        self.messages: list[FakeMessage] = []
        self.delay = 0.0
        self._script: deque[Behaviour] = deque()
        self._always: dict[str, Behaviour] = {}
        self._lock = threading.Lock()
        self._recorded = threading.Condition(self._lock)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- control ------------------------------------------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Without this, Nagle + delayed ACK add ~40 ms to every reply (headers and body are two writes).
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def do_POST(self) -> None:
                fake._handle(self, "POST")

            def do_GET(self) -> None:
                fake._handle(self, "GET")

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-twilio", daemon=True
        )
        self._thread.start()
        return self.base_url

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        return f"http://{host}:{port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def answer_next(self, *behaviours: Behaviour) -> None:
        with self._lock:
            self._script.extend(behaviours)

    def answer_always(self, to: str, behaviour: Behaviour) -> None:
        with self._lock:
            self._always[to] = behaviour

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.messages.clear()
            self._script.clear()
            self._always.clear()
            self.delay = 0.0

    # --- inspection ---------------------------------------------------------------------------------------
    def posts(self, to: str | None = None) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.method == "POST" and (to is None or r.get("To") == to)]

    def wait_for_posts(self, count: int, timeout: float = 10.0) -> list[Recorded]:
        """Block until at least ``count`` POSTs were recorded (AssertionError after ``timeout`` seconds)."""

        def enough() -> bool:
            return sum(1 for r in self.requests if r.method == "POST") >= count

        with self._recorded:
            if not self._recorded.wait_for(enough, timeout=timeout):
                raise AssertionError(f"fake Twilio saw fewer than {count} POSTs within {timeout} s")
            return [r for r in self.requests if r.method == "POST"]

    def lists(self) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.method == "GET"]

    def created(self, to: str | None = None) -> list[FakeMessage]:
        with self._lock:
            return [m for m in self.messages if to is None or m.to == to]

    # --- HTTP ---------------------------------------------------------------------------------------------
    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length).decode() if length else ""
        params = parse_qs(raw if method == "POST" else parts.query, keep_blank_values=True)
        record = Recorded(method=method, path=parts.path, params=params, at=datetime.now(UTC))
        with self._lock:
            self.requests.append(record)
            self._recorded.notify_all()
        if not parts.path.endswith("/Messages.json"):
            self._reply(handler, 404, {"code": 20404, "message": "Not found", "status": 404})
            return
        if method == "GET":
            self._reply(handler, 200, self._list(params))
            return
        self._create(handler, record)

    def _next_behaviour(self, to: str) -> Behaviour:
        with self._lock:
            if to in self._always:
                return self._always[to]
            return self._script.popleft() if self._script else "ok"

    def _create(self, handler: BaseHTTPRequestHandler, record: Recorded) -> None:
        to = record.get("To")
        behaviour = self._next_behaviour(to)
        if self.delay:
            time.sleep(self.delay)
        if behaviour in ("429",):
            self._reply(handler, 429, {"code": 20429, "message": "Too Many Requests", "status": 429})
            return
        if behaviour in ("500", "503"):
            status = int(behaviour)
            self._reply(handler, status, {"code": 20500, "message": "Internal Server Error", "status": status})
            return
        if isinstance(behaviour, int):
            message = _ERRORS.get(behaviour, "Error")
            self._reply(handler, 400, {"code": behaviour, "message": message, "status": 400})
            return
        created = FakeMessage(
            sid="SM" + uuid.uuid4().hex,
            to=to,
            from_=record.get("From"),
            messaging_service_sid=record.get("MessagingServiceSid") or None,
            body=record.get("Body"),
            date_created=datetime.now(UTC),
        )
        with self._lock:
            self.messages.append(created)
        if behaviour == "accept-then-500":
            self._reply(handler, 500, {"code": 20500, "message": "Internal Server Error", "status": 500})
            return
        if isinstance(behaviour, tuple) and behaviour[0] == "slow":
            time.sleep(float(behaviour[1]))
        self._reply(handler, 201, created.as_json(self.account_sid))

    def _list(self, params: dict[str, list[str]]) -> dict[str, Any]:
        def first(name: str) -> str:
            values = params.get(name)
            return values[0] if values else ""

        to, from_ = first("To"), first("From")
        after, before, on = first("DateSent>"), first("DateSent<"), first("DateSent")
        with self._lock:
            found = list(self.messages)
        if to:
            found = [m for m in found if m.to == to]
        if from_:
            found = [m for m in found if m.from_ == from_]
        if after:
            found = [m for m in found if m.date_created >= _parse(after)]
        if before:
            found = [m for m in found if m.date_created <= _parse(before)]
        if on:
            found = [m for m in found if m.date_created.date() == _parse(on).date()]
        size = int(first("PageSize") or 50)
        found = sorted(found, key=lambda m: m.date_created, reverse=True)[:size]
        return {
            "messages": [m.as_json(self.account_sid) for m in found],
            "first_page_uri": None,
            "next_page_uri": None,
            "previous_page_uri": None,
            "page": 0,
            "page_size": size,
            "start": 0,
            "end": len(found),
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages.json",
        }

    @staticmethod
    def _reply(handler: BaseHTTPRequestHandler, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (read timeout): the request is recorded anyway


def _parse(value: str) -> datetime:
    value = value.strip()
    if len(value) == 10:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


if __name__ == "__main__":  # pragma: no cover - manual demo
    import sys

    fake = FakeTwilio()
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    url = fake.start(port=port)
    sys.stdout.write(f"Fake Twilio listening on {url}\nexport TWILIO_API_BASE_URL={url}\n")
    sys.stdout.flush()
    try:
        while True:
            time.sleep(5)
            sys.stdout.write(f"{len(fake.created())} messages so far\n")
            sys.stdout.flush()
    except KeyboardInterrupt:
        fake.stop()
