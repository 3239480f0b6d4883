"""The bench's fake Twilio: tests/support/fake_twilio.FakeTwilio in its own process, plus the plan's knobs.

``python -m bench.fake_twilio`` prints ``Listening on TCP address 127.0.0.1:<port>``. Knobs (``POST /_bench/config``
with JSON): ``latency_ms`` (every message POST), ``mps`` (per-``From`` limit; above it → 429 / code 20429),
``drop`` (share of accepted messages whose response is replaced by a 500: "accept then drop"). ``GET /_bench/stats``
returns counts, messages created per destination and duplicates (the same destination and body twice: every
bench row has a unique body);
``POST /_bench/reset`` clears everything.
"""

from __future__ import annotations

import json
import random
import sys
import threading
import time
from collections import Counter, deque
from typing import Any

from tests.support.fake_twilio import FakeTwilio


class BenchTwilio(FakeTwilio):
    def __init__(self) -> None:
        super().__init__()
        self.knobs: dict[str, float] = {"latency_ms": 0.0, "mps": 0.0, "drop": 0.0}
        self.throttled = 0
        self.dropped = 0
        self.windows: dict[str, deque[float]] = {}
        self.rng = random.Random(7)
        self.guard = threading.Lock()

    def _handle(self, handler: Any, method: str) -> None:
        if handler.path.startswith("/_bench/"):
            self._control(handler, method)
            return
        super()._handle(handler, method)

    def _control(self, handler: Any, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        if handler.path == "/_bench/config" and method == "POST":
            with self.guard:
                self.knobs.update({k: float(v) for k, v in json.loads(body or b"{}").items()})
        elif handler.path == "/_bench/reset" and method == "POST":
            self.reset()
            with self.guard:
                self.throttled = self.dropped = 0
                self.windows.clear()
        self._reply(handler, 200, self.stats())

    def stats(self) -> dict[str, Any]:
        created = self.created()
        per_to = Counter(m.to for m in created)
        per_message = Counter((m.to, m.body) for m in created)  # bench bodies are unique per outbox row
        posts = self.posts()
        posts_per_message = Counter((p.get("To"), p.get("Body")) for p in posts)
        return {
            "posts": len(posts),
            "second_posts": sum(n - 1 for n in posts_per_message.values() if n > 1),
            "second_post_outcomes": self.second_post_outcomes(posts_per_message),
            "created": len(created),
            "throttled": self.throttled,
            "dropped": self.dropped,
            "duplicates": sum(n - 1 for n in per_message.values() if n > 1),
            "per_to": dict(per_to),
            "created_at": [m.date_created.timestamp() for m in created],
            "knobs": dict(self.knobs),
        }

    def second_post_outcomes(self, posts_per_message: Counter[tuple[str, str]]) -> dict[str, int]:
        """For destinations posted more than once: how often a message already existed at the repeat."""
        repeated = {key for key, n in posts_per_message.items() if n > 1}
        created = Counter((m.to, m.body) for m in self.created())
        return {"repeated_keys": len(repeated), "with_message": sum(1 for key in repeated if created[key])}

    def _create(self, handler: Any, record: Any) -> None:
        latency = self.knobs["latency_ms"] / 1000
        if latency:
            time.sleep(latency)
        sender = record.get("From") or record.get("MessagingServiceSid")
        mps = self.knobs["mps"]
        if mps:
            now = time.monotonic()
            with self.guard:
                window = self.windows.setdefault(sender, deque())
                while window and now - window[0] >= 1.0:
                    window.popleft()
                over = len(window) >= mps
                if over:
                    self.throttled += 1
                else:
                    window.append(now)
            if over:
                self._reply(handler, 429, {"code": 20429, "message": "Too Many Requests", "status": 429})
                return
        drop = self.knobs["drop"] and self.rng.random() < self.knobs["drop"]
        if drop:
            with self.guard:
                self.dropped += 1
            self._script.appendleft("accept-then-500")
        super()._create(handler, record)


def main() -> None:
    fake = BenchTwilio()
    url = fake.start()
    sys.stdout.write(f"Listening on TCP address 127.0.0.1:{url.rsplit(':', 1)[1]}\n")
    sys.stdout.flush()
    threading.Event().wait()


if __name__ == "__main__":
    main()
