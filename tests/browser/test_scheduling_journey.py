"""Journey 3: the counselor books a family session; the family member answers "Going" and downloads the calendar
file; the reminder goes out with neutral words and shows in the counselor's outbox."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.support.browser.mail import wait_for_mail
from tests.support.browser.server import run_worker_once

pytestmark = pytest.mark.browser

PROGRAM_TZ = ZoneInfo("America/New_York")
PRIVATE_WORDS = ("Pat", "Rivera", "Riverside", "therapy", "treatment", "addiction", "counsel")


def test_counselor_books_family_rsvps_downloads_ics_and_reminder_is_neutral(
    actors, people, portal, portal_env, seed
) -> None:
    patient = people.patient("Pat Rivera")
    casey = people.counselor(caseload=[patient])
    fran = people.family(of=patient, name="Fran Rivera", scopes=["schedule"], awake=True)
    starts = (datetime.now(PROGRAM_TZ) + timedelta(days=3)).replace(hour=14, minute=0, second=0, microsecond=0)

    # The counselor books the session and invites Fran.
    staff = actors("casey")
    staff.sign_in(casey)
    page = staff.page
    staff.goto("/sessions/new/")
    staff.heading("Book a session")
    page.get_by_label("Whose family is this for?").select_option(label=patient.name)
    staff.click(page.get_by_role("region", name=re.compile("For one patient")).get_by_role("button", name="Continue"))
    staff.heading(re.compile("Book a session for"))
    page.get_by_label("Kind of session").select_option(label="Family session")
    page.get_by_label("Starts").fill(starts.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("In person").check()
    page.get_by_label(re.compile("Place .for in-person")).fill("Room 2, ground floor")
    page.get_by_label(fran.name).check()
    staff.click(page.get_by_role("button", name="Book and invite"))
    expect(page.get_by_role("status")).to_contain_text("The session is booked")

    # Fran answers and saves the calendar file.
    me = actors("fran")
    me.sign_in(fran)
    page = me.page
    me.click(me.main_nav().get_by_role("link", name="Sessions"))
    me.click(page.get_by_role("main").get_by_role("link", name=re.compile("Family session")).first)
    me.heading("Family session")
    expect(page.get_by_role("main")).to_contain_text("Room 2, ground floor")
    me.click(page.get_by_role("button", name="Going", exact=True))
    expect(page.get_by_role("status")).to_contain_text("Your answer is saved: Going")
    expect(page.get_by_role("button", name="Going", exact=True)).to_have_attribute("aria-pressed", "true")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download calendar file").click()
    download = download_info.value
    assert download.suggested_filename == "appointment.ics"
    ics = Path(download.path()).read_text(encoding="utf-8")
    assert "BEGIN:VEVENT" in ics and "SUMMARY:Appointment" in ics
    assert not any(word in ics for word in PRIVATE_WORDS), ics

    # The reminder goes out (brought forward from its planned time) and the counselor sees it in the outbox.
    assert seed("reminders_due_now", recipient_id=fran.id) >= 1
    run_worker_once(portal_env)
    reminder = wait_for_mail(portal.mail_dir, fran.email, subject_contains="reminder")
    assert "appointment" in reminder.body.lower()
    assert not any(word in reminder.subject + reminder.body for word in PRIVATE_WORDS), reminder.body
    staff.click(staff.main_nav().get_by_role("link", name="Reminders"))
    staff.heading("Texts and emails")
    row = staff.page.get_by_role("row").filter(has_text=fran.name).filter(has_text="Session reminder").first
    expect(row).to_contain_text("Sent")
    expect(row).to_contain_text("This is a reminder that you have an appointment")
