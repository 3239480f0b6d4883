"""Signing in without typing a password: an emailed code, a reset by code, and passkeys (Chromium's virtual
authenticator through the DevTools protocol stands in for a phone's fingerprint reader)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser.actors import Actor
from tests.support.browser.mail import wait_for_mail

pytestmark = pytest.mark.browser

CODE = re.compile(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4}|[A-Z0-9]{6,8})\s*$", re.MULTILINE)
NEW_PASSWORD = "lanterns over the harbour"


@pytest.fixture
def viewport() -> str:
    return "phone"  # these journeys are the phone ones (390 x 844)


def _code_from_mail(portal, to: str, subject: str, after: int = 0) -> str:
    message = wait_for_mail(portal.mail_dir, to, subject_contains=subject, after=after)
    match = CODE.search(message.body)
    assert match, message.body
    return match.group(1)


def _on_localhost(portal) -> str:
    """Browsers refuse passkeys on a bare IP address: the passkey journeys open the portal as localhost."""
    return portal.url.replace("127.0.0.1", "localhost")


def _virtual_authenticator(actor: Actor) -> None:
    """A platform authenticator (like a phone's fingerprint reader) that always verifies its user."""
    session = actor.page.context.new_cdp_session(actor.page)
    session.send("WebAuthn.enable")
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }
    session.send("WebAuthn.addVirtualAuthenticator", {"options": options})


def test_family_member_signs_in_by_code_and_resets_the_password_by_code(actors, people, portal) -> None:
    fran = people.family(of=people.patient())
    me = actors("fran")
    page = me.page
    me.goto("/accounts/login/")
    me.click(page.get_by_role("link", name="Email me a sign-in code"))
    page.get_by_label(re.compile("email", re.I)).fill(fran.email)
    me.click(page.get_by_role("button", name="Request Code"))
    page.get_by_label(re.compile("code", re.I)).fill(_code_from_mail(portal, fran.email, "Sign-In Code"))
    me.click(page.get_by_role("button", name="Confirm"))
    me.heading(re.compile("Welcome"))
    me.sign_out()

    me.click(page.get_by_role("link", name="Forgot your password?"))
    page.get_by_label(re.compile("email", re.I)).fill(fran.email)
    me.click(page.get_by_role("button", name="Reset My Password"))
    page.get_by_label(re.compile("code", re.I)).fill(_code_from_mail(portal, fran.email, "Password Reset"))
    me.click(page.get_by_role("button", name="Confirm"))
    page.locator("input[name=password1]").fill(NEW_PASSWORD)
    page.locator("input[name=password2]").fill(NEW_PASSWORD)
    me.click(page.get_by_role("button", name=re.compile("change password", re.I)))
    me.sign_in_with(fran.email, NEW_PASSWORD)
    me.heading(re.compile("Welcome"))


def test_family_member_adds_a_passkey_and_signs_in_with_it(actors, people, portal) -> None:
    fran = people.family(of=people.patient())
    me = actors("fran", base_url=_on_localhost(portal))
    page = me.page
    _virtual_authenticator(me)
    me.sign_in(fran)
    me.goto("/account/")
    me.click(page.get_by_role("link", name="Add a passkey"))
    me.confirm_password_if_asked(fran)
    expect(page.get_by_text("Only add a passkey on a phone or computer that only you use.")).to_be_visible()
    # A failed passkey prompt (cancelled, no authenticator) is said on the page, not only in the console.
    page.evaluate("document.dispatchEvent(new CustomEvent('allauth.error', {cancelable: true}))")
    expect(page.get_by_role("alert")).to_contain_text("The passkey did not work")
    me.click(page.get_by_role("button", name="Add a passkey"))
    expect(page.get_by_role("heading", name="Recovery Codes")).to_be_visible()
    me.sign_out()
    me.click(page.get_by_role("button", name="Use a passkey"))
    me.heading(re.compile("Welcome"))


def test_counselor_with_only_a_passkey_passes_the_second_step(actors, people, portal) -> None:
    casey = people.counselor(mfa=False)
    me = actors("casey", base_url=_on_localhost(portal))
    page = me.page
    _virtual_authenticator(me)
    me.sign_in(casey, expect_mfa=False)
    me.confirm_password_if_asked(casey)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate/"))
    me.click(page.get_by_role("link", name="Add one instead of an authenticator app"))
    me.click(page.get_by_role("button", name="Add a passkey"))
    expect(page.get_by_role("heading", name="Recovery Codes")).to_be_visible()
    me.sign_out()
    # Password first, then the passkey as the second step.
    me.goto("/accounts/login/")
    page.get_by_label(re.compile("email", re.I)).fill(casey.email)
    page.get_by_label(re.compile("password", re.I)).fill(casey.password)
    me.click(page.get_by_role("button", name="Sign In"))
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    me.click(page.get_by_role("button", name="Use a passkey or security key"))
    expect(page).not_to_have_url(re.compile(r"/accounts/(login|2fa)/"))
    me.goto("/dashboard/")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
