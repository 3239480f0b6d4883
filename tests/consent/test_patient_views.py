"""Patient pages: My sharing, the consent wizard (AUTH-08 re-authentication), stopping sharing, history."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from consent.gate import can_disclose, require_disclosure
from consent.models import AuditEvent, Consent, ConsentEvent, ConsentFormVersion, Disclosure, Scope
from tests.consent.conftest import mark_reauthenticated
from tests.support import personas

pytestmark = pytest.mark.django_db


def _details(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "recipient_name": "Sam Rivera",
        "recipient_email": "sam@example.org",
        "recipient_relationship": "Brother",
        "scopes": ["schedule", "education"],
        "purpose": Consent.Purpose.FAMILY_INVOLVEMENT,
        "expires_on": (timezone.localdate() + timedelta(days=90)).isoformat(),
        "end_at_discharge": "on",
    }
    data.update(overrides)
    return data


def _sign(**overrides: object) -> dict[str, object]:
    data = {
        **_details(),
        "step": "sign",
        "form_version": ConsentFormVersion.current().version,
        "signature": "Pat Rivera",
        "agree": "on",
    }
    data.update(overrides)
    return data


# --- My sharing ---------------------------------------------------------------------------------------------


def test_patient_sees_consents_and_history_on_my_sharing(login, patient, consent, family_member):
    require_disclosure(family_member, patient, Scope.SCHEDULE, what="Family session dates")
    response = login(patient).get(reverse("consent:my_sharing"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Fran Rivera" in body
    assert "Family session dates" in body
    assert reverse("consent:revoke", args=[consent.pk]) in body


def test_my_sharing_shows_consents_expiring_within_14_days(login, patient, program):
    member = personas.make_user("soon@example.org", User.Role.FAMILY, None, full_name="Sunny Soon")
    personas.consent_for(patient, member, days=10)
    body = login(patient).get(reverse("consent:my_sharing")).content.decode()
    assert "Ending soon" in body
    assert "Sunny Soon" in body


@pytest.mark.parametrize(("persona", "target"), [("family_member", "what_you_can_see"), ("counselor", "patient_list")])
def test_my_sharing_sends_other_roles_to_their_page(request, login, persona, target):
    response = login(request.getfixturevalue(persona)).get(reverse("consent:my_sharing"))
    assert response.status_code == 302
    assert response["Location"] == reverse(f"consent:{target}")


def _add_consents(patient: User, count: int, prefix: str) -> None:
    for n in range(count):
        member = personas.make_user(f"{prefix}{n}@example.org", User.Role.FAMILY, None)
        consent = personas.consent_for(patient, member)
        require_disclosure(member, patient, Scope.SCHEDULE, what="Family session dates")
        if n % 3 == 0:
            personas.revoke(consent)


def test_my_sharing_query_count_is_constant(login, patient, django_assert_num_queries):
    client = login(patient)
    url = reverse("consent:my_sharing")
    _add_consents(patient, 1, "a")
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    _add_consents(patient, 19, "b")
    with django_assert_num_queries(len(one)):
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count("View consent") == 12  # 20 consents, 8 revoked


# --- Granting -----------------------------------------------------------------------------------------------


def test_grant_requires_recent_reauthentication(login, patient):
    client = login(patient)
    response = client.get(reverse("consent:grant"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))


def test_grant_redirects_when_reauthentication_is_older_than_timeout(login, patient, settings):
    client = login(patient)
    mark_reauthenticated(client, at=time.time() - settings.ACCOUNT_REAUTHENTICATION_TIMEOUT - 1)
    for response in (client.get(reverse("consent:grant")), client.post(reverse("consent:grant"), _sign())):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert not Consent.objects.filter(recipient_email="sam@example.org").exists()


def test_grant_after_reauthentication_via_allauth_succeeds(login, patient, django_capture_on_commit_callbacks):
    client = login(patient)
    response = client.post(reverse("consent:grant"), _sign())
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    with django_capture_on_commit_callbacks(execute=True):
        # allauth checks the password, then replays the suspended POST: nothing typed is lost.
        response = client.post(response["Location"], {"password": personas.PASSWORD})
    consent = Consent.objects.get(recipient_email="sam@example.org")
    assert response.status_code == 302
    assert response["Location"] == reverse("consent:consent_detail", args=[consent.pk])
    records = client.session["account_authentication_methods"]
    assert records[-1]["reauthenticated"] is True


def test_wizard_shows_full_form_text_before_signature(reauth_login, patient):
    client = reauth_login(patient)
    response = client.post(reverse("consent:grant"), {**_details(), "step": "details"})
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "consent/grant_sign.html"
    body = response.content.decode()
    assert "My right to revoke" in body  # the versioned form text
    assert 'name="signature"' in body
    assert not Consent.objects.filter(recipient_email="sam@example.org").exists()


def test_patient_signs_consent_and_invitation_is_sent(reauth_login, patient, django_capture_on_commit_callbacks):
    client = reauth_login(patient)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("consent:grant"), _sign())
    consent = Consent.objects.get(recipient_email="sam@example.org")
    assert response.status_code == 302
    assert consent.is_effective()
    assert consent.scopes == ["education", "schedule"]
    assert consent.expiry_event == "Discharge from the program"
    assert consent.signer_role == Consent.SignerRole.PATIENT
    assert consent.signed_by == patient
    assert consent.recipient is None  # linked only through the invitation
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.CONSENT_GRANTED, patient=patient).count() == 1
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.INVITATION_SENT).count() == 1
    assert mail.outbox[0].to == ["sam@example.org"]
    assert "Pat" not in mail.outbox[0].body


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"scopes": []}, "scopes"),
        ({"recipient_email": "not-an-email"}, "recipient_email"),
        ({"expires_on": "2001-01-01"}, "expires_on"),
        ({"expires_on": "2999-01-01"}, "expires_on"),
        ({"recipient_name": ""}, "recipient_name"),
    ],
)
def test_wizard_rejects_bad_details_with_clear_errors(reauth_login, patient, overrides, field):
    response = reauth_login(patient).post(reverse("consent:grant"), {**_details(**overrides), "step": "details"})
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Consent.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [({"signature": ""}, "signature"), ({"agree": ""}, "agree"), ({"form_version": "old"}, "form_version")],
)
def test_signature_step_rejects_missing_signature_or_agreement(reauth_login, patient, overrides, field):
    response = reauth_login(patient).post(reverse("consent:grant"), _sign(**overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Consent.objects.exists()


def test_minor_needs_guardian_signature(reauth_login, program):
    today = timezone.localdate()
    minor = personas.make_user(
        "teen@example.org",
        User.Role.PATIENT,
        program,
        full_name="Toby Teen",
        date_of_birth=today.replace(year=today.year - 15),
    )
    client = reauth_login(minor)
    response = client.post(reverse("consent:grant"), _sign(signature="Toby Teen"))
    assert "guardian_signature" in response.context["form"].errors
    client.post(reverse("consent:grant"), _sign(signature="Toby Teen", guardian_signature="Gale Guardian"))
    consent = Consent.objects.get(patient=minor)
    assert consent.signer_role == Consent.SignerRole.PATIENT_AND_GUARDIAN
    assert consent.guardian_signature == "Gale Guardian"


def test_family_member_cannot_open_wizard(reauth_login, family_member):
    assert reauth_login(family_member).get(reverse("consent:grant")).status_code == 404


# --- Stopping sharing ---------------------------------------------------------------------------------------


def test_revoke_requires_reauthentication(login, patient, consent):
    response = login(patient).post(reverse("consent:revoke", args=[consent.pk]), {"confirm": "STOP"})
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    consent.refresh_from_db()
    assert consent.revoked_at is None


def test_revoke_requires_typed_confirmation(reauth_login, patient, consent):
    response = reauth_login(patient).post(reverse("consent:revoke", args=[consent.pk]), {"confirm": "yes"})
    assert response.status_code == 200
    assert "confirm" in response.context["form"].errors
    consent.refresh_from_db()
    assert consent.revoked_at is None


def test_patient_revokes_and_access_ends_at_that_instant(reauth_login, patient, consent, family_member):
    response = reauth_login(patient).post(reverse("consent:revoke", args=[consent.pk]), {"confirm": "stop"})
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.revoked_at is not None
    assert consent.events.filter(kind=ConsentEvent.Kind.REVOKED, method=Consent.Method.PORTAL).exists()
    assert not can_disclose(family_member, patient, Scope.SCHEDULE)
    assert can_disclose(family_member, patient, Scope.SCHEDULE, at=consent.revoked_at - timedelta(microseconds=1))


def test_revocation_in_one_client_refuses_the_next_request_of_the_family_members_other_client(
    client, login, reauth_login, patient, consent, family_member
):
    from django.test import Client

    family_client = login(family_member, Client())
    detail = reverse("consent:what_you_can_see_detail", args=[consent.pk])
    assert family_client.get(detail).status_code == 200
    reauth_login(patient, client).post(reverse("consent:revoke", args=[consent.pk]), {"confirm": "STOP"})
    assert family_client.get(detail).status_code == 404
    assert family_client.get(reverse("consent:consent_print", args=[consent.pk])).status_code == 404


@pytest.mark.parametrize("persona", ["family_member", "outsider", "counselor", "learner"])
def test_only_the_patient_can_revoke_in_the_portal(request, reauth_login, consent, persona):
    client = reauth_login(request.getfixturevalue(persona))
    assert client.post(reverse("consent:revoke", args=[consent.pk]), {"confirm": "STOP"}).status_code == 404
    consent.refresh_from_db()
    assert consent.revoked_at is None


# --- History, detail, print ---------------------------------------------------------------------------------


def test_history_lists_three_years_of_disclosures(login, patient, consent, family_member):
    require_disclosure(family_member, patient, Scope.SCHEDULE, what="Recent look")
    old = _disclosure(patient, consent, family_member, "Ancient look", timezone.now() - timedelta(days=3 * 366))
    body = login(patient).get(reverse("consent:history")).content.decode()
    assert "Recent look" in body
    assert old.what not in body


def test_consent_detail_and_print_show_every_element(login, patient, consent):
    client = login(patient)
    for name in ("consent_detail", "consent_print"):
        body = client.get(reverse(f"consent:{name}", args=[consent.pk])).content.decode()
        for text in ("Pat Rivera", "Riverside Program LLC", "Fran Rivera", "family sessions"):
            assert text in body
        assert "Right to stop sharing" in body or "My right to revoke" in body


def test_representative_manages_sharing_for_the_patient(reauth_login, patient, counselor, consent):
    from consent.models import PersonalRepresentative
    from consent.services import record_personal_representative

    rep = personas.make_user("poa@example.org", User.Role.FAMILY, None, full_name="Paula Poa")
    record_personal_representative(
        staff=counselor,
        patient=patient,
        representative=rep,
        authority=PersonalRepresentative.Authority.HEALTH_CARE_POA,
        document_reference="POA 2026-3",
    )
    client = reauth_login(rep)
    assert client.get(reverse("consent:my_sharing_for", args=[patient.pk])).status_code == 200
    client.post(reverse("consent:grant_for", args=[patient.pk]), _sign(signature="Paula Poa"))
    consent = Consent.objects.get(recipient_email="sam@example.org")
    assert consent.signer_role == Consent.SignerRole.PERSONAL_REPRESENTATIVE
    assert consent.signed_by == rep


def test_refused_object_url_is_audited_the_same_for_real_and_made_up_ids(login, outsider, consent):
    import uuid

    client = login(outsider)
    real = client.get(reverse("consent:consent_detail", args=[consent.pk]))
    made_up = client.get(reverse("consent:consent_detail", args=[uuid.uuid4()]))
    assert real.status_code == made_up.status_code == 404
    refusals = AuditEvent.objects.filter(kind=AuditEvent.Kind.DISCLOSURE_REFUSED, actor=outsider)
    assert refusals.count() == 2
    assert {event.data["view"] for event in refusals} == {"consent:consent_detail"}
    assert all(event.patient_id is None for event in refusals)


def test_history_shows_repeat_views_on_one_day_as_one_line(login, patient, consent, family_member):
    noon = timezone.now().astimezone(patient.tz).replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=1)
    for minutes in (0, 14, 40):
        _disclosure(patient, consent, family_member, "Family session dates", noon + timedelta(minutes=minutes))
    _disclosure(patient, consent, family_member, "Family session dates", noon - timedelta(days=1))
    _disclosure(patient, consent, family_member, "Education progress", noon + timedelta(minutes=5))

    body = login(patient).get(reverse("consent:history")).content.decode()
    rows = body.split("<tbody>", 1)[1].split("</tbody>", 1)[0].count("<tr>")
    assert rows == 3  # the three same-day views, the day before, the other description
    assert "12:00 PM–12:40 PM" in body and "(3 times)" in body
    assert body.count("(3 times)") == 1


def test_history_query_count_does_not_grow_with_disclosures(login, patient, consent, family_member):
    client = login(patient)
    url = reverse("consent:history")
    at = timezone.now() - timedelta(days=2)
    _disclosure(patient, consent, family_member, "First", at)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for day in range(1, 30):
        _disclosure(patient, consent, family_member, f"View {day}", at - timedelta(days=day))
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many.captured_queries) == len(one.captured_queries)


def _disclosure(patient, consent, member, what: str, at) -> Disclosure:
    return Disclosure.objects.create(
        recipient=member,
        recipient_name="Fran Rivera",
        patient=patient,
        consent=consent,
        form_version="2026-1",
        scope="schedule",
        channel="web",
        what=what,
        at=at,
    )


def test_history_shows_one_time_when_repeats_fall_in_the_same_minute(login, patient, consent, family_member):
    at = timezone.now().astimezone(patient.tz).replace(hour=9, minute=5, second=1) - timedelta(days=1)
    _disclosure(patient, consent, family_member, "Secure messages", at)
    _disclosure(patient, consent, family_member, "Secure messages", at + timedelta(seconds=20))
    body = login(patient).get(reverse("consent:history")).content.decode()
    assert "9:05 AM <span" in body and "9:05 AM–9:05 AM" not in body
    assert "(2 times)" in body
