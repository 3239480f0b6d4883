"""pytest plugin: fail the run when any log record carries patient information (DATA-03).

Enable it in tests/conftest.py with ``pytest_plugins = ["tests.support.phi_log_scan"]``. For the whole session a
handler on the root logger keeps every record (the formatted message, the exception text and any ``extra=``
fields). At session finish the records are scanned for:

- the persona e-mail addresses and full names of tests/conftest.py (``PERSONAS``);
- E.164-looking phone numbers (``+15551234567``);
- anything a test registered with :func:`register_phi` (message bodies, note texts, unique markers).

A finding prints the offending records with the test that produced them and sets the exit status to 1. Tests that
start child processes can scan their output with :func:`scan_text` (the worker's and Daphne's logs).
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pytest

# Patients, family members and the people in their records (tests/conftest.py, tests/support/personas.py).
PERSONAS: tuple[str, ...] = (
    "pat@example.org",
    "Pat Rivera",
    "fran@example.org",
    "Fran Rivera",
    "rory@example.org",
    "Rory Rivera",
    "olive@example.org",
    "Olive Oakes",
    "otto@example.org",
    "Otto Oakes",
    "lee@example.org",
    "Lee Learner",
)
PHONE = re.compile(r"(?<![\w+])\+\d{10,15}(?!\d)")
MIN_MARKER_LENGTH = 6  # shorter registered texts would match ordinary words

_STANDARD_ATTRS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


@dataclass(frozen=True)
class Captured:
    test: str
    logger: str
    level: str
    text: str


@dataclass(frozen=True)
class Finding:
    record: Captured
    matched: str


class PhiLogScanner(logging.Handler):
    """A logging handler that keeps what it sees and later reports records that contain PHI."""

    def __init__(self, personas: Iterable[str] = PERSONAS) -> None:
        super().__init__(level=logging.NOTSET)
        self.records: list[Captured] = []
        self.markers: set[str] = set(personas)
        self.current_test = "(outside a test)"
        self._guard = threading.Lock()

    def register(self, text: str) -> None:
        text = text.strip()
        if len(text) < MIN_MARKER_LENGTH:
            raise ValueError(f"register_phi needs at least {MIN_MARKER_LENGTH} characters to avoid false alarms.")
        with self._guard:
            self.markers.add(text)

    def emit(self, record: logging.LogRecord) -> None:
        captured = Captured(self.current_test, record.name, record.levelname, record_text(record))
        with self._guard:
            self.records.append(captured)

    def add_text(self, text: str, source: str) -> None:
        """Scan output that did not pass through this process's logging (a child process's log)."""
        with self._guard:
            self.records.extend(Captured(self.current_test, source, "OUTPUT", line) for line in text.splitlines())

    def findings(self) -> list[Finding]:
        with self._guard:
            markers = sorted(self.markers, key=len, reverse=True)
            records = list(self.records)
        lowered = [marker.lower() for marker in markers]
        found: list[Finding] = []
        for captured in records:
            haystack = captured.text.lower()
            hit = next((markers[i] for i, m in enumerate(lowered) if m in haystack), None)
            if hit is None and (phone := PHONE.search(captured.text)):
                hit = phone.group(0)
            if hit is not None:
                found.append(Finding(captured, hit))
        return found


def record_text(record: logging.LogRecord) -> str:
    """Everything a log pipeline would ship: message with args, exception and stack text, ``extra=`` fields."""
    try:
        parts = [record.getMessage()]
    except Exception:  # a broken format string still leaks its args
        parts = [str(record.msg), repr(record.args)]
    if record.exc_info and record.exc_info[1] is not None:
        parts.append(f"{type(record.exc_info[1]).__name__}: {record.exc_info[1]}")
    if record.exc_text:
        parts.append(record.exc_text)
    if record.stack_info:
        parts.append(record.stack_info)
    extras: dict[str, Any] = {k: v for k, v in record.__dict__.items() if k not in _STANDARD_ATTRS}
    if extras:
        parts.append(repr(extras))
    return " | ".join(parts)


_scanner = PhiLogScanner()


def register_phi(text: str) -> str:
    """Declare ``text`` (a message body, a note) as patient information that must never reach a log.

    Returns ``text`` so a test can write ``body = register_phi("I relapsed on Friday")``.
    """
    _scanner.register(text)
    return text


def scan_text(text: str, source: str) -> None:
    """Add a child process's output to the end-of-session scan."""
    _scanner.add_text(text, source)


def _attach() -> None:
    root = logging.getLogger()
    if _scanner not in root.handlers:
        root.addHandler(_scanner)


def pytest_configure(config: pytest.Config) -> None:
    _attach()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # django.setup() and dictConfig() replace the root handlers; re-attach before every test.
    _attach()
    _scanner.current_test = item.nodeid


def pytest_runtest_teardown(item: pytest.Item) -> None:
    _scanner.current_test = f"{item.nodeid} (teardown)"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    logging.getLogger().removeHandler(_scanner)
    findings = _scanner.findings()
    if not findings:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")

    def write(line: str) -> None:
        if reporter is not None:
            reporter.write_line(line)
        else:
            sys.stderr.write(line + "\n")

    write("")
    write(f"PHI log scan: {len(findings)} log record(s) contain patient information (DATA-03):")
    for finding in findings[:50]:
        record = finding.record
        write(f"  [{record.test}] {record.logger} {record.level}: matched {finding.matched!r}")
        write(f"      {record.text[:300]}")
    if len(findings) > 50:
        write(f"  … and {len(findings) - 50} more")
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
