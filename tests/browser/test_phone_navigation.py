"""Phone navigation: at 390×844 every destination of each role's main navigation, and Sign out, sit behind one
"Menu" button (a disclosure: aria-expanded, aria-controls) and are reached from it without sideways scrolling.
Desktop keeps the bar; without JavaScript the links are listed. On a touch screen the composer does not offer a
keyboard shortcut, and cards in plain lists (the session cards) keep their inner padding."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, Route, expect

from tests.browser.conftest import VIEWPORTS
from tests.support.browser.actors import Actor, Person

pytestmark = pytest.mark.browser

# Each role's destinations, in the order the menu lists them (Sign out, a button, comes last).
DESTINATIONS = {
    "family": ["Home", "Learn", "Sessions", "Messages", "Updates", "What you can see", "My check-in", "Account"],
    "patient": ["Home", "Learn", "Sessions", "Messages", "Updates", "My sharing", "Account"],
    "counselor": ["Home", "Learn", "Sessions", "Messages", "Patients", "Reminders", "Insights", "Account"],
}
NO_SIDEWAYS_SCROLL = "() => document.scrollingElement.scrollWidth <= window.innerWidth"
UNREAD_BADGE = re.compile(r"\s*\d+$")  # "Messages 1": the unread count is not part of the destination's name


def person_for(people, role: str) -> Person:
    patient = people.patient()
    if role == "patient":
        return patient
    if role == "family":
        return people.family(of=patient)
    return people.counselor(caseload=[patient])


def link_names(menu: Locator) -> list[str]:
    return [UNREAD_BADGE.sub("", text.strip()) for text in menu.get_by_role("link").all_inner_texts()]


def assert_inside_screen(page: Page, target: Locator) -> None:
    box = target.bounding_box()
    assert box is not None, f"{target} has no box"
    width = page.evaluate("window.innerWidth")
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"{target} is off-screen: {box}"
    assert box["height"] >= 44, f"{target} is a small target: {box}"


def open_menu(me: Actor) -> tuple[Locator, Locator]:
    """Press "Menu" and return (the button, the list it controls), checking the disclosure's state both ways."""
    page = me.page
    toggle = page.get_by_role("navigation", name="Main").get_by_role("button", name="Menu")
    controls = toggle.get_attribute("aria-controls")
    assert controls, "the Menu button names the list it opens (aria-controls)"
    menu = page.locator(f"#{controls}")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_hidden()
    assert page.evaluate(NO_SIDEWAYS_SCROLL), f"{page.url} scrolls sideways"
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(menu).to_be_visible()
    assert page.evaluate(NO_SIDEWAYS_SCROLL), f"{page.url} scrolls sideways with the menu open"
    return toggle, menu


@pytest.mark.parametrize("viewport", ["phone"])
@pytest.mark.parametrize("role", list(DESTINATIONS))
def test_phone_menu_reaches_every_destination_and_sign_out(actors, people, role: str) -> None:
    me = actors(role)
    me.sign_in(person_for(people, role))
    page = me.page
    for name in DESTINATIONS[role]:
        _toggle, menu = open_menu(me)
        assert link_names(menu) == DESTINATIONS[role]
        me.check(f"menu open on {page.url}")  # axe (no serious violation) and no sideways scroll, menu open
        link = menu.get_by_role("link", name=re.compile(rf"^{re.escape(name)}\b"))
        assert_inside_screen(page, link)
        href = link.get_attribute("href")
        me.click(link)
        expect(page).to_have_url(re.compile(re.escape(href or "") + r"$"))
        assert "/accounts/login/" not in page.url
    _toggle, menu = open_menu(me)
    sign_out = menu.get_by_role("button", name="Sign out")
    assert_inside_screen(page, sign_out)
    me.click(sign_out)
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


@pytest.mark.parametrize("viewport", ["phone"])
def test_phone_menu_works_with_the_keyboard_and_closes_with_escape(actors, people) -> None:
    me = actors("fran")
    me.sign_in(person_for(people, "family"))
    page = me.page
    toggle = page.get_by_role("navigation", name="Main").get_by_role("button", name="Menu")
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Tab")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Home")).to_be_focused()
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    # A tap outside the open menu (near the bottom of the screen, below the list) closes it too.
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    page.mouse.click(VIEWPORTS["phone"]["width"] / 2, VIEWPORTS["phone"]["height"] - 20)
    expect(toggle).to_have_attribute("aria-expanded", "false")
    me.check()


