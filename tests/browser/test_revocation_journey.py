"""Journey 5: the patient stops sharing; the family member's open conversation says at once that access ended,
and their next page load shows nothing about the patient."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_patient_revokes_and_family_member_loses_access_live(actors, people) -> None:
    patient = people.patient("Pat Rivera")
    people.counselor(caseload=[patient])
    fran = people.family(of=patient, name="Fran Rivera")

    # Fran has the care team conversation open.
    me = actors("fran")
    me.sign_in(fran)
    me.goto("/messages/")
    me.click(me.page.get_by_role("main").locator("a.conversation-link").first)
    me.wait_until_live()
    thread_url = me.page.url
    expect(me.page.get_by_role("main")).to_contain_text(patient.name)

    # Pat stops sharing.
    pat = actors("pat")
    pat.sign_in(patient)
    pat.goto("/consent/my-sharing/")
    sharing = pat.page.get_by_role("region", name="Who can see your information now")
    expect(sharing).to_contain_text("Fran Rivera")
    pat.click(sharing.get_by_role("link", name="Stop sharing"))
    pat.confirm_password_if_asked(patient)
    pat.heading("Stop sharing with Fran Rivera")
    pat.page.get_by_label("Type STOP to confirm").fill("STOP")
    pat.click(pat.page.get_by_role("button", name="Stop sharing now"))
    expect(pat.page.get_by_role("status")).to_contain_text("Sharing with Fran Rivera has stopped")

    # Fran's open conversation shows that access ended, and the composer is gone.
    ended = me.page.get_by_role("alert").filter(has_text="Your access to shared information has ended")
    expect(ended).to_be_visible()
    expect(me.page.get_by_role("textbox", name=re.compile("message", re.I))).to_be_hidden()
    me.check("conversation after access ended")

    # The next page loads show nothing about Pat.
    response = me.page.goto(thread_url)
    assert response is not None and response.status == 404
    me.checks.check(me.page, "conversation after revocation (404)", debug_page=True)
    expect(me.page.locator("body")).not_to_contain_text("Pat Rivera")
    for path in ("/dashboard/", "/consent/shared-with-me/", "/messages/", "/sessions/", "/learn/"):
        me.goto(path)
        expect(me.page.get_by_role("main")).not_to_contain_text("Pat Rivera")
