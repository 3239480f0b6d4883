"""Journey: a family member presses "Join" on a video session's page and the browser lands in the portal-made room
on the configured Jitsi server, carrying a token signed with the app secret (issue 19, item 3).

The "Jitsi server" is a tiny HTTP server on a free loopback port started here; the portal runs with
``VIDEO_PROVIDER=jitsi`` pointed at it (a second live server on the suite's database). The browser's CSP check
proves the page allows its form to end there (``form-action``)."""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from playwright.sync_api import expect

from tests.support.browser import server as srv

pytestmark = pytest.mark.browser

APP_ID = "family-portal"
SECRET = secrets.token_urlsafe(48)
ROOM_PAGE = (
    b'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Video room</title></head>'
    b"<body><main><h1>Video room</h1></main></body></html>"
)


@dataclass
class FakeJitsi:
    url: str
    requests: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def fake_jitsi() -> Iterator[FakeJitsi]:
    """A stand-in for the Jitsi web server: answers every GET with a small page and records the path asked for."""
    fake = FakeJitsi(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fake.requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(ROOM_PAGE)))
            self.end_headers()
            self.wfile.write(ROOM_PAGE)

        def log_message(self, format: str, *args: Any) -> None:  # the path holds the token: keep it out of logs
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True, name="fake-jitsi")
    thread.start()
    try:
        yield fake
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def video_portal(portal_env: dict[str, str], e2e_dir: Path, fake_jitsi: FakeJitsi) -> Iterator[srv.LiveServer]:
    """The portal with its own video rooms on, serving the suite's database."""
    env = {
        **portal_env,
        "VIDEO_PROVIDER": "jitsi",
        "JITSI_BASE_URL": fake_jitsi.url,
        "JITSI_APP_ID": APP_ID,
        "JITSI_APP_SECRET": SECRET,
    }
    with srv.live_server(env, e2e_dir / "mail", name="daphne-video") as live:
        yield live


def test_family_member_presses_join_and_lands_in_the_room_with_a_signed_token(
    actors, people, seed, video_portal, fake_jitsi
) -> None:
    patient = people.patient("Pat Rivera")
    casey = people.counselor(caseload=[patient])
    fran = people.family(of=patient, name="Fran Rivera", scopes=["schedule"])
    session_id = seed("book_video_session", counselor_id=casey.id, patient_id=patient.id, member_ids=[fran.id])

    me = actors("fran", base_url=video_portal.url)
    me.sign_in(fran)
    page = me.page
    me.click(me.main_nav().get_by_role("link", name="Sessions"))
    me.click(page.get_by_role("main").get_by_role("link", name=re.compile("Family session")).first)
    me.heading("Family session")
    expect(page).to_have_url(re.compile(session_id))
    expect(page.get_by_role("main")).to_contain_text("The video room is private to the people invited.")
    session_page = page.content()

    me.click(page.get_by_role("button", name="Join the video call"))
    me.heading("Video room")
    landed = urlsplit(page.url)
    assert f"{landed.scheme}://{landed.netloc}" == fake_jitsi.url
    room = landed.path.lstrip("/")
    assert len(room) >= 40 and room not in session_page  # the room was never on the portal's page
    (token,) = parse_qs(landed.query)["jwt"]
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="jitsi", issuer=APP_ID)
    assert claims["room"] == room
    assert claims["sub"] == "127.0.0.1"
    assert claims["context"]["user"]["name"] == "Fran Rivera"
    assert claims["context"]["user"]["moderator"] is False
    assert f"/{room}?jwt={token}" in fake_jitsi.requests  # the Jitsi server was asked for exactly this
