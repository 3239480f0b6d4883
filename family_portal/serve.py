"""Start Daphne with the portal's pinned flags: the ONE place its command line lives (DEP-06).

    python -m family_portal.serve [--bind 127.0.0.1] [--port 8000] [--print]

The Procfile, the systemd unit, ``make run``, the tests and the benchmark all start the server through this
module, so every deployment gets the same limits:

- WebSocket messages and frames are capped at ``MAX_MESSAGE_BYTES`` (chat messages are a few KB; an unbounded
  frame is an unauthenticated memory-exhaustion vector). Daphne closes an oversize connection with 1009.
- A WebSocket lives at most ``PORTAL_ABSOLUTE_SESSION_S`` (the absolute session cap, AUTH-10): a socket must
  never outlive the login that opened it.
- ``--proxy-headers`` (client address from X-Forwarded-For, scheme from X-Forwarded-Proto) only when the portal
  runs behind the reverse proxy (``PORTAL_BEHIND_PROXY=True`` → ``SECURE_PROXY_SSL_HEADER`` is set, DEP-05);
  deploy/nginx.conf overwrites both headers, so a client cannot forge them.

- The access log never shows a bearer token (DATA-09): Daphne's access-log writer is wrapped so every path goes
  through ``family_portal.redaction.redact_path`` (token after a known prefix replaced, no query string).

The launcher reads Django settings (never a second copy of a value) and then runs Daphne's own command-line entry in
this process (no shell, no second interpreter), so signals from systemd or a process manager go straight to the
server.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from family_portal.redaction import redact_path

ASGI_APPLICATION = "family_portal.asgi:application"
MAX_MESSAGE_BYTES = 64 * 1024  # ≥ 16× the longest chat message; ≤ 1 MiB by DEP-06
MAX_FRAME_BYTES = 64 * 1024
PING_INTERVAL_S = 20  # idle sockets get a keepalive ping (keeps proxies from dropping them)
PING_TIMEOUT_S = 30  # … and are closed when the ping goes unanswered
CONNECT_TIMEOUT_S = 5  # handshake deadline (slowloris on the upgrade)
HTTP_TIMEOUT_S = 60  # a request that takes longer is cut off
APPLICATION_CLOSE_TIMEOUT_S = 10  # a consumer gets this long to finish after the client leaves


def daphne_args(
    *,
    bind: str,
    port: int,
    absolute_session_s: int,
    behind_proxy: bool,
    application: str = ASGI_APPLICATION,
) -> list[str]:
    """The complete Daphne argument list (without the program name), in a fixed order."""
    if absolute_session_s <= 0:
        raise ValueError("The WebSocket lifetime must be bounded by a positive absolute session cap.")
    args = [
        "--bind",
        bind,
        "--port",
        str(port),
        "--websocket_timeout",
        str(absolute_session_s),
        "--websocket_connect_timeout",
        str(CONNECT_TIMEOUT_S),
        "--ping-interval",
        str(PING_INTERVAL_S),
        "--ping-timeout",
        str(PING_TIMEOUT_S),
        "--websocket-max-message-size",
        str(MAX_MESSAGE_BYTES),
        "--websocket-max-frame-size",
        str(MAX_FRAME_BYTES),
        "--application-close-timeout",
        str(APPLICATION_CLOSE_TIMEOUT_S),
        "--http-timeout",
        str(HTTP_TIMEOUT_S),
        "--no-server-name",
    ]
    if behind_proxy:
        args.append("--proxy-headers")
    args.append(application)
    return args


def settings_args(bind: str, port: int, application: str = ASGI_APPLICATION) -> list[str]:
    """``daphne_args`` with the session cap and proxy mode taken from Django settings."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "family_portal.settings")
    from django.conf import settings

    return daphne_args(
        bind=bind,
        port=port,
        absolute_session_s=int(settings.PORTAL_ABSOLUTE_SESSION_S),
        behind_proxy=getattr(settings, "SECURE_PROXY_SSL_HEADER", None) is not None,
        application=application,
    )


ActionLogger = Callable[[str, str, Mapping[str, Any]], None]


class RedactingActionLogger:
    """Daphne's "action logger" (its access log) with every request path passed through ``redact_path`` first."""

    def __init__(self, inner: ActionLogger) -> None:
        self.inner = inner

    def __call__(self, protocol: str, action: str, details: Mapping[str, Any]) -> None:
        if "path" in details:
            details = {**details, "path": redact_path(str(details["path"]))}
        self.inner(protocol, action, details)


def run_daphne(args: Sequence[str]) -> None:
    """Daphne's command-line entry with the access log redacted (Daphne itself is imported only here)."""
    from daphne.cli import CommandLineInterface
    from daphne.server import Server

    class RedactingServer(Server):
        def __init__(self, *server_args: Any, action_logger: ActionLogger | None = None, **kwargs: Any) -> None:
            if action_logger is not None:
                action_logger = RedactingActionLogger(action_logger)
            super().__init__(*server_args, action_logger=action_logger, **kwargs)

    class PortalCommandLineInterface(CommandLineInterface):
        server_class = RedactingServer

    PortalCommandLineInterface().run(list(args))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m family_portal.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--bind", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="TCP port (0 picks a free one; default 8000)")
    parser.add_argument("--app", default=ASGI_APPLICATION, help=argparse.SUPPRESS)  # the bench's bare ASGI app
    parser.add_argument("--print", action="store_true", help="print Daphne's arguments and exit")
    options = parser.parse_args(argv)
    args = settings_args(options.bind, options.port, options.app)
    if options.print:
        print(" ".join(["daphne", *args]))  # noqa: T201
        return
    run_daphne(args)


if __name__ == "__main__":
    main()
