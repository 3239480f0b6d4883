"""Family pages: "What you can see and why", the § 2.32 notice on every page showing patient data, and a
learner's experience identical whether or not their email appears on any consent (§ 2.13(c), AUTH-04)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.models import User
from consent.services import grant_consent
from tests.consent.conftest import strip_csrf

pytestmark = pytest.mark.django_db

NOTICE = "data-part2-notice"
PASSWORD = "quiet harbour lanterns 42"


def test_family_member_sees_each_effective_consent_in_plain_words(login, consent, family_member):
    body = login(family_member).get(reverse("consent:what_you_can_see")).content.decode()
    assert "Shared by Pat Rivera" in body
    assert "Dates and times of family sessions" in body
    assert "stop sharing at any time" in body
    assert reverse("consent:what_you_can_see_detail", args=[consent.pk]) in body


def test_consent_copy_shows_scope_and_form_text(login, consent, family_member):
    body = login(family_member).get(reverse("consent:what_you_can_see_detail", args=[consent.pk])).content.decode()
    assert "My right to revoke" in body
    assert "Pat Rivera" in body
    assert NOTICE in body


@pytest.mark.parametrize("persona", ["revoked_member", "outsider", "learner", "counselor", "patient"])
def test_consent_copy_is_404_for_anyone_but_its_current_recipient(request, login, consent, persona):
    client = login(request.getfixturevalue(persona))
    assert client.get(reverse("consent:what_you_can_see_detail", args=[consent.pk])).status_code == 404


def test_learner_and_revoked_member_see_the_same_empty_page(login, learner, revoked_member):
    pages = []
    for user in (learner, revoked_member):
        response = login(user, Client()).get(reverse("consent:what_you_can_see"))
        pages.append(strip_csrf(response.content).replace(user.display_name, "NAME"))
    assert pages[0] == pages[1]
    assert "Nothing is shared with you right now" in pages[0]
    assert "Pat" not in pages[0]


def _consent_urls(consent) -> list[str]:
    """Every consent URL, with this consent's and its patient's ids where a pattern takes one."""
    urls = []
    for pattern in get_resolver().url_patterns:
        if not isinstance(pattern, URLResolver) or pattern.namespace != "consent":
            continue
        for entry in pattern.url_patterns:
            assert isinstance(entry, URLPattern)
            kwargs = {}
            for name in entry.pattern.converters:
                if name == "consent_id":
                    kwargs[name] = consent.pk
                elif name == "patient_id":
                    kwargs[name] = consent.patient_id
            if len(kwargs) == len(entry.pattern.converters):
                urls.append(reverse(f"consent:{entry.name}", kwargs=kwargs))
    return urls


def test_every_consent_page_showing_patient_data_to_family_carries_the_notice(login, consent, family_member):
    client = login(family_member)
    shown = []
    for url in [*_consent_urls(consent), reverse("dashboard")]:
        response = client.get(url)
        if response.status_code == 200 and "Pat Rivera" in response.content.decode():
            shown.append(url)
            assert NOTICE in response.content.decode(), url
            assert reverse("consent:what_you_can_see") in response.content.decode(), url
    assert reverse("consent:what_you_can_see") in shown
    assert reverse("consent:what_you_can_see_detail", args=[consent.pk]) in shown
    assert reverse("consent:consent_print", args=[consent.pk]) in shown


# --- Learner: nothing differs when their email is on a consent -------------------------------------------


def _snapshot(response, email: str) -> tuple:
    body = strip_csrf(response.content).replace(email, "EMAIL")
    body = re.sub(r"/accounts/confirm-email/[^/\"]+/", "/accounts/confirm-email/KEY/", body)
    return (
        response.status_code,
        response.get("Location", "").replace(email, "EMAIL"),
        [template.name for template in response.templates],
        body,
    )


def _learner_journey(email: str) -> list[tuple]:
    client = Client()
    steps = [_snapshot(client.get(reverse("account_signup")), email)]
    response = client.post(reverse("account_signup"), {"email": email, "password1": PASSWORD, "password2": PASSWORD})
    steps.append(_snapshot(response, email))
    steps.append(_snapshot(client.get(response["Location"]), email))
    subjects = [message.subject for message in mail.outbox if email in message.to]
    EmailAddress.objects.filter(email=email).update(verified=True)  # as if they clicked the emailed link
    response = client.post(reverse("account_login"), {"login": email, "password": PASSWORD})
    steps.append(_snapshot(response, email))
    for name in ("dashboard", "consent:what_you_can_see", "consent:my_sharing", "home"):
        steps.append(_snapshot(client.get(reverse(name)), email))
    steps.append(("mail", tuple(subjects)))
    return steps


def test_learner_signup_login_and_pages_are_identical_whether_or_not_their_email_is_on_a_consent(patient):
    named, unnamed = "lee.a@example.org", "lee.b@example.org"
    grant_consent(
        patient=patient,
        recipient_name="Lee Learner",
        recipient_email=named,
        scopes=["schedule", "messaging"],
        expires_at=timezone.now() + timedelta(days=30),
        signature="Pat Rivera",
    )
    with_consent = _learner_journey(named)
    without_consent = _learner_journey(unnamed)
    assert with_consent == without_consent
    assert User.objects.get(email=named).consents_received.count() == 0


def test_learner_journey_really_signs_in():
    steps = _learner_journey("lee.c@example.org")
    assert [step[0] for step in steps[:-1]] == [200, 302, 200, 302, 200, 200, 302, 200]
    assert steps[3][1] == reverse("dashboard")
    assert len(steps[-1][1]) == 1  # the confirmation email
