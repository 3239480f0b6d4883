"""The checker itself: on a deliberately broken page it reports the missing label, the low contrast, the inline
script the CSP blocks and the box wider than a phone; a clean page passes; a page left unchecked is reported.
(A checker that never fails would make every journey pass.)"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, Route

from tests.support.browser.checks import Checks

pytestmark = pytest.mark.browser

ORIGIN = "http://broken.e2e.test"
CSP = "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'"
PAGES = {
    "/broken": """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Broken</title>
<link rel="stylesheet" href="/site.css"></head><body><main><h1>Broken page</h1>
<p class="faint">This grey text on white is far too faint to read.</p>
<form><input type="text" name="email"><button type="submit">Go</button></form>
<script>window.inlineRan = true;</script>
<div class="wide">A box wider than a phone screen.</div>
</main></body></html>""",
    "/clean": """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Clean</title>
<link rel="stylesheet" href="/site.css"></head><body><main><h1>Clean page</h1>
<form><label for="email">Email</label><input id="email" type="email" name="email"><button type="submit">Go</button>
</form><p><a href="/other">Another page</a></p></main></body></html>""",
    "/other": """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Other</title></head>
<body><main><h1>Other page</h1></main></body></html>""",
    "/site.css": ".faint { color: #d0d0d0; background: #ffffff; } .wide { width: 900px; }",
}


def _serve(route: Route) -> None:
    path = route.request.url.removeprefix(ORIGIN)
    if path not in PAGES:
        route.fulfill(status=404, body="not found")
        return
    kind = "text/css" if path.endswith(".css") else "text/html; charset=utf-8"
    route.fulfill(status=200, body=PAGES[path], headers={"Content-Type": kind, "Content-Security-Policy": CSP})


@pytest.fixture
def checked_page(browser: Browser, axe: str):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    checks = Checks(label="checker", axe=axe, collect_path="")  # always strict here
    checks.install(context)
    page = context.new_page()
    page.route(f"{ORIGIN}/**", _serve)
    yield page, checks
    context.close()


def test_checker_fails_on_missing_label_low_contrast_inline_script_and_overflow(
    checked_page: tuple[Page, Checks],
) -> None:
    page, checks = checked_page
    page.goto(f"{ORIGIN}/broken")
    assert page.evaluate("window.inlineRan === undefined")  # the CSP did block it
    with pytest.raises(AssertionError) as failure:
        checks.check(page)
    report = str(failure.value)
    assert "axe critical label" in report  # the unlabelled input
    assert "axe serious color-contrast" in report  # #d0d0d0 on white
    assert "csp" in report and "script-src" in report  # the inline script
    assert "overflow" in report and "div.wide" in report  # sideways scrolling at 390 px
    assert {f.kind for f in checks.findings} == {"axe", "csp", "overflow"}


def test_checker_passes_a_clean_page_and_reports_a_page_left_unchecked(checked_page: tuple[Page, Checks]) -> None:
    page, checks = checked_page
    page.goto(f"{ORIGIN}/clean")
    assert checks.check(page) == []
    page.get_by_role("link", name="Another page").click()
    page.wait_for_url(f"{ORIGIN}/other")
    with pytest.raises(AssertionError, match="unchecked.*/other"):
        checks.finish()
