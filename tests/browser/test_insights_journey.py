"""Journey: a counselor opens "Insights" from their navigation on a phone and sees their caseload's charts drawn
by the vendored Chart.js (no request leaves the portal), each with its numbers in a table; axe finds no serious or
critical violation, nothing scrolls sideways and the strict CSP is kept."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", ["phone"])
def test_counselor_reads_their_caseload_insights_on_a_phone(actors, people, seed, portal) -> None:
    patient = people.patient("Robin Insights")
    counselor = people.counselor(caseload=[patient], name="Ines Counselor")
    seed("insights_families", counselor_email=counselor.email, patient_email=patient.email, tag=str(counselor.id))

    casey = actors("ines")
    requests: list[str] = []
    casey.page.on("request", lambda request: requests.append(request.url))
    casey.sign_in(counselor)
    casey.click(casey.main_nav().get_by_role("link", name="Insights"))
    casey.heading("Caseload insights")
    page = casey.page

    funnel = page.locator("canvas[data-insights-chart='chart-family-funnel']")
    expect(funnel).to_have_attribute("data-drawn", "true")
    expect(funnel).to_have_attribute("role", "img")
    steps = "Invited: Family members 14; Joined: Family members 14; Active in the last 30 days: Family members 14."
    expect(funnel).to_have_attribute("aria-label", f"From invitation to active family. {steps}")
    drawn = page.evaluate(
        """() => [...document.querySelectorAll('canvas[data-insights-chart]')].map((c) => {
             const pixels = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
             let inked = 0;
             for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) { inked += 1; } }
             return [c.dataset.insightsChart, c.width > 0 && inked > 500];
           })"""
    )
    assert drawn and all(ok for _key, ok in drawn), drawn

    section = page.get_by_role("region", name="Family-session attendance by week")
    section.get_by_text("Show the numbers").click()
    table = section.get_by_role("table", name="Family-session attendance by week")
    expect(table).to_be_visible()
    expect(table).to_contain_text("fewer than 11")
    casey.check("numbers shown")
    assert all(url.startswith(portal.url) for url in requests), [u for u in requests if not u.startswith(portal.url)]
