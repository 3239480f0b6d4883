"""The request → confirm → RSVP → add-to-calendar journey in headless Chromium at phone width (390 px).

Every page is audited (axe-core WCAG 2.2 AA + CSP, the shared ``tests.browser`` checker) and must not scroll
sideways. Screenshots go to ``$SCHEDULING_SCREENSHOTS`` (default: the test's tmp dir). Run on its own:
``pytest -m browser tests/scheduling/test_browser.py`` (sync Playwright must not share a loop with async tests).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client
from icalendar import Calendar

from accounts.models import User
from scheduling.models import Availability, FamilySession
from tests.support import personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}

playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module", autouse=True)
def _orm_beside_playwright() -> Iterator[None]:
    """Playwright's sync API keeps an event loop in this thread; the ORM calls made here (fixtures, asserts) are
    still ordinary blocking calls, so Django's async-safety guard is lifted for this module only."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not os.path.exists(CHROMIUM):
        pytest.skip("chromium is not installed")
    with playwright_api.sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        yield instance
        instance.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    target = Path(os.environ.get("SCHEDULING_SCREENSHOTS", tmp_path))
    target.mkdir(parents=True, exist_ok=True)
    return target


class Phone:
    """One person's phone browser, signed in through a Django session cookie, auditing every page."""

    def __init__(self, browser: object, live_url: str, user: User, shots: Path, name: str) -> None:
        from tests.support.browser.checks import Checks, axe_source

        client = personas.login(Client(), user)
        self.context = browser.new_context(viewport=PHONE, base_url=live_url, accept_downloads=True)  # type: ignore[attr-defined]
        self.context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_url,
                }
            ]  # fmt: skip
        )
        self.checks = Checks(label=f"{name}@390", axe=axe_source())
        self.checks.install(self.context)
        self.page = self.context.new_page()
        self.shots = shots
        self.name = name

    def audit(self, shot: str) -> None:
        """axe + CSP, no sideways scrolling at 390 px, and a full-page screenshot."""
        self.checks.check(self.page, shot)
        assert self.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), shot
        self.page.screenshot(path=str(self.shots / f"{shot}.png"), full_page=True)
        self.page.screenshot(path=str(self.shots / f"{shot}-screen.png"))

    def goto(self, path: str, shot: str) -> None:
        self.page.goto(path)
        self.audit(shot)

    def submit(self, button: object, shot: str) -> None:
        with self.page.expect_navigation():
            button.click()  # type: ignore[attr-defined]
        self.audit(shot)

    def close(self) -> None:
        self.checks.finish()
        self.context.close()


def test_request_confirm_rsvp_and_calendar_at_phone_width(
    browser, live_server, shots, counselor, patient, family_member
) -> None:
    expect = playwright_api.expect
    for weekday in range(7):
        Availability.objects.create(
            counselor=counselor, weekday=weekday, start_time=time(9), end_time=time(17), time_zone="America/New_York"
        )
    fran = Phone(browser, live_server.url, family_member, shots, "fran")
    casey = Phone(browser, live_server.url, counselor, shots, "casey")
    try:
        # 1. Fran asks for a session by picking an open time.
        fran.goto("/sessions/requests/new/", "1-family-request-form")
        page = fran.page
        expect(page.get_by_role("heading", name="Ask for a family session")).to_be_visible()
        page.locator(".sched-slot-choice").first.click()
        page.get_by_label("In person").check()
        fran.submit(page.get_by_role("button", name="Send request"), "2-family-request-sent")
        expect(page.get_by_text("Waiting for the counselor")).to_be_visible()

        # 2. Casey confirms it.
        request_path = re.sub(r"^https?://[^/]+", "", page.url)
        casey.goto(request_path, "3-counselor-confirm-form")
        casey.page.get_by_label("Place (for in-person sessions)").fill("Room 2, 10 Elm Street")
        casey.submit(casey.page.get_by_role("button", name="Confirm and book"), "4-counselor-session-booked")
        expect(casey.page.get_by_role("heading", name=re.compile("Family session"))).to_be_visible()
        session = FamilySession.objects.get()

        # 3. Fran answers "Going".
        fran.goto(session.get_absolute_url(), "5-family-session-rsvp")
        fran.submit(fran.page.get_by_role("button", name="Going", exact=True), "6-family-rsvp-saved")
        expect(fran.page.get_by_text("You’re going").first).to_be_visible()

        # 4. Fran adds it to a calendar: the file, then the private subscription link.
        with fran.page.expect_download() as download:
            fran.page.get_by_role("link", name="Download calendar file").click()
        body = Path(download.value.path()).read_bytes()
        (event,) = [c for c in Calendar.from_ical(body).walk() if c.name == "VEVENT"]
        assert str(event["SUMMARY"]) == "Appointment"
        assert patient.full_name.encode() not in body
        fran.submit(fran.page.get_by_role("link", name="Keep your calendar up to date"), "7-family-calendar-settings")
        fran.submit(fran.page.get_by_role("button", name="Make my calendar link"), "8-family-calendar-link")
        link = fran.page.get_by_label(re.compile("Your calendar link")).input_value()
        assert "/sessions/feed/" in link
        fran.goto("/dashboard/", "9-family-dashboard")
        fran.goto("/sessions/", "10-family-session-list")

        # 5. The counselor's other pages at phone width.
        casey.goto("/sessions/", "11-counselor-list")
        local_day = session.starts_at.astimezone(ZoneInfo("America/New_York")).date()
        casey.goto(f"/sessions/week/?week={local_day:%Y-%m-%d}", "12-counselor-week")
        casey.goto("/sessions/availability/", "13-counselor-hours")
        casey.goto(f"/sessions/new/?patient={patient.pk}", "14-counselor-book")
        casey.goto(
            f"/sessions/attendance-report/?patient={patient.pk}&start={local_day:%Y-%m-%d}&end={local_day:%Y-%m-%d}",
            "15-counselor-attendance-record",
        )
        casey.goto("/dashboard/", "16-counselor-dashboard")
    finally:
        fran.close()
        casey.close()
