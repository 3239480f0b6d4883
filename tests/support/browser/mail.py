"""Read the mail the live server "sent": Django's file-based backend writes each connection's messages to a file
in ``PORTAL_EMAIL_FILE_PATH``, separated by a line of 79 dashes."""

from __future__ import annotations

import email
import email.policy
import re
import time
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

SEPARATOR = "\n" + "-" * 79 + "\n"
URL = re.compile(r"https?://[^\s<>\"']+")


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str

    def links(self) -> list[str]:
        return [url.rstrip(".,)") for url in URL.findall(self.body)]

    def link_containing(self, fragment: str) -> str:
        for url in self.links():
            if fragment in url:
                return url
        raise AssertionError(f"no link containing {fragment!r} in mail {self.subject!r}:\n{self.body}")


def all_mail(mail_dir: Path) -> list[Mail]:
    """Every message, oldest first."""
    messages: list[Mail] = []
    files = sorted(mail_dir.glob("*.log"), key=lambda path: (path.stat().st_mtime_ns, path.name))
    for path in files:
        # Each message is followed by the separator; the piece after the last one is empty, or a message still
        # being written: never parse that.
        *complete, _rest = path.read_bytes().decode("utf-8", "replace").split(SEPARATOR)
        messages.extend(_parse(chunk) for chunk in complete if chunk.strip())
    return messages


def _parse(raw: str) -> Mail:
    message = email.message_from_string(raw.lstrip("\n"), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    part = message.get_body(preferencelist=("plain", "html"))
    body = part.get_content() if part is not None else str(message.get_payload())
    return Mail(to=str(message["To"] or ""), subject=str(message["Subject"] or ""), body=body)


def wait_for_mail(mail_dir: Path, to: str, *, subject_contains: str = "", after: int = 0, timeout: float = 15) -> Mail:
    """The first message to ``to`` (whose subject contains ``subject_contains``) beyond the first ``after`` such
    messages. The server writes the file when its transaction commits, so this polls the directory (a file
    system has no event to wait on) until the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        matching = [m for m in all_mail(mail_dir) if to.lower() in m.to.lower() and subject_contains in m.subject]
        if len(matching) > after:
            return matching[after]
        if time.monotonic() >= deadline:
            raise AssertionError(f"no mail to {to} ({subject_contains!r}) within {timeout}s")
        time.sleep(0.1)


def count_mail(mail_dir: Path, to: str, subject_contains: str = "") -> int:
    return sum(1 for m in all_mail(mail_dir) if to.lower() in m.to.lower() and subject_contains in m.subject)
