"""The browser suite's own helpers, without a browser: authenticator codes and reading the server's mail files."""

from __future__ import annotations

import base64
from pathlib import Path

from tests.support.browser.mail import all_mail, wait_for_mail
from tests.support.browser.totp import totp

RFC_6238_SECRET = base64.b32encode(b"12345678901234567890").decode()


def test_totp_matches_the_rfc_6238_sha1_vectors() -> None:
    # RFC 6238 appendix B (8 digits there; an authenticator app shows the last 6).
    assert totp(RFC_6238_SECRET, at=59) == "287082"
    assert totp(RFC_6238_SECRET, at=1111111109) == "081804"
    assert totp(RFC_6238_SECRET, at=1234567890) == "005924"


def _message(to: str, subject: str, body: str) -> str:
    return (
        f'Content-Type: text/plain; charset="utf-8"\nMIME-Version: 1.0\nContent-Transfer-Encoding: 7bit\n'
        f"Subject: {subject}\nFrom: portal@localhost\nTo: {to}\n\n{body}\n"
    )


def test_mail_reader_finds_links_and_skips_a_message_still_being_written(tmp_path: Path) -> None:
    separator = "-" * 79 + "\n"
    done = _message("fran@example.org", "You're invited", "Open http://127.0.0.1:8000/consent/invitation/abc/ now.")
    partial = _message("fran@example.org", "You're invited", "Open http://127.0.0.1:8000/consent/invi")
    (tmp_path / "20260101-120000-1.log").write_text(done + "\n" + separator + partial)
    assert len(all_mail(tmp_path)) == 1
    mail = wait_for_mail(tmp_path, "fran@example.org", timeout=1)
    assert mail.link_containing("/consent/invitation/") == "http://127.0.0.1:8000/consent/invitation/abc/"
