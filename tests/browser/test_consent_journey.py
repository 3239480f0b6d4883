"""Journey 1: a patient signs a consent naming a family member; the counselor sends the invitation again; the
family member signs up from the emailed link (which verifies their address), and later signs in again."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.support.browser.actors import unique_email
from tests.support.browser.mail import count_mail, wait_for_mail

pytestmark = pytest.mark.browser

NEW_PASSWORD = "steady harbor lights 42"


def test_patient_shares_counselor_invites_family_member_joins(actors, people, portal) -> None:
    patient = people.patient("Pat Rivera")
    casey = people.counselor(caseload=[patient])
    fran_email = unique_email("family")

    # The patient names a family member and signs.
    pat = actors("pat")
    pat.sign_in(patient)
    pat.goto("/consent/my-sharing/")
    pat.heading("My sharing")
    pat.click(pat.page.get_by_role("main").get_by_role("link", name="Share with someone new").first)
    pat.confirm_password_if_asked(patient)
    page = pat.page
    pat.heading("Share with someone new")
    page.get_by_label("Their full name").fill("Fran Rivera")
    page.get_by_label("Their email address").fill(fran_email)
    page.get_by_label(re.compile("How are they related")).fill("Mother")
    for scope in ("Lessons the care team assigns", "Dates and times of family sessions", "Secure messages"):
        page.get_by_label(re.compile(scope)).check()
    pat.click(page.get_by_role("button", name="Next: read and sign"))
    pat.heading("Read and sign")
    expect(page.get_by_text(fran_email)).to_be_visible()
    page.get_by_label("Type your full name to sign").fill(patient.name)
    page.get_by_label(re.compile("I have read the consent form")).check()
    pat.click(page.get_by_role("button", name="Sign and start sharing"))
    expect(page.get_by_role("status")).to_contain_text("Sharing with Fran Rivera is set up")
    first = wait_for_mail(portal.mail_dir, fran_email)
    assert patient.name not in first.body and "Riverside" not in first.body  # neutral wording (§ 2.13(c))

    # The counselor sends the invitation again from the patient's page.
    casey_ui = actors("casey")
    casey_ui.sign_in(casey)
    casey_ui.goto("/consent/patients/")
    casey_ui.click(casey_ui.page.get_by_role("link", name=patient.name))
    casey_ui.heading(patient.name)
    family = casey_ui.page.get_by_role("region", name="Family and consents")
    expect(family).to_contain_text("Fran Rivera")
    casey_ui.click(family.get_by_role("button", name="Send invitation"))
    expect(casey_ui.page.get_by_role("status")).to_contain_text("We emailed Fran Rivera an invitation")
    second = wait_for_mail(portal.mail_dir, fran_email, after=1)
    assert count_mail(portal.mail_dir, fran_email) == 2

    # The family member opens the newest link, creates an account and signs in.
    link = urlsplit(second.link_containing("/consent/invitation/"))
    fran = actors("fran")
    fran.goto(link.path)
    fran.heading(re.compile("invited you to its Family Portal"))  # the program is named on the landing page
    fran.click(fran.page.get_by_role("link", name="Create an account"))
    page = fran.page
    expect(page.get_by_label(re.compile("email", re.I))).to_have_value(fran_email)
    page.get_by_label(re.compile("^Password", re.I)).first.fill(NEW_PASSWORD)
    page.get_by_label(re.compile("again|confirm", re.I)).fill(NEW_PASSWORD)
    fran.click(page.get_by_role("button", name=re.compile("Sign Up", re.I)))
    # The emailed link verifies the address it was sent to (no second email), signs them in and links the consent.
    expect(page).to_have_url(re.compile(r"/(dashboard/)?$"))
    expect(page.get_by_role("main")).to_contain_text("Welcome")  # greeted once with who shared what
    expect(page.get_by_role("main")).to_contain_text(f"{patient.name} chose to share some information with you")
    fran.goto("/consent/shared-with-me/")
    expect(page.get_by_role("main")).to_contain_text(patient.name)
    fran.sign_out()
    fran.sign_in_with(fran_email, NEW_PASSWORD)
    fran.goto("/consent/shared-with-me/")
    expect(page.get_by_role("main")).to_contain_text(patient.name)
