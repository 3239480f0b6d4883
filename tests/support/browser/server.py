"""A live portal for the browser suite: Daphne (through the pinned launcher) on a free loopback port.

The database is a fresh SQLite file in a temp dir, migrated (and the curriculum loaded) in a child process with
the same environment the server gets. Mail goes to files (``PORTAL_EMAIL_FILE_PATH``). Children are started and
stopped with tests/support/procs.py (by PID, their own process group, in a ``finally``; nothing is killed by name).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.procs import LISTENING, ROOT, Child, DeadlineExceeded, start_child, stop_child

BIND_FAILED = re.compile(r"Address already in use|Couldn't listen|CannotListenError")
# Variables of the surrounding shell that would point the child at real services.
DROPPED_ENV = ("REDIS_URL", "SMTP_HOST", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "DJANGO_SETTINGS_MODULE")


class ServerFailed(RuntimeError):
    """The server did not start (or a setup command failed); the message carries its output."""


def free_port() -> int:
    """A loopback port nobody listens on right now (the kernel picks it; another process may still take it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def portal_env(database_path: Path, mail_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of every child: embedded settings, this SQLite file, file-based mail."""
    env = {key: value for key, value in os.environ.items() if key not in DROPPED_ENV}
    env.update(
        DJANGO_DEBUG="True",
        DATABASE_URL=f"sqlite:///{database_path}",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        PORTAL_EMAIL_FILE_PATH=str(mail_dir),
        PORTAL_LOG_LEVEL="INFO",  # Daphne reports its port at INFO
    )
    env.update(extra)
    return env


def run_checked(name: str, argv: list[str], env: Mapping[str, str], timeout: float = 180) -> str:
    """Run a setup command to completion; ``ServerFailed`` with its output when it fails."""
    result = subprocess.run(argv, cwd=ROOT, env=dict(env), capture_output=True, text=True, timeout=timeout, check=False)
    if result.returncode != 0:
        raise ServerFailed(f"{name} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


PREPARE = """
from django.core.management import call_command, get_commands
from django.db import connection
call_command("migrate", interactive=False, verbosity=0)
with connection.cursor() as cursor:
    cursor.execute("PRAGMA journal_mode=WAL")  # the server and the seeder write to the same file
if "load_curriculum" in get_commands():
    call_command("load_curriculum", verbosity=0)
"""


def prepare_database(env: Mapping[str, str]) -> None:
    """Migrate the fresh database and load the curriculum (education's command, when it exists)."""
    run_checked("migrate", [sys.executable, "manage.py", "shell", "-c", PREPARE], env)


def run_worker_once(env: Mapping[str, str]) -> str:
    """One drain of the notifications outbox (``run_notifications --once``) against the e2e database."""
    return run_checked("run_notifications", [sys.executable, "manage.py", "run_notifications", "--once"], env, 120)


@dataclass
class LiveServer:
    """A running portal: its base URL, its process and where its mail lands."""

    url: str
    port: int
    child: Child
    mail_dir: Path
    env: dict[str, str]

    def output(self) -> str:
        return self.child.output()


@contextmanager
def live_server(
    env: Mapping[str, str], mail_dir: Path, name: str = "daphne", attempts: int = 5
) -> Iterator[LiveServer]:
    """Start Daphne on a free port (a new port when another process took it first); stop it by PID at the end."""
    child: Child | None = None
    try:
        for attempt in range(attempts):
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            server_env = {**env, "PORTAL_BASE_URL": url}
            argv = [sys.executable, "-m", "family_portal.serve", "--bind", "127.0.0.1", "--port", str(port)]
            child = start_child(name, argv, server_env)
            try:
                child.wait_for(LISTENING, timeout=60, stop=BIND_FAILED)
            except DeadlineExceeded as exc:
                stop_child(child)
                if attempt == attempts - 1 or not BIND_FAILED.search(child.output()):
                    raise ServerFailed(f"{exc}:\n{child.output()}") from exc
                continue
            yield LiveServer(url=url, port=port, child=child, mail_dir=mail_dir, env=server_env)
            return
    finally:
        if child is not None:
            stop_child(child)
