"""People in a journey: each actor is one browser context (one person's browser) with its own checker."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.support.browser.checks import Checks
from tests.support.browser.totp import fresh_totp


@dataclass
class Person:
    """An account in the e2e database (made by the seed process)."""

    id: int
    email: str
    password: str
    name: str
    role: str
    totp_secret: str = ""
    consent_id: str = ""


# Test instrumentation (an init script, so not subject to the page's CSP): count open WebSockets, so a journey can
# wait until the live chat is connected instead of sleeping.
TRACK_SOCKETS = """
(() => {
  const Native = window.WebSocket;
  if (!Native || Native.__e2eTracked) return;
  window.__e2eOpenSockets = 0;
  class Tracked extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("open", () => { window.__e2eOpenSockets += 1; });
      this.addEventListener("close", () => { window.__e2eOpenSockets = Math.max(0, window.__e2eOpenSockets - 1); });
    }
  }
  Tracked.__e2eTracked = true;
  window.WebSocket = Tracked;
})();
"""


@dataclass
class Actor:
    name: str
    page: Page
    checks: Checks

    def check(self, what: str = "") -> None:
        """Audit the page now shown (axe, sideways scrolling, CSP)."""
        self.checks.check(self.page, what)

    def goto(self, path: str) -> None:
        self.page.goto(path)
        self.check()

    def navigate(self, action: Callable[[], Any]) -> None:
        """Run ``action`` (a click, a submit), wait for the page it loads, and audit that page."""
        with self.page.expect_navigation():
            action()
        self.check()

    def click(self, target: Locator) -> None:
        self.navigate(target.click)

    def wait_until_live(self) -> None:
        """Until the page's WebSocket (the live chat) is open."""
        self.page.wait_for_function("() => window.__e2eOpenSockets > 0")

    def main_nav(self) -> Locator:
        """The main navigation, its links shown: on a phone they sit behind the "Menu" button, pressed here first."""
        nav = self.page.get_by_role("navigation", name="Main")
        toggle = nav.get_by_role("button", name="Menu")
        if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
            toggle.click()
        return nav

    def heading(self, text: str | re.Pattern[str]) -> None:
        expect(self.page.get_by_role("heading", level=1)).to_contain_text(text)

    # --- signing in -------------------------------------------------------------------------------------
    def sign_in(self, person: Person, *, expect_mfa: bool | None = None, secret: str = "") -> None:
        """Sign in through the real form; care staff then type the code their authenticator shows."""
        page = self.page
        self.goto("/accounts/login/")
        page.get_by_label(re.compile("email", re.I)).fill(person.email)
        page.get_by_label(re.compile("password", re.I)).fill(person.password)
        self.click(page.get_by_role("button", name="Sign In"))
        needs_code = bool(secret or person.totp_secret) if expect_mfa is None else expect_mfa
        if needs_code:
            expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
            page.get_by_label(re.compile("code", re.I)).fill(fresh_totp(secret or person.totp_secret))
            self.click(page.get_by_role("button", name="Sign In"))
        expect(page).not_to_have_url(re.compile(r"/accounts/(login|2fa/authenticate)/"))

    def sign_in_with(self, email: str, password: str) -> None:
        self.sign_in(Person(id=0, email=email, password=password, name="", role="family"))

    def confirm_password_if_asked(self, person: Person) -> None:
        """Sensitive steps ask for the password again (AUTH-08): type it when the page asks."""
        page = self.page
        if "/accounts/reauthenticate/" in page.url:
            page.get_by_label(re.compile("password", re.I)).fill(person.password)
            self.click(page.get_by_role("button", name="Confirm"))

    def sign_out(self) -> None:
        page = self.page
        self.goto("/accounts/logout/")
        self.click(page.get_by_role("main").get_by_role("button", name="Sign Out"))
        expect(page).to_have_url(re.compile(r"/accounts/login/"))


def unique_email(role: str) -> str:
    return f"{role}-{uuid.uuid4().hex[:10]}@e2e.example"
