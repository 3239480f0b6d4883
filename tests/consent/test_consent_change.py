"""Changing what someone can see is one step: the patient signs a replacement, the old consent ends that instant,
the relative keeps one row and continuous access to what is still covered, and no invitation is sent. A typed
signature must be the signer's full name as recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from consent.forms import end_of_day
from consent.gate import can_disclose, require_disclosure, scopes_still_covered
from consent.models import Consent, ConsentEvent, ConsentFormVersion, Disclosure, Invitation, Scope
from consent.services import grant_consent, replace_consent
from tests.support import personas

pytestmark = pytest.mark.django_db


def _change(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "scopes": ["schedule", "education"],
        "purpose": Consent.Purpose.FAMILY_INVOLVEMENT,
        "expires_on": (timezone.localdate() + timedelta(days=60)).isoformat(),
        "end_at_discharge": "on",
    }
    data.update(overrides)
    return data


def _signed(**overrides: object) -> dict[str, object]:
    data = {
        **_change(),
        "step": "sign",
        "form_version": ConsentFormVersion.current().version,
        "signature": "Pat Rivera",
        "agree": "on",
    }
    data.update(overrides)
    return data


def test_narrowing_is_one_signed_step_with_one_row_and_no_invitation(reauth_login, patient, family_member, consent):
    client = reauth_login(patient)
    url = reverse("consent:change", args=[consent.pk])
    step_one = client.post(url, {**_change(), "step": "details"})
    assert [t.name for t in step_one.templates][0] == "consent/grant_sign.html"
    assert "Fran Rivera" in step_one.content.decode()
    mail.outbox.clear()

    response = client.post(url, _signed())

    new = Consent.objects.get(replaces=consent)
    assert response.status_code == 302
    assert response["Location"] == reverse("consent:consent_detail", args=[new.pk])
    consent.refresh_from_db()
    assert consent.replaced_by == new
    assert consent.revoked_at == new.signed_at  # the old one ends at the instant the new one is signed
    assert new.recipient == family_member  # still linked: no invitation needed
    assert sorted(new.scopes) == ["education", "schedule"]
    assert mail.outbox == []
    assert not Invitation.objects.filter(consent=new).exists()
    assert ConsentEvent.objects.filter(consent=consent, kind=ConsentEvent.Kind.REPLACED).exists()

    page = client.get(reverse("consent:my_sharing")).content.decode()
    active = page.split('id="active-h"')[1].split("</section>")[0]
    assert active.count('class="consent-name"') == 1  # one row for the relative
    past = page.split('id="ended-h"')[1]
    assert "replaced by a new consent" in past  # the history shows both


def test_access_to_what_is_still_covered_never_lapses(patient, family_member, consent):
    new = replace_consent(
        consent=consent,
        scopes=[Scope.SCHEDULE],
        expires_at=timezone.now() + timedelta(days=30),
        signature="Pat Rivera",
        signed_by=patient,
    )
    for at in (new.signed_at - timedelta(microseconds=1), new.signed_at, new.signed_at + timedelta(seconds=1)):
        assert can_disclose(family_member, patient, Scope.SCHEDULE, at)
    assert can_disclose(family_member, patient, Scope.MESSAGING, new.signed_at - timedelta(microseconds=1))
    assert not can_disclose(family_member, patient, Scope.MESSAGING, new.signed_at)
    assert not can_disclose(family_member, patient, Scope.EDUCATION)


def test_the_ledger_names_the_consent_relied_on_across_the_change(patient, family_member, consent):
    require_disclosure(family_member, patient, Scope.SCHEDULE, what="Family session dates")
    new = replace_consent(
        consent=consent,
        scopes=[Scope.SCHEDULE],
        expires_at=timezone.now() + timedelta(days=30),
        signature="Pat Rivera",
        signed_by=patient,
    )
    require_disclosure(family_member, patient, Scope.SCHEDULE, what="Family session dates")
    rows = list(Disclosure.objects.filter(patient=patient).order_by("at"))
    assert [row.consent_id for row in rows] == [consent.pk, new.pk]


def test_an_outstanding_invitation_moves_to_the_new_consent(patient):
    unlinked = personas.make_user("later@example.org", "family", None, full_name="Lee Later")
    old = personas.consent_for(patient, unlinked)
    Consent.objects.filter(pk=old.pk).update(recipient=None)
    old.refresh_from_db()
    from consent.invitations import send_invitation

    send_invitation(consent=old, actor=patient)
    new = replace_consent(
        consent=old,
        scopes=[Scope.EDUCATION],
        expires_at=timezone.now() + timedelta(days=30),
        signature="Pat Rivera",
        signed_by=patient,
    )
    assert Invitation.objects.filter(consent=new).count() == 1
    assert not Invitation.objects.filter(consent=old).exists()


def test_an_ended_consent_cannot_be_changed(reauth_login, patient, consent):
    Consent.objects.filter(pk=consent.pk).update(revoked_at=timezone.now())
    client = reauth_login(patient)
    response = client.post(reverse("consent:change", args=[consent.pk]), _signed())
    assert response.status_code == 302
    assert not Consent.objects.filter(replaces=consent).exists()


def test_a_change_that_changes_nothing_is_refused(reauth_login, patient, consent):
    last_day = timezone.localdate() + timedelta(days=60)
    expires_at = end_of_day(last_day, patient.program.tz)  # as the wizard records it
    Consent.objects.filter(pk=consent.pk).update(expires_at=expires_at, expiry_event="")
    client = reauth_login(patient)
    same = _signed(scopes=consent.scopes, expires_on=last_day.isoformat(), end_at_discharge="")
    response = client.post(reverse("consent:change", args=[consent.pk]), same)
    assert response.status_code == 200
    assert "Nothing is different yet" in response.content.decode()
    assert not Consent.objects.filter(replaces=consent).exists()


def test_someone_else_cannot_change_the_consent(reauth_login, family_member, other_patient, consent):
    for user in (family_member, other_patient):
        response = reauth_login(user).post(reverse("consent:change", args=[consent.pk]), _signed())
        assert response.status_code == 404
    assert not Consent.objects.filter(replaces=consent).exists()


@pytest.mark.parametrize("typed", ["Sam", "Pat", "Pat Riveras", "Someone Else"])
def test_a_signature_must_be_the_signers_full_name_as_recorded(reauth_login, patient, consent, typed):
    client = reauth_login(patient)
    response = client.post(reverse("consent:change", args=[consent.pk]), _signed(signature=typed))
    assert response.status_code == 200
    assert "exactly as it is on record: Pat Rivera" in response.content.decode()
    assert not Consent.objects.filter(replaces=consent).exists()
    grant = client.post(
        reverse("consent:grant"),
        {**_signed(signature=typed), "recipient_name": "Sam Rivera", "recipient_email": "sam@example.org"},
    )
    assert grant.status_code == 200
    assert not Consent.objects.filter(recipient_email="sam@example.org").exists()


@pytest.mark.parametrize("typed", ["pat rivera", "  Pat   Rivera ", "ＰＡＴ ＲＩＶＥＲＡ"])
def test_case_spacing_and_width_do_not_matter_in_a_signature(reauth_login, patient, consent, typed):
    client = reauth_login(patient)
    client.post(reverse("consent:change", args=[consent.pk]), _signed(signature=typed))
    assert Consent.objects.filter(replaces=consent).exists()


def test_revoking_one_of_two_consents_says_what_is_still_shared(reauth_login, patient, family_member, consent):
    second = personas.consent_for(patient, family_member, scopes=[Scope.SCHEDULE])
    client = reauth_login(patient)
    page = client.get(reverse("consent:revoke", args=[second.pk])).content.decode()
    assert "can no longer see any information" not in page
    assert "can still see, under another consent" in page
    alone = personas.make_user("solo@example.org", "family", None, full_name="Solo Member")
    only = personas.consent_for(patient, alone, scopes=[Scope.SCHEDULE])
    assert "can no longer see any information" in client.get(reverse("consent:revoke", args=[only.pk])).content.decode()


def test_what_is_still_covered_is_the_same_persons_other_consents_for_that_patient(
    patient, family_member, consent, other_patient
):
    second = personas.consent_for(patient, family_member, scopes=[Scope.SCHEDULE], days=10)
    personas.consent_for(other_patient, family_member, scopes=[Scope.ATTENDANCE])  # about someone else
    someone = personas.make_user("someone@example.org", "family", None)
    personas.consent_for(patient, someone, scopes=[Scope.PROGRESS_SUMMARY])  # to someone else
    assert scopes_still_covered(consent) == [Scope.SCHEDULE]
    assert scopes_still_covered(consent, second.expires_at) == []  # the second has expired by then
    assert scopes_still_covered(second) == [scope.value for scope in Scope]


def test_what_is_still_covered_for_someone_without_an_account_goes_by_their_email(patient):
    def unlinked(email: str, scope: str) -> Consent:
        return grant_consent(
            patient=patient,
            recipient_name="Aunt",
            recipient_email=email,
            scopes=[scope],
            expires_at=timezone.now() + timedelta(days=30),
            signature=patient.full_name,
        )

    first = unlinked("Aunt@Example.org", Scope.EDUCATION)
    unlinked("aunt@example.org", Scope.SCHEDULE)  # the same person, however the address is written
    unlinked("uncle@example.org", Scope.ATTENDANCE)
    account = personas.make_user("aunt@example.org", "family", None)
    personas.consent_for(patient, account, scopes=[Scope.MESSAGING])  # linked to an account: that account's
    assert scopes_still_covered(first) == [Scope.SCHEDULE]


def test_nothing_is_still_covered_for_a_court_recipient_whatever_other_court_consents_say(patient):
    def court(name: str) -> Consent:
        return grant_consent(
            patient=patient,
            recipient_kind=Consent.RecipientKind.COURT,
            recipient_name=name,
            recipient_organisation="County Court",
            referral_source="County Court",
            referral_proceeding="Case 1",
            scopes=[Scope.ATTENDANCE],
            purpose=Consent.Purpose.COURT_REPORTING,
            expires_at=timezone.now() + timedelta(days=30),
            signature=patient.full_name,
        )

    first = court("Judge Ruiz")
    court("Officer Kim")  # no account and no email: never "the same person" (§ 2.35 recipients)
    assert scopes_still_covered(first) == []


def test_a_consent_knows_every_consent_it_replaced(patient, consent):
    second = replace_consent(
        consent=consent,
        scopes=[Scope.SCHEDULE],
        expires_at=consent.expires_at,
        signature="Pat Rivera",
        signed_by=patient,
    )
    third = replace_consent(
        consent=second,
        scopes=[Scope.EDUCATION],
        expires_at=consent.expires_at,
        signature="Pat Rivera",
        signed_by=patient,
    )
    assert third.lineage_ids() == [third.pk, second.pk, consent.pk]  # sockets opened under any of them close
    assert consent.lineage_ids() == [consent.pk]
