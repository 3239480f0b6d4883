"""Keyboard only: a family member signs in, opens the assigned module and reads a lesson using only Tab, typing,
Enter and Space — no mouse, no direct navigation after the first address."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser.keyboard import tab_to

pytestmark = pytest.mark.browser

MODULE = "communication-that-helps"


def test_family_member_signs_in_and_reads_a_lesson_with_the_keyboard_only(actors, people, seed) -> None:
    patient = people.patient()
    casey = people.counselor(caseload=[patient])
    fran = people.family(of=patient, scopes=["education"])
    module = seed("assign_module", counselor_id=casey.id, patient_id=patient.id, slug=MODULE)
    me = actors("fran")
    page = me.page
    keys = page.keyboard

    me.goto("/accounts/login/")
    # The first Tab stop is the skip link.
    keys.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    tab_to(page, page.get_by_label(re.compile("email", re.I)))
    keys.type(fran.email)
    tab_to(page, page.get_by_label(re.compile("password", re.I)))
    keys.type(fran.password)
    me.navigate(lambda: keys.press("Enter"))
    me.heading(re.compile("Welcome"))

    nav = page.get_by_role("navigation", name="Main")
    menu = nav.get_by_role("button", name="Menu")
    if menu.is_visible():  # a phone: the links sit behind the Menu button
        tab_to(page, menu)
        keys.press("Enter")
    tab_to(page, nav.get_by_role("link", name="Learn"))
    me.navigate(lambda: keys.press("Enter"))
    me.heading("Learn")
    tab_to(page, page.get_by_role("main").get_by_role("link", name=module["title"]).first)
    me.navigate(lambda: keys.press("Enter"))
    me.heading(module["title"])
    tab_to(page, page.get_by_role("button", name="Skip the pre-check and start reading"))
    me.navigate(lambda: keys.press("Enter"))
    expect(page.get_by_text(f"Lesson 1 of {module['lessons']}")).to_be_visible()
    tab_to(page, page.get_by_role("button", name="Mark as read and continue"))
    me.navigate(lambda: keys.press("Space"))
    expect(page.get_by_text(f"Lesson 2 of {module['lessons']}")).to_be_visible()
