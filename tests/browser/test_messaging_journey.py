"""Journey 4: the counselor and the family member (two browsers) write to each other live in her private
conversation with the care team, and each sees the other typing and reading."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_counselor_and_family_member_chat_live_with_typing_and_read_receipts(actors, people) -> None:
    patient = people.patient("Pat Rivera")
    casey = people.counselor(caseload=[patient], name="Casey Morgan")
    fran = people.family(of=patient, name="Fran Rivera", scopes=["messaging"])

    me = actors("fran")
    me.sign_in(fran)
    me.click(me.main_nav().get_by_role("link", name="Messages"))
    me.heading("Messages")
    me.click(me.page.get_by_role("main").locator("a.conversation-link").first)
    me.wait_until_live()
    thread_url = me.page.url
    # Her default conversation is private with the care team, and the composer names who reads it (MSG-01).
    me.heading("Private with the care team (about Pat Rivera)")
    expect(me.page.locator("#reader-list")).to_have_text("Read by: you, Casey Morgan (Care team)")

    staff = actors("casey")
    staff.sign_in(casey)
    staff.goto(thread_url)
    staff.wait_until_live()

    # Casey types: Fran sees it; Casey sends: Fran's thread shows it without a reload; Fran has read it.
    staff_box = staff.page.get_by_role("textbox", name=re.compile("message", re.I))
    staff_box.press_sequentially("Hello Fran, thank you for coming on Tuesday.")
    expect(me.page.locator("#typing")).to_have_text("Casey Morgan is typing…")
    staff.page.get_by_role("button", name="Send").click()
    fran_thread = me.page.get_by_role("log", name="Messages")
    expect(fran_thread).to_contain_text("Hello Fran, thank you for coming on Tuesday.")
    # Each message names the sender's role from the server, as text (AUTH-13).
    live = fran_thread.locator(".message", has_text="Hello Fran, thank you for coming on Tuesday.")
    expect(live.locator(".role-badge")).to_have_text("Care team")
    expect(me.page.locator("#typing")).to_have_text("")
    expect(staff.page.get_by_role("log", name="Messages")).to_contain_text("Seen by Fran Rivera")
    me.check("thread after a live message")

    # Fran answers: the same the other way round.
    fran_box = me.page.get_by_role("textbox", name=re.compile("message", re.I))
    fran_box.press_sequentially("Thank you. See you next week.")
    expect(staff.page.locator("#typing")).to_have_text("Fran Rivera is typing…")
    fran_box.press("Control+Enter")
    expect(staff.page.get_by_role("log", name="Messages")).to_contain_text("Thank you. See you next week.")
    reply = staff.page.get_by_role("log", name="Messages").locator(".message", has_text="See you next week.")
    expect(reply.locator(".role-badge")).to_have_text("Family")
    expect(fran_thread.locator(".message-mine").last).to_contain_text("Thank you. See you next week.")
    expect(fran_thread).to_contain_text("Seen by Casey Morgan")
    staff.check("thread after a live reply")
    me.check("thread with read receipts")
