"""Journey 2: the family member opens the module the counselor assigned, reads every lesson, passes the knowledge
check and sees the certificate."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

MODULE = "mental-illness-basics"


def test_family_member_completes_assigned_module_and_gets_certificate(actors, people, seed) -> None:
    patient = people.patient()
    casey = people.counselor(caseload=[patient])
    fran = people.family(of=patient, scopes=["education"])
    module = seed("assign_module", counselor_id=casey.id, patient_id=patient.id, slug=MODULE)

    me = actors("fran")
    me.sign_in(fran)
    page = me.page
    me.click(me.main_nav().get_by_role("link", name="Learn"))
    me.heading("Learn")
    me.click(page.get_by_role("main").get_by_role("link", name=module["title"]).first)
    me.heading(module["title"])
    # Before the first lesson: the optional pre-check, left blank (a guess would be no better).
    me.click(page.get_by_role("link", name="Take the pre-check"))
    me.heading("Before you start: what do you already know?")
    me.click(page.get_by_role("button", name="Save my answers and start"))
    for position in range(1, module["lessons"] + 1):
        expect(page.get_by_text(f"Lesson {position} of {module['lessons']}")).to_be_visible()
        last = position == module["lessons"]
        me.click(page.get_by_role("button", name="Finish this lesson" if last else "Mark as read and continue"))
    # The last lesson leads to the knowledge check.
    me.heading("Knowledge check")
    for prompt, right in module["answers"]:  # each try asks some of the module's questions, in a new order
        group = page.get_by_role("group", name=re.compile(re.escape(prompt)))
        if not group.count():
            continue
        for text in right:
            group.get_by_label(text, exact=True).check()
    me.click(page.get_by_role("button", name="Check my answers"))
    me.heading("Your results")
    expect(page.get_by_role("status").filter(has_text="You passed")).to_be_visible()
    me.click(page.get_by_role("link", name="View your certificate"))
    expect(page.get_by_role("main")).to_contain_text(module["title"])
    expect(page.get_by_role("main")).to_contain_text(fran.name)
    expect(page.get_by_role("main")).to_contain_text("Before the course you answered 0% correctly; at the end 100%.")
