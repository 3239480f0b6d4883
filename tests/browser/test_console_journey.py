"""Journey: a program admin runs the program from the console (phone and desktop): adds a counselor, assigns a
patient, closes the office on Sundays with a checkbox, opens the consent forms and the review queue. Every page, the
form with errors included, passes axe with no serious or critical violation and fits the screen."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.support.browser.actors import Person, unique_email

pytestmark = pytest.mark.browser


def _person(seed, program_id: int, role: str, name: str) -> Person:
    made = seed("user", email=unique_email(role), role=role, full_name=name, program_id=program_id)
    return Person(
        id=made["id"],
        email=made["email"],
        password=made["password"],
        name=name,
        role=role,
        totp_secret=made["totp_secret"],
    )


def test_program_admin_manages_staff_caseloads_and_hours(actors, seed) -> None:
    program_id = int(seed("program", name=f"Console Program {uuid.uuid4().hex[:8]}"))  # its own: a clean slate
    patient = _person(seed, program_id, "patient", "Robin Chen")
    _person(seed, program_id, "counselor", "Jordan Lee")
    avery = _person(seed, program_id, "program_admin", "Avery Admin")

    admin = actors("avery")
    admin.sign_in(avery)
    page = admin.page
    admin.click(admin.main_nav().get_by_role("link", name="Program"))
    console = page.get_by_role("navigation", name="Program console")

    # Staff: a form sent with a mistake shows it on the field, then the counselor is added.
    admin.click(console.get_by_role("link", name="Staff"))
    admin.heading("Staff")
    admin.click(page.get_by_role("link", name="Add a staff member"))
    admin.heading("Add a staff member")
    page.get_by_label("Full name").fill("Sam Okafor")
    page.get_by_label("Work email address").fill("not an address")
    admin.click(page.get_by_role("button", name="Add and send the email"))
    email = page.get_by_label("Work email address")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_accessible_description(re.compile("valid email address"))
    email.fill(unique_email("counselor"))
    page.get_by_label("May review and publish education content").check()
    admin.click(page.get_by_role("button", name="Add and send the email"))
    expect(page.get_by_role("status")).to_contain_text("Sam Okafor was added")
    expect(page.get_by_role("main")).to_contain_text("Invited: no password yet")

    # Caseloads: Robin goes on Jordan's caseload.
    admin.click(console.get_by_role("link", name="Caseloads"))
    admin.heading("Caseloads")
    page.get_by_role("combobox", name=re.compile("^Patient")).select_option(label=patient.name)
    page.get_by_role("combobox", name=re.compile("^Counselor")).select_option(label="Jordan Lee")
    admin.click(page.get_by_role("button", name="Assign"))
    expect(page.get_by_role("status")).to_contain_text("Robin Chen is now on Jordan Lee's caseload")
    admin.click(page.get_by_role("link", name=re.compile("End Robin Chen with Jordan Lee")).first)
    admin.heading(re.compile("Take Robin Chen off"))
    admin.click(console.get_by_role("link", name="Hours and reminders"))

    # Office hours: weekdays are checkboxes, reminders are words.
    admin.heading("Hours and reminders")
    days = page.get_by_role("group", name="Office days")
    days.get_by_label("Sunday").uncheck()  # the seeded program is open every day
    page.get_by_label("1 week before").check()
    admin.click(page.get_by_role("button", name="Save"))
    expect(page.get_by_role("status")).to_contain_text("Saved")
    expect(page.get_by_role("group", name="Office days").get_by_label("Sunday")).not_to_be_checked()
    expect(page.get_by_role("group", name="Office days").get_by_label("Saturday")).to_be_checked()

    # Consent forms and content review: read-only here.
    admin.click(console.get_by_role("link", name="Consent forms"))
    admin.heading("Consent forms")
    admin.click(page.get_by_role("link", name="Publish a new version"))
    admin.heading("Publish a new consent form")
    admin.click(console.get_by_role("link", name="Content review"))
    admin.heading("Content review")
