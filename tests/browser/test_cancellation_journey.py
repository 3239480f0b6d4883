"""Journey: on a phone, the family member sees an invitation with one-tap calendar links; the counselor cancels
the session; the family member's pages say "Cancelled" with nothing left to answer, a neutral email tells them,
and the counselor sees that notice sent in the outbox (issue 15)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.support.browser.mail import wait_for_mail
from tests.support.browser.server import run_worker_once

pytestmark = pytest.mark.browser

PRIVATE_WORDS = ("Pat", "Rivera", "Riverside", "Room 2", "therapy", "treatment", "addiction", "counsel", "unwell")


@pytest.mark.parametrize("viewport", ["phone"])
def test_counselor_cancels_and_the_family_member_is_told(
    viewport: str, actors: Any, people: Any, portal: Any, portal_env: Any, seed: Any
) -> None:
    patient = people.patient("Pat Rivera")
    casey = people.counselor(caseload=[patient])
    fran = people.family(of=patient, name="Fran Rivera", scopes=["schedule"], awake=True)
    session_id = seed("book_session", counselor_id=casey.id, patient_id=patient.id, member_ids=[fran.id])
    session_path = f"/sessions/{session_id}/"

    # Fran sees the invitation, with calendar links that carry nothing but a neutral title and the time.
    me = actors("fran")
    me.sign_in(fran)
    page = me.page
    me.goto("/sessions/")
    card = page.get_by_role("region", name="Coming up").get_by_role("listitem").first
    expect(card).to_contain_text("Please reply")
    me.click(card.get_by_role("link", name="Family session"))
    expect(page.get_by_role("group", name="Will you come?")).to_be_visible()
    google = page.get_by_role("link", name=re.compile("Add to Google Calendar"))
    href = google.get_attribute("href") or ""
    assert urlsplit(href).netloc == "calendar.google.com"
    assert "Appointment" in href and not any(word.lower() in href.lower() for word in PRIVATE_WORDS), href
    expect(page.get_by_role("link", name=re.compile("Download calendar file"))).to_be_visible()

    # The counselor cancels it, with a reason meant for the portal only.
    staff = actors("casey")
    staff.sign_in(casey)
    staff.goto(session_path)
    staff.click(staff.page.get_by_role("link", name="Cancel session"))
    staff.heading("Cancel this session?")
    staff.page.get_by_label(re.compile("Reason")).fill("The counselor is unwell. We will offer a new time.")
    staff.click(staff.page.get_by_role("button", name="Cancel the session"))
    expect(staff.page.get_by_role("status")).to_contain_text("The session is cancelled")

    # Fran's pages say what is true now: cancelled, nothing to answer, nothing to add to a calendar.
    me.goto(session_path)
    main = page.get_by_role("main")
    expect(main).to_contain_text("This session is cancelled.")
    expect(main).to_contain_text("You do not need to come or wait for a call.")
    expect(page.get_by_role("group", name="Will you come?")).to_have_count(0)
    expect(page.get_by_role("heading", name="Add to your calendar")).to_have_count(0)
    me.goto("/sessions/")
    card = page.get_by_role("region", name="Coming up").get_by_role("listitem").first
    expect(card).to_contain_text("Cancelled")
    expect(card).not_to_contain_text("Please reply")

    # The notice goes out in neutral words and links to the session; the counselor sees it sent.
    run_worker_once(portal_env)
    notice = wait_for_mail(portal.mail_dir, fran.email, subject_contains="Appointment cancelled")
    assert "You do not need to come or wait for a call" in notice.body
    assert notice.link_containing(session_path).startswith(portal.url)
    assert not any(word in notice.subject + notice.body for word in PRIVATE_WORDS), notice.body
    staff.goto("/notifications/outbox/")
    staff.heading("Texts and emails")
    row = staff.page.get_by_role("row").filter(has_text=fran.name).filter(has_text="Session cancelled notice").first
    expect(row).to_contain_text("Sent")
    expect(row).to_contain_text("is cancelled")
