"""ROB-01: a WebSocket upgrade to a path no consumer serves is refused (403 at the handshake), never an error."""

from __future__ import annotations

import asyncio
import logging
import uuid

import pytest
from channels.testing import WebsocketCommunicator
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Origin

from tests.support.procs import ProcessRegistry

UNKNOWN_PATHS = [
    "/ws/x",
    "/",
    "/ws/conversations/not-a-uuid/",
    f"/ws/conversations/{uuid.UUID(int=0x51)}/extra/",
    "/messages/",
]


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", UNKNOWN_PATHS)
async def test_unknown_socket_path_is_refused_without_an_error_log(path, caplog):
    from family_portal.asgi import application

    headers = [(b"host", b"testserver"), (b"origin", b"http://testserver")]
    communicator = WebsocketCommunicator(application, path, headers=headers)
    with caplog.at_level(logging.INFO):
        connected, _code = await communicator.connect(timeout=3)
        await communicator.wait(timeout=3)

    assert connected is False
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_known_socket_path_still_reaches_its_consumer():
    """The catch-all is last: a conversation path still reaches the conversation consumer, whose refusal of a
    visitor without a session is its own (4403), not the catch-all's (4404)."""
    from family_portal.asgi import application

    headers = [(b"host", b"testserver"), (b"origin", b"http://testserver")]
    communicator = WebsocketCommunicator(application, f"/ws/conversations/{uuid.uuid4()}/", headers=headers)
    connected, code = await communicator.connect(timeout=3)
    assert connected is False
    assert code == 4403


@pytest.mark.asyncio
async def test_daphne_answers_an_unknown_socket_path_with_403_and_logs_no_traceback():
    """Over a real socket: the handshake gets a 403; the server's output holds no traceback."""
    with ProcessRegistry() as procs:
        child, port = await asyncio.to_thread(procs.start_daphne, "daphne-unknown-socket")
        origin = Origin(f"http://127.0.0.1:{port}")  # an allowed host, so the router (not the origin check) answers
        async with asyncio.timeout(20):
            with pytest.raises(InvalidStatus) as refused:
                async with connect(f"ws://127.0.0.1:{port}/ws/x", origin=origin):
                    pass
        status = refused.value.response.status_code
        procs.stop(child)
        while await asyncio.to_thread(child.next_line, 10) is not None:
            pass  # read the server's output to its end
    output = child.output()
    assert status == 403, output
    assert "Traceback" not in output and "No route found" not in output, output
