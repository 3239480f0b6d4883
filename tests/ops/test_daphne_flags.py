"""DEP-06: the Daphne command line is pinned in family_portal/serve.py, bounded, and what every launcher uses."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from daphne.cli import CommandLineInterface
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from family_portal import serve
from tests.support.procs import ProcessRegistry

ROOT = Path(__file__).resolve().parents[2]
MIB = 1024 * 1024


def _parsed(args: list[str]):
    return CommandLineInterface().parser.parse_args(args)


def test_pinned_flags_bound_message_size_and_socket_lifetime(settings):
    options = _parsed(serve.settings_args("127.0.0.1", 8000))
    assert 0 < options.websocket_max_message_size <= MIB
    assert 0 < options.websocket_max_frame_size <= MIB
    assert 0 < options.websocket_timeout <= settings.PORTAL_ABSOLUTE_SESSION_S
    assert 0 < options.websocket_connect_timeout <= 10
    assert 0 < options.ping_interval < options.ping_timeout
    assert 0 < options.application_close_timeout <= 30
    assert options.http_timeout and options.http_timeout > 0
    assert options.application == "family_portal.asgi:application"


def test_websocket_lifetime_follows_the_absolute_session_cap(settings):
    settings.PORTAL_ABSOLUTE_SESSION_S = 3600
    assert _parsed(serve.settings_args("127.0.0.1", 8000)).websocket_timeout == 3600


def test_proxy_headers_only_when_behind_the_proxy(settings):
    settings.SECURE_PROXY_SSL_HEADER = None
    assert not _parsed(serve.settings_args("127.0.0.1", 8000)).proxy_headers
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert _parsed(serve.settings_args("127.0.0.1", 8000)).proxy_headers


def test_unbounded_socket_lifetime_is_refused():
    with pytest.raises(ValueError, match="bounded"):
        serve.daphne_args(bind="127.0.0.1", port=8000, absolute_session_s=0, behind_proxy=False)


@pytest.mark.parametrize(
    ("path", "pattern"),
    [
        ("Procfile", r"^web: python -m family_portal\.serve\b"),
        ("deploy/systemd/family-portal-web.service", r"^ExecStart=\S+/python -m family_portal\.serve\b"),
        ("Makefile", r"-m family_portal\.serve\b"),
    ],
)
def test_every_launcher_goes_through_the_pinned_module(path, pattern):
    text = (ROOT / path).read_text()
    assert re.search(pattern, text, re.MULTILINE), f"{path} must start the server with family_portal.serve"
    assert "daphne -" not in text and "bin/daphne" not in text
    assert "--websocket" not in text and "--ping" not in text, f"{path} must not repeat Daphne flags"


async def _roundtrip(port: int, *, fragmented: bool) -> tuple[str, int | None]:
    """Echo a 32 KiB message (must work), then send 1 MiB as one frame or as 16 KiB fragments."""
    async with asyncio.timeout(20):
        async with connect(f"ws://127.0.0.1:{port}/ws/size-check/", compression=None, max_size=None) as ws:
            small = "x" * (32 * 1024)
            await ws.send(small)
            echoed = await ws.recv()
            assert echoed == small
            try:
                if fragmented:
                    await ws.send(["y" * (16 * 1024)] * 64)
                else:
                    await ws.send("y" * MIB)
                await ws.recv()
            except ConnectionClosed as closed:
                return "closed", closed.rcvd.code if closed.rcvd else None
            return "open", None


@pytest.mark.asyncio
@pytest.mark.parametrize("fragmented", [False, True], ids=["one-frame", "fragmented"])
async def test_daphne_closes_a_one_mebibyte_message(fragmented):
    """Autobahn fails the connection (1009, or a plain drop: Daphne keeps autobahn's failByDrop default)."""
    with ProcessRegistry() as procs:
        _child, port = await asyncio.to_thread(
            procs.start_daphne, "daphne-size-check", None, "tests.support.bare_asgi:application"
        )
        outcome, code = await _roundtrip(port, fragmented=fragmented)
    assert outcome == "closed"
    assert code in (1009, None)
