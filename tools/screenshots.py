"""Regenerate the README screenshots (docs/screenshots/*.png): the main pages of each role at phone and desktop width.

    .venv/bin/python tools/screenshots.py [--out docs/screenshots]
    .venv/bin/python tools/screenshots.py --readme    # print the README section that shows them (no browser)

Starts its own portal (Daphne on a free loopback port) on a fresh SQLite file in a temp dir, with the curriculum,
the demo accounts (``manage.py load_demo_data``) and a little demo activity (an assignment, a family session, a
short conversation), signs in as each role through the real sign-in pages (the counselor with an authenticator
code), and captures each page. Everything it starts is stopped by PID when it ends. Needs /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Browser, FloatRect, Page, ViewportSize, sync_playwright  # noqa: E402

from tests.support.browser import server as srv  # noqa: E402
from tests.support.browser.seeder import Seeder  # noqa: E402
from tests.support.browser.totp import fresh_totp  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--hide-scrollbars",
]
WIDTHS: dict[str, ViewportSize] = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
MAX_HEIGHT = {"phone": 1900, "desktop": 1300}  # long pages are cut here (keeps docs/screenshots small)
DEMO_PASSWORD = "demo-portal-pass-2026"  # noqa: S105  (family_portal/management/commands/load_demo_data.py)

# (file name, who, path or a function of the demo content returning the path, what it shows)
Shot = tuple[str, str, Callable[[dict], str], str]
SHOTS: list[Shot] = [
    ("sign-in", "", lambda d: "/accounts/login/", "Sign-in page"),
    ("family-dashboard", "family", lambda d: "/dashboard/", "Family member: home"),
    ("family-learn", "family", lambda d: "/learn/", "Family member: learning, assigned modules first"),
    ("family-lesson", "family", lambda d: f"/learn/m/{d['module']}/lessons/3/", "Family member: a lesson"),
    ("family-session", "family", lambda d: d["session"], "Family member: a family session, RSVP and calendar"),
    ("family-messages", "family", lambda d: d["conversation"], "Family member: secure messages with the care team"),
    ("family-what-you-can-see", "family", lambda d: "/consent/shared-with-me/", "Family member: what is shared"),
    ("patient-sharing", "patient", lambda d: "/consent/my-sharing/", "Patient: who can see what"),
    ("counselor-dashboard", "counselor", lambda d: "/dashboard/", "Counselor: home"),
    (
        "counselor-patient",
        "counselor",
        lambda d: f"/consent/patients/{d['patient_id']}/",
        "Counselor: family and consents",
    ),
    ("counselor-week", "counselor", lambda d: f"/sessions/week/?week={d['week']}", "Counselor: the week's sessions"),
    ("counselor-insights", "counselor", lambda d: "/console/my-caseload/insights/", "Counselor: caseload insights"),
]
# The same family member's pages after choosing Español in the header (taken last: the choice is saved on the
# account, as it is for a real family).
SPANISH_SHOTS: list[Shot] = [
    ("es-family-dashboard", "family", lambda d: "/dashboard/", "Familiar, en español: inicio"),
    ("es-family-lesson", "family", lambda d: f"/learn/m/{d['module']}/lessons/3/", "Familiar, en español: una lección"),
]
ACCOUNTS = {"family": "family@demo.example", "patient": "patient@demo.example", "counselor": "counselor@demo.example"}


def sign_in(page: Page, email: str, secret: str = "") -> None:
    page.goto("/accounts/login/")
    page.get_by_label(re.compile("email", re.I)).fill(email)
    page.get_by_label(re.compile("password", re.I)).fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign In").click()
    if secret:
        page.get_by_label(re.compile("code", re.I)).fill(fresh_totp(secret))
        with page.expect_navigation():
            page.get_by_role("button", name="Sign In").click()
    if "/accounts/" in page.url:
        raise RuntimeError(f"could not sign in as {email}: still at {page.url}")


def choose_spanish(page: Page) -> None:
    """Press "Español" in the header, as a family member would (it is saved on their account)."""
    page.goto("/dashboard/")
    with page.expect_navigation():
        page.locator("form.language-switcher button[value=es]").first.click()
    if page.evaluate("document.documentElement.lang") != "es":
        raise RuntimeError(f"the page did not switch to Spanish: {page.url}")


def capture(browser: Browser, base_url: str, demo: dict, out: Path, only: list[str] | None = None) -> list[Path]:
    """Each role signs in once (an authenticator code works only once); each page is taken at both widths
    (``only``: just the shots with these names)."""
    pages: dict[str, Page] = {}
    for role, email in ["", ""], *ACCOUNTS.items():
        pages[role] = browser.new_context(viewport=WIDTHS["phone"], base_url=base_url, locale="en-US").new_page()
        if email:
            sign_in(pages[role], email, demo["counselor_secret"] if role == "counselor" else "")
    written = []
    for name, who, path_of, _what in SHOTS + SPANISH_SHOTS:
        page = pages[who]
        if name == SPANISH_SHOTS[0][0]:
            choose_spanish(page)
        if only and name not in only:
            continue
        for width, viewport in WIDTHS.items():
            page.set_viewport_size(viewport)
            page.goto(path_of(demo))
            page.wait_for_load_state("load")
            page.wait_for_function(
                "[...document.querySelectorAll('canvas[data-insights-chart]')].every((c) => c.dataset.drawn)"
            )
            page.evaluate("document.querySelectorAll('.toasts').forEach((n) => n.remove())")  # sign-in toasts
            height = min(int(page.evaluate("document.documentElement.scrollHeight")), MAX_HEIGHT[width])
            target = out / f"{name}-{width}.png"
            clip: FloatRect = {"x": 0, "y": 0, "width": viewport["width"], "height": height}
            page.screenshot(path=str(target), full_page=True, clip=clip)
            written.append(target)
            print(f"{target}  {target.stat().st_size // 1024} KB  ({page.url})")
    for page in pages.values():
        page.context.close()
    return written


def readme_section() -> str:
    """The README's screenshot table: each page at phone width beside desktop width."""
    lines = [
        "## Screenshots",
        "",
        "The main pages of each role at phone (390 px) and desktop (1280 px) width, with demo data, and the family",
        "member's pages after choosing Español in the header. Regenerate them with `make screenshots`",
        "(`tools/screenshots.py` starts its own portal on a temporary database).",
        "",
        "| Page | Phone | Desktop |",
        "| --- | --- | --- |",
    ]
    for name, _who, _path, what in SHOTS + SPANISH_SHOTS:
        phone = f'<img src="docs/screenshots/{name}-phone.png" width="195" alt="{what}, phone">'
        desktop = f'<img src="docs/screenshots/{name}-desktop.png" width="480" alt="{what}, desktop">'
        lines.append(f"| {what} | {phone} | {desktop} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"), help="where the PNG files go")
    parser.add_argument("--readme", action="store_true", help="print the README section and exit")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="take only these shots (e.g. counselor-insights)")
    options = parser.parse_args()
    if options.readme:
        print(readme_section())
        return
    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="portal-shots-") as tmp:
        env = srv.portal_env(Path(tmp) / "demo.sqlite3", Path(tmp) / "mail")
        srv.prepare_database(env)
        srv.run_checked("load_demo_data", [sys.executable, "manage.py", "load_demo_data"], env)
        seeder = Seeder(env)
        try:
            demo = seeder("demo_content")
            seeder("insights_families", counselor_email=ACCOUNTS["counselor"], tag="screenshots")
        finally:
            seeder.close()
        with srv.live_server(env, Path(tmp) / "mail") as live, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                written = capture(browser, live.url, demo, out, options.only)
            finally:
                browser.close()
    total = sum(path.stat().st_size for path in written)
    print(f"{len(written)} screenshots, {total / 1024 / 1024:.1f} MB in {out}")


if __name__ == "__main__":
    main()
