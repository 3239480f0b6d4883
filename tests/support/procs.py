"""Child processes for the benchmark, the ops tests and tools: a PID registry, deadlines, and port discovery.

Rules (performance plan §1 "Safe by construction"): loopback only; every child is recorded by PID when it starts
and, in a ``finally``, sent SIGTERM and then SIGKILL after a grace period; nothing is ever killed by name; every
wait has a deadline. Output of each child is read by a thread into a queue, so waiting for a line is an event
wait with a timeout, never a sleep.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LISTENING = re.compile(r"Listening on TCP address ([0-9.]+):(\d+)")


class DeadlineExceeded(RuntimeError):
    """A wait ran past its deadline."""


@dataclass
class Child:
    """One started process: its Popen, a name for reports, and every output line seen so far."""

    name: str
    popen: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    _queue: queue.Queue[str | None] = field(default_factory=queue.Queue)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def wait_for(
        self, pattern: re.Pattern[str] | str, timeout: float, stop: re.Pattern[str] | None = None
    ) -> re.Match[str]:
        """Block until an output line matches ``pattern`` (searching lines already seen first). ``DeadlineExceeded``
        at the deadline, when the child exits first, or at a line matching ``stop`` (e.g. "address in use")."""
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        for line in self.lines:
            if match := regex.search(line):
                return match
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DeadlineExceeded(f"{self.name}: no line matching {regex.pattern!r} within {timeout}s")
            try:
                item = self._queue.get(timeout=remaining)
            except queue.Empty:
                continue
            if item is None:
                raise DeadlineExceeded(f"{self.name} exited ({self.popen.poll()}) before {regex.pattern!r}")
            if match := regex.search(item):
                return match
            if stop is not None and stop.search(item):
                raise DeadlineExceeded(f"{self.name}: {item.strip()}")

    def next_line(self, timeout: float) -> str | None:
        """The next output line not yet consumed by ``next_line`` (None when the child has exited)."""
        try:
            return self._queue.get(timeout=max(0.0, timeout))
        except queue.Empty:
            raise DeadlineExceeded(f"{self.name}: no output within {timeout:.1f}s") from None

    def output(self) -> str:
        return "".join(self.lines)


class ProcessRegistry:
    """Starts children and guarantees they are gone at the end (use as a context manager)."""

    def __init__(self, grace_s: float = 5.0) -> None:
        self.children: list[Child] = []
        self.grace_s = grace_s

    def __enter__(self) -> ProcessRegistry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_all()

    def start(
        self,
        name: str,
        argv: Sequence[str],
        env: Mapping[str, str] | None = None,
        cpu: int | None = None,
    ) -> Child:
        """Start ``argv`` (stdout and stderr merged, line-buffered text) and record its PID at once."""
        command = list(argv)
        if cpu is not None and _can_pin(cpu):
            command = ["taskset", "-c", str(cpu), *command]
        child = start_child(name, command, {**os.environ, **(env or {})})
        self.children.append(child)
        return child

    def start_daphne(
        self, name: str, env: Mapping[str, str] | None = None, app: str | None = None, cpu: int | None = None
    ) -> tuple[Child, int]:
        """Start Daphne through the pinned launcher on a free loopback port; return the child and its port."""
        argv = [sys.executable, "-m", "family_portal.serve", "--bind", "127.0.0.1", "--port", "0"]
        if app:
            argv += ["--app", app]
        child = self.start(name, argv, env=env, cpu=cpu)
        match = child.wait_for(LISTENING, timeout=60)
        return child, int(match.group(2))

    def kill(self, child: Child, sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` to one child we started (by PID)."""
        if child.alive():
            os.kill(child.pid, sig)

    def stop(self, child: Child) -> None:
        """SIGTERM, wait up to the grace period, then SIGKILL; by PID (and the child's own process group)."""
        stop_child(child, self.grace_s)

    def stop_all(self) -> None:
        for child in reversed(self.children):
            try:
                self.stop(child)
            except Exception as exc:
                sys.stderr.write(f"could not stop {child.name} (pid {child.pid}): {exc}\n")


def start_child(name: str, argv: Sequence[str], env: Mapping[str, str]) -> Child:
    """Start ``argv`` with exactly ``env`` (plus unbuffered output) in its own session, stdout and stderr merged
    and read line by line into the child's queue by a thread. The caller records it and stops it (``stop_child``)."""
    popen = subprocess.Popen(
        list(argv),
        cwd=ROOT,
        env={**env, "PYTHONUNBUFFERED": "1"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
        start_new_session=True,  # its own process group: stopping it stops exactly its tree
    )
    child = Child(name=name, popen=popen)
    threading.Thread(target=_pump, args=(child,), daemon=True, name=f"pump-{name}").start()
    return child


def stop_child(child: Child, grace_s: float = 5.0) -> None:
    """SIGTERM to the child's process group, SIGKILL after ``grace_s``, then SIGKILL to anything it left in its
    group; by PID only, never by name."""
    if child.alive():
        _signal(child, signal.SIGTERM)
        try:
            child.popen.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            _signal(child, signal.SIGKILL)
            child.popen.wait(timeout=grace_s)
    _reap_group(child)


def _signal(child: Child, sig: int) -> None:
    """Signal the child's process group (it leads its own session, so the group is exactly its tree)."""
    try:
        os.killpg(child.pid, sig)
    except ProcessLookupError:
        pass
    except PermissionError:
        os.kill(child.pid, sig)


def _reap_group(child: Child) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signal.SIGKILL)


def _pump(child: Child) -> None:
    stream = child.popen.stdout
    assert stream is not None
    for line in stream:
        child.lines.append(line)
        child._queue.put(line)
    child._queue.put(None)


def _can_pin(cpu: int) -> bool:
    return (os.cpu_count() or 1) > cpu and bool(_which("taskset"))


def _which(program: str) -> str | None:
    from shutil import which

    return which(program)


def wait_until(predicate, timeout: float, interval: float = 0.05, what: str = "condition"):
    """Poll ``predicate()`` until it returns a truthy value or the deadline passes (bench and tests of external
    processes, where no event exists to wait on). Returns the truthy value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise DeadlineExceeded(f"{what} not reached within {timeout}s")
        time.sleep(interval)


@contextmanager
def registry(grace_s: float = 5.0) -> Iterator[ProcessRegistry]:
    reg = ProcessRegistry(grace_s=grace_s)
    try:
        yield reg
    finally:
        reg.stop_all()
