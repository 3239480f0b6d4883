"""The main journeys once in Spanish at phone width (issue #18): consent grant and sign-up through the invitation, a
lesson and its knowledge check, an RSVP with its Spanish invitation and reminder emails, and a live message.

Each reader's browser asks for Spanish (``locale="es"``) and their account prefers it. Every page is audited as in
every journey (axe 0 serious or critical, CSP, no sideways scrolling) and must say ``<html lang="es">``. The page
texts are being translated in parallel, so the steps find fields, links and buttons by their names, addresses and
roles, never by their English or Spanish wording; the words checked are the emails' (translated here).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Locator, expect

from tests.support.browser.actors import Actor, Person, unique_email
from tests.support.browser.mail import wait_for_mail
from tests.support.browser.server import run_worker_once

pytestmark = pytest.mark.browser

SPANISH = "es"
MODULE = "mental-illness-basics"
NEW_PASSWORD = "faro tranquilo del puerto 42"
PRIVATE_WORDS = ("Pat", "Rivera", "Riverside", "terapia", "tratamiento", "adicci", "consejer")


@pytest.fixture
def viewport() -> str:
    """Phone width only: the Spanish journeys run once (the English ones cover the desktop)."""
    return "phone"


def _spanish_reader(actors, name: str) -> Actor:
    return actors(name, locale=SPANISH)


def _in_spanish(actor: Actor) -> None:
    expect(actor.page.locator("html")).to_have_attribute("lang", SPANISH)


def _submit(actor: Actor, form: Locator) -> None:
    """Press the form's first submit button (found by role in the form, not by its wording) and audit the result."""
    actor.click(form.locator("button[type=submit]:not([name=back])").first)
    _in_spanish(actor)


def _sign_in(actor: Actor, person: Person) -> None:
    page = actor.page
    actor.goto("/accounts/login/")
    _in_spanish(actor)
    form = page.locator("form:has(input[name=password])")
    form.locator("input[name=login]").fill(person.email)
    form.locator("input[name=password]").fill(person.password)
    _submit(actor, form)
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def _confirm_password_if_asked(actor: Actor, person: Person) -> None:
    if "/accounts/reauthenticate/" in actor.page.url:
        form = actor.page.locator("form:has(input[name=password])")
        form.locator("input[name=password]").fill(person.password)
        _submit(actor, form)


def test_spanish_consent_grant_and_sign_up_through_the_invitation(actors, people, portal, seed) -> None:
    patient = people.patient("Pat Rivera")
    seed("prefer_language", user_id=patient.id, language=SPANISH)
    fran_email = unique_email("family")

    pat = _spanish_reader(actors, "pat")
    _sign_in(pat, patient)
    pat.goto("/consent/my-sharing/new/")
    _confirm_password_if_asked(pat, patient)
    _in_spanish(pat)
    details = pat.page.locator("main form")
    details.locator("input[name=recipient_name]").fill("Fran Rivera")
    details.locator("input[name=recipient_email]").fill(fran_email)
    details.locator("input[name=recipient_relationship]").fill("Madre")
    for scope in ("education", "schedule", "messaging"):
        details.locator(f"input[name=scopes][value={scope}]").check()
    _submit(pat, details)
    signing = pat.page.locator("main form:has(input[name=signature])")
    signing.locator("input[name=signature]").fill(patient.name)
    signing.locator("input[name=agree]").check()
    _submit(pat, signing)
    expect(pat.page.get_by_role("status")).to_contain_text("Fran Rivera")

    invitation = wait_for_mail(portal.mail_dir, fran_email)
    assert patient.name not in invitation.body and "Riverside" not in invitation.body
    link = urlsplit(invitation.link_containing("/consent/invitation/"))
    fran = _spanish_reader(actors, "fran")
    fran.goto(link.path)
    _in_spanish(fran)
    fran.click(fran.page.locator("main a[href$='/accounts/signup/']"))
    _in_spanish(fran)
    signup = fran.page.locator("form:has(input[name=password1])")
    expect(signup.locator("input[name=email]")).to_have_value(fran_email)
    signup.locator("input[name=password1]").fill(NEW_PASSWORD)
    signup.locator("input[name=password2]").fill(NEW_PASSWORD)
    _submit(fran, signup)
    expect(fran.page).to_have_url(re.compile(r"/(dashboard/)?$"))
    expect(fran.page.get_by_role("main")).to_contain_text(patient.name)  # the consent is linked to the new account


