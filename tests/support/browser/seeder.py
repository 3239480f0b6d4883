"""The test side of ``seed.py``: one long-lived child process, commands over a pipe, answers with a deadline."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Mapping
from queue import Empty, Queue
from typing import Any

from tests.support.procs import ROOT, Child, stop_child


class SeedError(RuntimeError):
    """The seed process reported a failure (the message is its traceback)."""


class Seeder:
    def __init__(self, env: Mapping[str, str]) -> None:
        popen = subprocess.Popen(
            [sys.executable, "-m", "tests.support.browser.seed"],
            cwd=ROOT,
            env={**env, "PYTHONUNBUFFERED": "1"},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
            start_new_session=True,
        )
        self.child = Child("seed", popen)
        self._answers: Queue[str | None] = Queue()
        self._lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True, name="seed-out").start()
        threading.Thread(target=self._drain_stderr, daemon=True, name="seed-err").start()
        ready = self._next(timeout=60)
        if ready is None or "ready" not in json.loads(ready):
            raise SeedError(f"the seed process did not start:\n{self.child.output()}")

    def __call__(self, op: str, timeout: float = 60, **args: Any) -> Any:
        with self._lock:
            assert self.child.popen.stdin is not None
            self.child.popen.stdin.write(json.dumps({"op": op, "args": args}) + "\n")
            self.child.popen.stdin.flush()
            line = self._next(timeout)
        if line is None:
            raise SeedError(f"the seed process exited:\n{self.child.output()}")
        answer = json.loads(line)
        if "error" in answer:
            raise SeedError(f"seed {op}({args}) failed:\n{answer['error']}")
        return answer["ok"]

    def close(self) -> None:
        if self.child.popen.stdin is not None:
            self.child.popen.stdin.close()
        stop_child(self.child)

    def _next(self, timeout: float) -> str | None:
        try:
            return self._answers.get(timeout=timeout)
        except Empty:
            raise SeedError(f"no answer from the seed process within {timeout}s:\n{self.child.output()}") from None

    def _read(self) -> None:
        assert self.child.popen.stdout is not None
        for line in self.child.popen.stdout:
            self._answers.put(line)
        self._answers.put(None)

    def _drain_stderr(self) -> None:
        assert self.child.popen.stderr is not None
        for line in self.child.popen.stderr:
            self.child.lines.append(line)
