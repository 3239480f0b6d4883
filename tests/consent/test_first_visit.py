"""A calm first visit that is still lawful: the invitation names the program and how to check it is genuine, the
family member is greeted with who shared what, and the § 2.32 notice informs (plain words, the law in full)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from consent.invitations import send_invitation
from consent.ledger import STATEMENT_1
from consent.models import Consent
from consent.services import grant_consent
from tests.support import personas

pytestmark = pytest.mark.django_db


def _unlinked(patient: User, email: str, scopes: list[str]) -> Consent:
    return grant_consent(
        patient=patient,
        recipient_name="Nia New",
        recipient_email=email,
        scopes=scopes,
        expires_at=timezone.now() + timedelta(days=90),
        signature=patient.full_name,
    )


@pytest.fixture
def invited(patient, program, django_capture_on_commit_callbacks) -> tuple[Consent, str]:
    program.public_name = "Riverside Family Program"
    program.verification_phone = "(201) 555-0123"
    program.save()
    consent = _unlinked(patient, "new@example.org", ["schedule", "education"])
    with django_capture_on_commit_callbacks(execute=True):
        _, token = send_invitation(consent=consent, actor=patient)
    return consent, token


def test_the_invitation_email_names_the_program_and_how_to_check_it(invited):
    (message,) = mail.outbox
    assert "Riverside Family Program" in message.subject
    assert "Riverside Family Program" in message.body
    assert "(201) 555-0123" in message.body
    assert "Pat Rivera" not in message.body  # never the patient
    assert "Someone has chosen to share some information with you through the Family Portal." not in message.body


def test_the_landing_page_names_the_program_and_the_phone_to_verify(invited, client: Client):
    _, token = invited
    page = client.get(reverse("consent:accept_invitation", args=[token])).content.decode()
    assert "Riverside Family Program invited you" in page
    assert 'href="tel:(201) 555-0123"' in page
    assert "Pat Rivera" not in page


def test_without_a_public_name_the_mail_names_no_program_but_the_page_does(
    patient, program, client, django_capture_on_commit_callbacks
):
    program.help_phone = "(201) 555-0199"
    program.save()
    consent = _unlinked(patient, "other@example.org", ["schedule"])
    with django_capture_on_commit_callbacks(execute=True):
        _, token = send_invitation(consent=consent, actor=patient)
    body = mail.outbox[0].body
    assert "Riverside" not in body  # a legal name could reveal treatment in a shared inbox
    assert "(201) 555-0199" in body  # still a way to check the invitation is genuine
    page = client.get(reverse("consent:accept_invitation", args=[token])).content.decode()
    assert f"{program.legal_name} invited you" in page


def test_after_linking_the_family_member_is_greeted_once_with_who_shared_what(invited, login):
    consent, token = invited
    member = personas.make_user("new@example.org", User.Role.FAMILY, None, full_name="Nia New")
    client = login(member)
    response = client.post(reverse("consent:accept_invitation", args=[token]))
    assert response["Location"] == reverse("consent:what_you_can_see")
    page = client.get(response["Location"]).content.decode()
    assert "Welcome, Nia New" in page
    assert "Pat Rivera chose to share some information with you through Riverside Family Program" in page
    assert "Dates and times of family sessions" in page or "family session" in page.lower()
    again = client.get(reverse("consent:what_you_can_see")).content.decode()
    assert "Welcome, Nia New" not in again  # once


def test_signing_in_from_the_invitation_greets_on_the_dashboard(invited, client: Client):
    _, token = invited
    member = personas.make_user("new@example.org", User.Role.FAMILY, None, full_name="Nia New")
    client.get(reverse("consent:accept_invitation", args=[token]))  # remembered in this browser
    personas.login(client, member)  # signing in links the invitation
    from consent.invitations import link_pending_invitation

    request = type("R", (), {"session": client.session})()
    link_pending_invitation(request, member)  # type: ignore[arg-type]
    request.session.save()
    page = client.get(reverse("dashboard")).content.decode()
    assert "Welcome, Nia New" in page


def test_the_notice_puts_plain_words_first_and_the_law_in_full(login, family_member):
    page = login(family_member).get(reverse("consent:what_you_can_see")).content.decode()
    notice = re.search(r"<aside class=\"notice-part2\".*?</aside>", page, re.S)
    assert notice is not None
    text = notice.group(0)
    assert text.index("shared with you by choice") < text.index("42 CFR part 2 prohibits unauthorized use")
    assert "<details>" in text and STATEMENT_1[:60] in text.replace("&#x27;", "'")
    assert "<strong>" not in text  # informs, does not shout
    assert page.index("Shared by") < page.index("notice-part2")  # after what it is about
