"""Journey (phone): a family member opens "My check-in" from the menu, answers the weekly check-in with a high
result and shares it; the result page offers 988 and family groups at once, and the trend table lists the week.
Every page passes the checker (axe, CSP, no sideways scrolling at 390 px)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

ANSWERS = {
    "Feeling nervous, anxious or on edge": "More than half the days",
    "Not being able to stop or control worrying": "Nearly every day",
    "Feeling down, depressed or hopeless": "Several days",
    "Little interest or pleasure in doing things": "Several days",
}


@pytest.mark.parametrize("viewport", ["phone"])
def test_family_member_checks_in_and_sees_support(viewport: str, actors: Any, people: Any) -> None:
    patient = people.patient()
    people.counselor(caseload=[patient])
    fran = people.family(of=patient)
    me = actors("fran")
    me.sign_in(fran)
    page = me.page
    page.get_by_role("navigation", name="Main").get_by_role("button", name="Menu").click()
    me.click(page.get_by_role("link", name="My check-in"))
    me.heading("Your weekly check-in")
    expect(page.get_by_role("main")).to_contain_text("Your loved one cannot see it.")
    for question, answer in ANSWERS.items():
        page.get_by_role("group", name=question).get_by_label(answer).check()
    page.get_by_role("group", name=re.compile("How confident")).get_by_label("2 – A little confident").check()
    page.get_by_label("Share this check-in with the care team").check()
    me.click(page.get_by_role("button", name="Save my check-in"))

    support = page.get_by_role("region", name="Support for you, right now")
    expect(support).to_contain_text("988")
    expect(support).to_contain_text("Nar-Anon")
    expect(page.get_by_role("main")).to_contain_text("Total: 7 of 12 (Moderate)")
    expect(page.get_by_role("button", name="Stop sharing this check-in")).to_be_visible()

    me.click(page.get_by_role("link", name="Back to your weekly check-in"))
    trend = page.get_by_role("table")
    expect(trend.get_by_role("row").filter(has_text="7 · Moderate")).to_have_count(1)  # the header is hidden on phones