def test_spanish_lesson_and_knowledge_check(actors, people, seed) -> None:
    patient = people.patient()
    casey = people.counselor(caseload=[patient])
    fran = people.family(of=patient, scopes=["education"])
    seed("prefer_language", user_id=fran.id, language=SPANISH)
    module = seed("assign_module", counselor_id=casey.id, patient_id=patient.id, slug=MODULE)

    me = _spanish_reader(actors, "fran")
    _sign_in(me, fran)
    me.goto(f"/learn/m/{MODULE}/")
    _in_spanish(me)
    me.click(me.page.locator(f"main a[href$='/learn/m/{MODULE}/lessons/1/']").first)
    for _lesson in range(module["lessons"]):
        _in_spanish(me)
        _submit(me, me.page.locator("main form.actions"))
    expect(me.page).to_have_url(f"/learn/m/{MODULE}/check/")  # the last lesson leads to the knowledge check
    quiz = me.page.locator("main form.quiz")
    for group in quiz.locator("fieldset").all():
        group.locator("input").first.check()
    _submit(me, quiz)
    expect(me.page).to_have_url(f"/learn/m/{MODULE}/check/result/")
    expect(me.page.get_by_role("status").first).to_be_visible()  # passed or not, the result is announced


def test_spanish_rsvp_with_spanish_invitation_and_reminder_emails(actors, people, portal, portal_env, seed) -> None:
    patient = people.patient("Pat Rivera")
    casey = people.counselor(caseload=[patient])
    fran = people.family(of=patient, name="Fran Rivera", scopes=["schedule"], awake=True)
    seed("prefer_language", user_id=fran.id, language=SPANISH)
    session_id = seed("book_session", counselor_id=casey.id, patient_id=patient.id, member_ids=[fran.id])

    me = _spanish_reader(actors, "fran")
    _sign_in(me, fran)
    me.goto(f"/sessions/{session_id}/")
    _in_spanish(me)
    going = me.page.locator("main form.rsvp-form button[value=accepted]").first
    me.click(going)
    _in_spanish(me)
    expect(going).to_have_attribute("aria-pressed", "true")  # the answer is saved and shown

    # The invitation notice and the reminder go out from the worker in Fran's language.
    assert seed("reminders_due_now", recipient_id=fran.id) >= 1
    run_worker_once(portal_env)
    invited = wait_for_mail(portal.mail_dir, fran.email, subject_contains="Cita nueva")
    # "a la 1:00" at one o'clock, "a las 2:00" otherwise: the hour shown is 2 PM in the waking zone Fran is given
    assert invited.body.startswith("Hola:") and re.search(r" a las? \d{1,2}:\d{2} ", invited.body)
    reminder = wait_for_mail(portal.mail_dir, fran.email, subject_contains="Recordatorio de cita")
    assert "Le recordamos que tiene una cita" in reminder.body
    for mail in (invited, reminder):
        assert not any(word in mail.subject + mail.body for word in PRIVATE_WORDS), mail.body


def test_spanish_live_message(actors, people, seed) -> None:
    patient = people.patient("Pat Rivera")
    people.counselor(caseload=[patient], name="Casey Morgan")
    fran = people.family(of=patient, name="Fran Rivera", scopes=["messaging"])
    seed("prefer_language", user_id=fran.id, language=SPANISH)  # signed in, the account's language wins
    me = _spanish_reader(actors, "fran")
    _sign_in(me, fran)
    me.goto("/messages/")
    _in_spanish(me)
    me.click(me.page.get_by_role("main").locator("a.conversation-link").first)
    _in_spanish(me)
    me.wait_until_live()
    box = me.page.locator("main form textarea").first
    box.press_sequentially("Hola, ¿cómo están? Nos vemos el martes.")
    box.press("Control+Enter")
    thread = me.page.locator("[role=log]")
    expect(thread.locator(".message-mine").last).to_contain_text("¿cómo están?")
    me.check("thread after a Spanish message")
