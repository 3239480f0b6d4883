"""Invitations: only for an effective consent naming someone; single use; expiring; rate limited; neutral errors;
linking only through the link, never by a matching email (consent-and-privacy § 10)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.contrib.sessions.backends.cached_db import SessionStore
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from consent.gate import can_disclose
from consent.invitations import (
    SESSION_KEY,
    UNUSABLE_MESSAGE,
    WRONG_ACCOUNT_MESSAGE,
    InvitationUnusable,
    accept_invitation,
    link_pending_invitation,
    send_invitation,
    usable_invitation,
)
from consent.models import INVITATIONS_PER_HOUR, AuditEvent, Consent, Invitation, Scope
from consent.services import grant_consent, record_paper_consent
from tests.consent.conftest import invitation_link, strip_csrf
from tests.support import personas

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "quiet harbour lanterns 42"


@pytest.fixture
def unlinked(patient) -> Consent:
    """A consent naming someone who has no account yet."""
    return grant_consent(
        patient=patient,
        recipient_name="Sam Rivera",
        recipient_email="sam@example.org",
        scopes=["schedule", "education"],
        expires_at=timezone.now() + timedelta(days=60),
        signature="Pat Rivera",
    )


@pytest.fixture
def invite(unlinked, patient, django_capture_on_commit_callbacks):
    def _invite(consent: Consent | None = None) -> str:
        with django_capture_on_commit_callbacks(execute=True):
            send_invitation(consent=consent or unlinked, actor=patient)
        return invitation_link(mail.outbox[-1])

    return _invite


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[-1].split("/", 1)[1]


def test_only_a_hash_of_the_token_is_stored(unlinked, patient):
    invitation, token = send_invitation(consent=unlinked, actor=patient)
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not Invitation.objects.filter(token_hash=token).exists()
    assert token not in str(list(AuditEvent.objects.values_list("data", flat=True)))


def test_invitation_email_is_neutral_and_links_to_the_portal(invite, patient):
    link = _path(invite())
    message = mail.outbox[-1]
    assert message.to == ["sam@example.org"]
    assert message.subject == "You're invited to the Family Portal"
    assert patient.full_name not in f"{message.subject} {message.body}"
    assert "Riverside" not in message.body  # the program's name could reveal treatment
    assert link.startswith("/consent/invitation/")


@pytest.mark.parametrize("state", ["linked", "revoked", "pending_paper", "expired"])
def test_no_invitation_without_an_effective_consent_naming_them(state, patient, counselor, consent, unlinked):
    target: Consent = consent if state == "linked" else unlinked
    if state == "revoked":
        personas.revoke(unlinked)
    if state == "pending_paper":
        target = record_paper_consent(
            staff=counselor,
            patient=patient,
            recipient_name="Sam Rivera",
            recipient_email="sam@example.org",
            scopes=["schedule"],
            expires_at=timezone.now() + timedelta(days=30),
            signature="Pat Rivera",
            signed_at=timezone.now(),
            paper_form_reference="Scan 9",
            attested=True,
        )
    travel = timedelta(days=61) if state == "expired" else timedelta(0)
    with time_machine.travel(timezone.now() + travel), pytest.raises(ValidationError):
        send_invitation(consent=target, actor=patient)
    assert not Invitation.objects.exists()


def test_fresh_invitee_signs_up_with_prefilled_email_and_is_linked(invite, unlinked, patient):
    client = Client()
    link = _path(invite())
    landing = client.get(link)
    assert landing.status_code == 200
    assert "Pat" not in landing.content.decode()  # nothing about the patient before sign-in
    signup = client.get(reverse("account_signup"))
    assert signup.context["form"].fields["email"].initial == "sam@example.org"
    response = client.post(
        reverse("account_signup"),
        {"email": "sam@example.org", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    user = User.objects.get(email="sam@example.org")
    unlinked.refresh_from_db()
    assert unlinked.recipient == user
    assert user.role == User.Role.FAMILY
    assert can_disclose(user, patient, Scope.SCHEDULE)
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.INVITATION_ACCEPTED)
    assert (event.actor_id, event.patient_id) == (user.pk, patient.pk)
    assert client.get(reverse("consent:what_you_can_see")).status_code == 200


def test_invitee_with_an_account_signs_in_and_is_linked(invite, unlinked, patient):
    sam = personas.make_user("sam@example.org", User.Role.FAMILY, None, full_name="Sam Rivera")
    client = Client()
    client.get(_path(invite()))
    response = client.post(reverse("account_login"), {"login": "sam@example.org", "password": personas.PASSWORD})
    assert response.status_code == 302
    unlinked.refresh_from_db()
    assert unlinked.recipient == sam


def test_signed_in_invitee_accepts_with_a_button(invite, unlinked, login):
    sam = personas.make_user("sam@example.org", User.Role.FAMILY, None)
    client = login(sam)
    link = _path(invite())
    assert client.get(link).status_code == 200
    unlinked.refresh_from_db()
    assert unlinked.recipient is None  # a GET changes nothing
    response = client.post(link)
    assert response["Location"] == reverse("consent:what_you_can_see")
    unlinked.refresh_from_db()
    assert unlinked.recipient == sam


def test_account_with_another_email_is_not_linked(invite, unlinked, login, learner):
    response = login(learner).post(_path(invite()))
    assert "different email address" in response.content.decode()
    unlinked.refresh_from_db()
    assert unlinked.recipient is None


def test_invitation_is_single_use(invite, unlinked):
    sam = personas.make_user("sam@example.org", User.Role.FAMILY, None)
    link = _path(invite())
    Client().get(link)
    token = link.rstrip("/").rsplit("/", 1)[-1]
    accept_invitation(token=token, user=sam)
    with pytest.raises(InvitationUnusable):
        accept_invitation(token=token, user=sam)
    response = Client().get(link)
    assert [t.name for t in response.templates][0] == "consent/invitation_unusable.html"


def _neutral(response) -> tuple[int, list[str], str]:
    return response.status_code, [t.name for t in response.templates], strip_csrf(response.content)


def test_expired_and_wrong_tokens_get_the_same_neutral_page(invite, settings):
    link = _path(invite())
    with time_machine.travel(timezone.now() + timedelta(hours=settings.PORTAL_INVITATION_TTL_H, seconds=1)):
        expired = _neutral(Client().get(link))
        wrong = _neutral(Client().get("/consent/invitation/" + "x" * 43 + "/"))
    assert expired == wrong
    assert "can't be used" in expired[2]


def test_invitation_to_a_revoked_consent_gets_the_neutral_page(invite, unlinked):
    link = _path(invite())
    personas.revoke(unlinked)
    assert [t.name for t in Client().get(link).templates][0] == "consent/invitation_unusable.html"


def test_invitations_are_rate_limited_per_consent(login, unlinked, patient):
    client = login(patient)
    url = reverse("consent:invite", args=[unlinked.pk])
    for _ in range(5):
        client.post(url)
    response = client.post(url, follow=True)
    assert Invitation.objects.filter(consent=unlinked).count() == 5
    assert "wait an hour" in response.content.decode()
    with time_machine.travel(timezone.now() + timedelta(hours=1, seconds=1)):
        login(patient, client)
        client.post(url)
    assert Invitation.objects.filter(consent=unlinked).count() == 6


def test_the_invitation_limit_counts_what_was_sent(unlinked, patient):
    """The limit counts invitation rows, not requests: it holds for a call without a request, at given instants,
    and frees up an hour after each send."""
    at = timezone.now()
    for minute in range(INVITATIONS_PER_HOUR):
        send_invitation(consent=unlinked, actor=patient, at=at + timedelta(minutes=minute))
    with pytest.raises(ValidationError, match="wait an hour"):
        send_invitation(consent=unlinked, actor=patient, at=at + timedelta(minutes=30))
    send_invitation(consent=unlinked, actor=patient, at=at + timedelta(hours=1, seconds=1))
    assert Invitation.objects.filter(consent=unlinked).count() == INVITATIONS_PER_HOUR + 1


def test_signup_with_a_consented_email_but_no_link_is_never_linked(unlinked):
    client = Client()
    client.post(
        reverse("account_signup"),
        {"email": "sam@example.org", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    unlinked.refresh_from_db()
    assert unlinked.recipient is None
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.INVITATION_ACCEPTED).exists()


@pytest.mark.parametrize("persona", ["outsider", "learner", "unassigned_counselor", "family_member"])
def test_others_cannot_send_invitations(request, login, unlinked, persona):
    response = login(request.getfixturevalue(persona)).post(reverse("consent:invite", args=[unlinked.pk]))
    assert response.status_code == 404
    assert not Invitation.objects.exists()


def test_accepted_invitation_names_the_new_account_as_the_consent_did(unlinked, patient):
    invitation, token = send_invitation(consent=unlinked, actor=patient)
    sam = personas.make_user("sam@example.org", User.Role.FAMILY, None)
    User.objects.filter(pk=sam.pk).update(full_name="")  # signed up without giving a name
    sam.refresh_from_db()
    accept_invitation(token=token, user=sam)
    sam.refresh_from_db()
    assert sam.full_name == "Sam Rivera"


def _token(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[-1]


def test_second_outstanding_invitation_is_refused_once_the_consent_is_linked(invite, unlinked):
    """The linked-consent guard on its own: the second link was never used, yet it must not move the consent.

    Sam accepts the first link, then moves to another address; whoever holds sam@example.org next must not take
    over the consent with the second link still sitting in the old inbox."""
    first, second = _path(invite()), _path(invite())
    sam = personas.make_user("sam@example.org", User.Role.FAMILY, None)
    accept_invitation(token=_token(first), user=sam)
    User.objects.filter(pk=sam.pk).update(email="sam.new@example.org")
    EmailAddress.objects.filter(user=sam).update(email="sam.new@example.org")
    stranger = personas.make_user("sam@example.org", User.Role.FAMILY, None, full_name="Not Sam")

    assert [t.name for t in Client().get(second).templates][0] == "consent/invitation_unusable.html"
    with pytest.raises(InvitationUnusable):
        accept_invitation(token=_token(second), user=stranger)
    unlinked.refresh_from_db()
    assert unlinked.recipient == sam
    assert Invitation.objects.get(token_hash=hashlib.sha256(_token(second).encode()).hexdigest()).accepted_at is None
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.INVITATION_ACCEPTED).count() == 1


def test_used_invitation_is_refused_even_when_the_consent_is_no_longer_linked(invite, unlinked):
    """The single-use guard on its own: with the consent unlinked again (an administrator detached the account),
    the used link must not link anyone a second time."""
    link = _path(invite())
    sam = personas.make_user("sam@example.org", User.Role.FAMILY, None)
    accept_invitation(token=_token(link), user=sam)
    Consent.objects.filter(pk=unlinked.pk).update(recipient=None)

    assert [t.name for t in Client().get(link).templates][0] == "consent/invitation_unusable.html"
    with pytest.raises(InvitationUnusable):
        accept_invitation(token=_token(link), user=sam)
    unlinked.refresh_from_db()
    assert unlinked.recipient is None
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.INVITATION_ACCEPTED).count() == 1


def test_a_wrong_token_is_refused_while_a_live_invitation_exists(invite, unlinked):
    """Only the link's own token finds its invitation: another token never lands on someone else's live link."""
    invite()
    client = Client()
    response = client.get("/consent/invitation/" + "x" * 43 + "/")
    assert [t.name for t in response.templates][0] == "consent/invitation_unusable.html"
    assert SESSION_KEY not in client.session
    sam = personas.make_user("sam@example.org", User.Role.FAMILY, None)
    with pytest.raises(InvitationUnusable):
        accept_invitation(token="x" * 43, user=sam)
    unlinked.refresh_from_db()
    assert unlinked.recipient is None


def test_usable_invitation_answers_in_one_query(unlinked, patient, django_assert_num_queries):
    _, token = send_invitation(consent=unlinked, actor=patient)
    with django_assert_num_queries(1):
        invitation = usable_invitation(token)
        assert invitation is not None and invitation.consent.recipient_name == "Sam Rivera"


def test_usable_invitation_judges_the_link_and_the_consent_at_the_time_given(unlinked, patient):
    invitation, token = send_invitation(consent=unlinked, actor=patient)
    assert usable_invitation(token, at=invitation.expires_at - timedelta(seconds=1)) is not None
    assert usable_invitation(token, at=invitation.expires_at) is None
    short = grant_consent(
        patient=patient,
        recipient_name="Kim Rivera",
        recipient_email="kim@example.org",
        scopes=["schedule"],
        expires_at=timezone.now() + timedelta(hours=1),
        signature="Pat Rivera",
    )
    short_invitation, short_token = send_invitation(consent=short, actor=patient)
    later = timezone.now() + timedelta(hours=2)
    assert later < short_invitation.expires_at  # the link itself would still be good ...
    assert usable_invitation(short_token, at=later) is None  # ... but the consent behind it has ended


def _toasts(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_signing_in_through_the_link_links_says_so_and_forgets_the_vouched_email(invite, unlinked):
    sam = personas.make_user("sam@example.org", User.Role.FAMILY, None)
    client = Client()
    client.get(_path(invite()))
    assert client.session["account_verified_email"] == "sam@example.org"
    response = client.post(
        reverse("account_login"), {"login": "sam@example.org", "password": personas.PASSWORD}, follow=True
    )
    body = response.content.decode()
    assert "Welcome, " in body and "chose to share some information with you" in body  # greeted with who shared
    assert not client.session.get("account_verified_email")  # a later sign-up here gets no pre-verified address
    unlinked.refresh_from_db()
    assert unlinked.recipient == sam
    accepted = AuditEvent.objects.get(kind=AuditEvent.Kind.INVITATION_ACCEPTED)
    assert accepted.ip == "127.0.0.1"  # the sign-in request is the one audited


def test_signing_in_through_the_link_with_another_account_says_which(invite, unlinked, learner):
    client = Client()
    client.get(_path(invite()))
    response = client.post(
        reverse("account_login"), {"login": learner.email, "password": personas.PASSWORD}, follow=True
    )
    assert WRONG_ACCOUNT_MESSAGE in _toasts(response)
    unlinked.refresh_from_db()
    assert unlinked.recipient is None


def test_signing_in_through_a_link_that_stopped_working_says_so(invite, unlinked):
    sam = personas.make_user("sam@example.org", User.Role.FAMILY, None)
    client = Client()
    client.get(_path(invite()))
    personas.revoke(unlinked)
    response = client.post(reverse("account_login"), {"login": sam.email, "password": personas.PASSWORD}, follow=True)
    assert UNUSABLE_MESSAGE in _toasts(response)
    unlinked.refresh_from_db()
    assert unlinked.recipient is None


@pytest.mark.parametrize("outcome", ["linked", "wrong_account", "unusable"])
def test_linking_on_sign_in_works_without_message_storage(outcome, unlinked, patient, learner):
    """Sign-ins that do not pass the message middleware (Client.login, a future API sign-in) still link, and the
    missing message store is never an error."""
    _, token = send_invitation(consent=unlinked, actor=patient)
    sam = personas.make_user("sam@example.org", User.Role.FAMILY, None)
    if outcome == "unusable":
        personas.revoke(unlinked)
    request = RequestFactory().get("/")
    request.session = SessionStore()
    request.session[SESSION_KEY] = token
    link_pending_invitation(request, learner if outcome == "wrong_account" else sam)
    unlinked.refresh_from_db()
    assert unlinked.recipient == (sam if outcome == "linked" else None)
    assert SESSION_KEY not in request.session
