"""Scale-out on loopback: two Daphne processes on one PostgreSQL test database and one Redis channel layer.

A message sent to a socket held by one process reaches a socket held by the other, and revoking consent in this
(third) process closes the family member's socket with 4403. Run with both services, e.g.::

    DJANGO_DEBUG=True DATABASE_URL=postgres://postgres@127.0.0.1:5432/fp_messaging REDIS_URL=redis://127.0.0.1:6379/5 \
        .venv/bin/pytest tests/messaging/test_scale_out.py -p no:randomly

Synchronisation is by events (the servers' "Listening" lines, socket frames), each with a deadline.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any
from urllib.parse import quote

import pytest
import websockets
from django.conf import settings
from django.db import connection, connections
from django.test import Client

from consent.models import Consent
from tests.support import personas
from tests.support.phi_log_scan import register_phi, scan_text
from tests.support.procs import ProcessRegistry

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def services_up() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://…)")
    if not settings.REDIS_URL:
        pytest.skip("needs Redis (REDIS_URL=redis://…)")


def _child_env() -> dict[str, str]:
    params = connection.settings_dict
    user = quote(params.get("USER") or "postgres")
    password = f":{quote(params['PASSWORD'])}" if params.get("PASSWORD") else ""
    url = (
        f"postgres://{user}{password}@{params.get('HOST') or '127.0.0.1'}:{params.get('PORT') or 5432}/{params['NAME']}"
    )
    return {**os.environ, "DJANGO_DEBUG": "True", "DATABASE_URL": url, "REDIS_URL": settings.REDIS_URL}


def _cookie(user: Any) -> str:
    client = personas.login(Client(), user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


async def _frame(ws: Any, kind: str, timeout: float = 10) -> dict[str, Any]:
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if frame["type"] == kind:
            return frame


def _revoke(consent: Consent) -> None:
    try:
        personas.revoke(consent)  # broadcasts force.close through Redis on commit
    finally:
        connections.close_all()


def test_two_daphne_processes_deliver_to_each_other_and_revocation_closes(
    services_up, counselor, family_member, consent, care_team
):
    body = register_phi("Cross-process hello about the plan")
    cookies = {"staff": _cookie(counselor), "family": _cookie(family_member)}
    path = f"/ws/conversations/{care_team.pk}/"

    async def scenario(port_a: int, port_b: int) -> int:
        family = await websockets.connect(
            f"ws://127.0.0.1:{port_a}{path}",
            origin=websockets.Origin(f"http://127.0.0.1:{port_a}"),
            additional_headers={"Cookie": cookies["family"]},
            open_timeout=10,
        )
        staff = await websockets.connect(
            f"ws://127.0.0.1:{port_b}{path}",
            origin=websockets.Origin(f"http://127.0.0.1:{port_b}"),
            additional_headers={"Cookie": cookies["staff"]},
            open_timeout=10,
        )
        await staff.send(json.dumps({"type": "message", "body": body, "client_id": "x1"}))
        ack = await _frame(staff, "ack")
        delivered = await _frame(family, "message")
        assert delivered["message"]["id"] == ack["message"]["id"]
        assert delivered["message"]["parts"] == [{"text": body}]

        await asyncio.to_thread(_revoke, consent)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(family.recv(), 5)
        await staff.close()
        assert closed.value.rcvd is not None
        return closed.value.rcvd.code

    with ProcessRegistry(grace_s=10) as procs:
        server_a, port_a = procs.start_daphne("ws-a", env=_child_env())
        server_b, port_b = procs.start_daphne("ws-b", env=_child_env())
        try:
            code = asyncio.run(scenario(port_a, port_b))
        except Exception as exc:
            logs = "\n".join(f"--- {s.name}\n{s.output()[-3000:]}" for s in (server_a, server_b))
            raise AssertionError(f"scale-out scenario failed; server logs:\n{logs}") from exc
        finally:
            procs.stop_all()
            for server in (server_a, server_b):
                scan_text(server.output(), server.name)
    assert code == 4403


def _end_session(cookie: str) -> None:
    from django.contrib.sessions.models import Session

    try:
        Session.objects.filter(session_key=cookie.split("=", 1)[1]).delete()  # announced through Redis on commit
    finally:
        connections.close_all()


def test_a_session_ended_in_another_process_closes_its_socket_with_4401(services_up, family_member, care_team):
    """WS-11 across processes: the session is deleted here (as allauth's "sign out other sessions" does) and the
    Daphne process holding its socket closes it."""
    cookie = _cookie(family_member)
    path = f"/ws/conversations/{care_team.pk}/"

    async def scenario(port: int) -> int:
        family = await websockets.connect(
            f"ws://127.0.0.1:{port}{path}",
            origin=websockets.Origin(f"http://127.0.0.1:{port}"),
            additional_headers={"Cookie": cookie},
            open_timeout=10,
        )
        await asyncio.to_thread(_end_session, cookie)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(family.recv(), 5)
        assert closed.value.rcvd is not None
        return closed.value.rcvd.code

    with ProcessRegistry(grace_s=10) as procs:
        server, port = procs.start_daphne("ws-session", env=_child_env())
        try:
            code = asyncio.run(scenario(port))
        except Exception as exc:
            raise AssertionError(f"scenario failed; server log:\n{server.output()[-3000:]}") from exc
        finally:
            procs.stop_all()
            scan_text(server.output(), server.name)
    assert code == 4401