@pytest.mark.parametrize("viewport", ["desktop"])
def test_desktop_keeps_the_bar_without_a_menu_button(actors, people) -> None:
    me = actors("casey")
    me.sign_in(person_for(people, "counselor"))
    nav = me.page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("button", name="Menu")).to_be_hidden()
    tops = set()
    for name in DESTINATIONS["counselor"]:
        link = nav.get_by_role("link", name=re.compile(rf"^{re.escape(name)}\b"))
        expect(link).to_be_visible()
        tops.add(round((link.bounding_box() or {"y": -1})["y"]))
    expect(nav.get_by_role("button", name="Sign out")).to_be_visible()
    assert len(tops) == 1, f"the bar wraps: {tops}"


def test_without_javascript_every_destination_is_listed_on_a_phone(browser: Browser, portal, people) -> None:
    fran = person_for(people, "family")
    context = browser.new_context(
        viewport=VIEWPORTS["phone"], base_url=portal.url, java_script_enabled=False, locale="en-US"
    )
    try:
        page = context.new_page()
        page.goto("/accounts/login/")
        page.get_by_label(re.compile("email", re.I)).fill(fran.email)
        page.get_by_label(re.compile("password", re.I)).fill(fran.password)
        with page.expect_navigation():
            page.get_by_role("button", name="Sign In").click()
        nav = page.get_by_role("navigation", name="Main")
        expect(nav.get_by_role("button", name="Menu")).to_be_hidden()
        assert link_names(nav) == DESTINATIONS["family"]
        for link in nav.get_by_role("link").all():
            expect(link).to_be_visible()
            assert_inside_screen(page, link)
        assert_inside_screen(page, nav.get_by_role("button", name="Sign out"))
        with page.expect_navigation():
            nav.get_by_role("button", name="Sign out").click()
        expect(page).to_have_url(re.compile(r"/accounts/login/"))
    finally:
        context.close()


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_send_shortcut_is_named_only_with_a_mouse_and_keyboard(actors, people, viewport: str) -> None:
    patient = people.patient()
    people.counselor(caseload=[patient])
    fran = people.family(of=patient, scopes=["messaging"])
    touch = {"has_touch": True, "is_mobile": True} if viewport == "phone" else {}
    me = actors("fran", **touch)
    me.sign_in(fran)
    me.goto("/messages/")
    me.click(me.page.get_by_role("main").locator("a.conversation-link").first)
    me.wait_until_live()
    hint = me.page.get_by_text(re.compile(r"(Ctrl|Cmd)\+Enter to send"))
    if viewport == "phone":
        expect(hint).to_be_hidden()
    else:
        expect(hint).to_be_visible()


PORTAL_CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "portal.css"
CARDS_PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Cards</title>
<link rel="stylesheet" href="/portal.css"></head><body><main>
<ul class="list-plain sched-list"><li class="card" id="item-card"><h3>Family session</h3><p>Thursday</p></li></ul>
<ul class="list-plain card" id="list-card"><li>A request</li><li>Another request</li></ul>
</main></body></html>"""
PADDING = "(id) => { const s = getComputedStyle(document.getElementById(id)); return [s.paddingLeft, s.paddingRight]; }"


@pytest.mark.parametrize("width", [VIEWPORTS["phone"]["width"], VIEWPORTS["desktop"]["width"]])
def test_cards_in_plain_lists_keep_their_inner_padding(browser: Browser, width: int) -> None:
    def serve(route: Route) -> None:
        if route.request.url.endswith("/portal.css"):
            route.fulfill(body=PORTAL_CSS.read_text(encoding="utf-8"), headers={"Content-Type": "text/css"})
        else:
            route.fulfill(body=CARDS_PAGE, headers={"Content-Type": "text/html; charset=utf-8"})

    context = browser.new_context(viewport={"width": width, "height": 800})
    try:
        page = context.new_page()
        page.route("http://cards.e2e.test/**", serve)
        page.goto("http://cards.e2e.test/cards")
        for card in ("item-card", "list-card"):
            left, right = page.evaluate(PADDING, card)
            assert float(left.removesuffix("px")) >= 16 and float(right.removesuffix("px")) >= 16, (card, left, right)
    finally:
        context.close()
