"""Invitations in the invitee's language (issue #18): the counselor picks it, the email is written in it, and the
landing page and the account made from the link start in it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from consent.invitations import send_invitation
from consent.models import Consent, Invitation
from consent.services import grant_consent
from tests.consent.conftest import invitation_link

pytestmark = pytest.mark.django_db

PASSWORD = "faroles del puerto 42"


@pytest.fixture
def unlinked(patient) -> Consent:
    return grant_consent(
        patient=patient,
        recipient_name="Sam Rivera",
        recipient_email="sam@example.org",
        scopes=["schedule"],
        expires_at=timezone.now() + timedelta(days=60),
        signature="Pat Rivera",
    )


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[-1].split("/", 1)[1]


def counselor_invites(login, counselor, consent: Consent, capture, **posted: str):
    client = login(counselor)
    with capture(execute=True):
        response = client.post(reverse("consent:invite", args=[consent.pk]), posted)
    return response


def test_the_counselor_picks_the_invitees_language(login, counselor, patient, unlinked):
    page = login(counselor).get(reverse("consent:patient_detail", args=[patient.pk])).content.decode()
    assert '<select name="language">' in page and '<option value="es" lang="es">Español</option>' in page


def test_a_spanish_invitation_is_written_in_spanish(login, counselor, unlinked, django_capture_on_commit_callbacks):
    response = counselor_invites(login, counselor, unlinked, django_capture_on_commit_callbacks, language="es")

    assert response.status_code == 302
    assert Invitation.objects.get().language == "es"
    message = mail.outbox[-1]
    assert message.subject == "Le invitamos a Family Portal"
    assert "Para aceptar, abra este enlace" in message.body
    assert "To accept" not in message.body


def test_an_english_invitation_from_a_spanish_speaking_counselor_is_in_english(
    login, counselor, unlinked, django_capture_on_commit_callbacks
):
    counselor.preferred_language = "es"
    counselor.save()
    counselor_invites(login, counselor, unlinked, django_capture_on_commit_callbacks, language="en")
    assert mail.outbox[-1].subject == "You're invited to the Family Portal"


def test_an_unknown_language_is_a_400_and_sends_nothing(login, counselor, unlinked, django_capture_on_commit_callbacks):
    response = counselor_invites(login, counselor, unlinked, django_capture_on_commit_callbacks, language="xx")
    assert response.status_code == 400
    assert not Invitation.objects.exists() and not mail.outbox


def test_the_invitee_lands_and_signs_up_in_the_invitation_language(
    login, counselor, unlinked, django_capture_on_commit_callbacks
):
    counselor_invites(login, counselor, unlinked, django_capture_on_commit_callbacks, language="es")
    link = invitation_link(mail.outbox[-1])
    invitee = Client()

    landing = invitee.get(path_of(link), HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="es">' in landing.content.decode()
    assert landing.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    signup = invitee.get(reverse("account_signup"), HTTP_ACCEPT_LANGUAGE="en")
    assert signup.context["form"].fields["preferred_language"].initial == "es"
    invitee.post(
        reverse("account_signup"),
        {"email": "sam@example.org", "password1": PASSWORD, "password2": PASSWORD, "preferred_language": "es"},
    )

    user = User.objects.get(email="sam@example.org")
    assert user.preferred_language == "es"
    unlinked.refresh_from_db()
    assert unlinked.recipient == user


def test_a_language_the_visitor_chose_in_the_header_is_kept_on_the_landing_page(
    login, counselor, unlinked, django_capture_on_commit_callbacks
):
    counselor_invites(login, counselor, unlinked, django_capture_on_commit_callbacks, language="es")
    link = invitation_link(mail.outbox[-1])
    invitee = Client()
    invitee.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    landing = invitee.get(path_of(link))
    assert '<html lang="en">' in landing.content.decode()


def test_the_patients_own_invitation_goes_out_in_the_language_they_use(patient, unlinked):
    with translation.override("es"):
        invitation, _token = send_invitation(consent=unlinked, actor=patient)
    assert invitation.language == "es"
