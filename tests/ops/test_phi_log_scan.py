"""The PHI log scanner (tests/support/phi_log_scan.py) finds leaks and fails the run (DATA-03)."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support.phi_log_scan import PhiLogScanner, record_text

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def scanner():
    scanner = PhiLogScanner()
    logger = logging.getLogger("tests.ops.leaky")
    logger.addHandler(scanner)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False  # the deliberate leaks must not reach the session-wide scanner
    yield scanner
    logger.removeHandler(scanner)
    logger.propagate = True


def _leaky() -> logging.Logger:
    return logging.getLogger("tests.ops.leaky")


def test_scanner_finds_a_persona_email_passed_as_an_argument(scanner):
    _leaky().info("reminder queued for %s", "fran@example.org")
    assert [f.matched for f in scanner.findings()] == ["fran@example.org"]


def test_scanner_finds_a_name_in_any_case_and_a_phone_number(scanner):
    _leaky().warning("consent granted to OLIVE OAKES")
    _leaky().error("Twilio refused +15551234567")
    assert sorted(f.matched for f in scanner.findings()) == ["+15551234567", "Olive Oakes"]


def test_scanner_finds_registered_message_bodies_in_extras_and_exceptions(scanner):
    scanner.register("I slipped on Friday night")
    _leaky().info("message stored", extra={"body": "I slipped on Friday night"})
    try:
        raise ValueError("Pat Rivera missing")
    except ValueError:
        _leaky().exception("send failed")
    assert sorted(f.matched for f in scanner.findings()) == ["I slipped on Friday night", "Pat Rivera"]


def test_scanner_passes_ids_and_neutral_words(scanner):
    _leaky().info("outbox row %s sent (%s)", "0b6f7c1e-5a7e-4d7e-9a57-7c1f0e0a1b2c", "session_reminder")
    _leaky().info("worker %s processed %d rows in %.1f s", "host-1:123", 12, 1.5)
    assert scanner.findings() == []


def test_scanner_refuses_markers_too_short_to_be_specific():
    with pytest.raises(ValueError, match="at least"):
        PhiLogScanner().register("hi")


def test_child_process_output_is_scanned():
    scanner = PhiLogScanner()
    scanner.add_text("INFO started\nINFO texting +15550001111\n", "worker")
    assert [f.matched for f in scanner.findings()] == ["+15550001111"]


def test_broken_format_strings_still_show_their_arguments():
    record = logging.makeLogRecord({"msg": "%d rows", "args": ("Otto Oakes",)})
    assert "Otto Oakes" in record_text(record)


def test_plugin_fails_an_otherwise_green_run(tmp_path):
    (tmp_path / "test_leak.py").write_text(
        textwrap.dedent(
            """
            import logging

            def test_logs_a_family_member():
                logging.getLogger("leak").warning("invite sent to %s", "fran@example.org")
            """
        )
    )
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "tests.support.phi_log_scan",
            "-p",
            "no:django",
            "-c",
            str(tmp_path / "pytest.ini"),
            "--rootdir",
            str(tmp_path),
            str(tmp_path / "test_leak.py"),
        ],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "1 passed" in result.stdout
    assert "PHI log scan: 1 log record" in result.stdout
    assert result.returncode == 1
