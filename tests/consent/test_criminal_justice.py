"""Consents to a court, a probation or parole officer, or a drug court (42 CFR § 2.35): the required elements,
attendance only, "revocable only after" a date or a recorded event (§ 2.35(c)) told plainly before signing and
enforced on revocation, no portal access for anyone, and the § 2.35(d) use restriction on the consent copy."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from consent.court_forms import CriminalJusticeDetailsForm
from consent.gate import can_disclose, recipients, release_consents, visibility, visible_patient_ids
from consent.models import AuditEvent, Consent, ConsentEvent, ConsentFormVersion, Scope
from consent.services import grant_consent, record_revocable_event, replace_consent, revoke_consent
from tests.consent.conftest import mark_reauthenticated
from tests.support import personas

pytestmark = pytest.mark.django_db

SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es"}
RESTRICTION_EN = "only to carry out official duties with regard to the patient"


def _reads_spanish(user: User) -> None:
    user.preferred_language = "es"
    user.save(update_fields=["preferred_language"])


def _today(patient: User) -> Any:
    assert patient.program is not None
    return timezone.localdate(timezone=patient.program.tz)


def _details(patient: User, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "recipient_kind": Consent.RecipientKind.PROBATION,
        "recipient_name": "Dana Lee",
        "recipient_organisation": "County Probation",
        "referral_source": "Judge Ana Ruiz, County Court",
        "referral_proceeding": "Case 2026-CR-0142",
        "expires_on": (_today(patient) + timedelta(days=300)).isoformat(),
        "revocation": "after_date",
        "revocable_on": (_today(patient) + timedelta(days=120)).isoformat(),
        "revocable_event": "",
    }
    data.update(overrides)
    return data


def court_consent(patient: User, *, after: datetime | None = None, event: str = "", **extra: Any) -> Consent:
    fields: dict[str, Any] = {
        "recipient_kind": Consent.RecipientKind.COURT,
        "recipient_name": "Judge Ana Ruiz",
        "recipient_organisation": "County Drug Court",
        "referral_source": "County Drug Court",
        "referral_proceeding": "Case 2026-CR-0142",
        "scopes": [Scope.ATTENDANCE],
        "purpose": Consent.Purpose.COURT_REPORTING,
        "expires_at": timezone.now() + timedelta(days=300),
        "signature": patient.full_name,
        "revocable_after": after,
        "revocable_after_event": event,
        **extra,
    }
    return grant_consent(patient=patient, **fields)


# --- creating one ----------------------------------------------------------------------------------------------


def test_the_form_requires_every_section_2_35_element(patient):
    tz = patient.program.tz
    assert CriminalJusticeDetailsForm(_details(patient), tz=tz).is_valid()
    for missing in ("recipient_kind", "recipient_name", "recipient_organisation", "referral_source"):
        form = CriminalJusticeDetailsForm(_details(patient, **{missing: ""}), tz=tz)
        assert not form.is_valid() and missing in form.errors, missing
    form = CriminalJusticeDetailsForm(_details(patient, referral_proceeding="", expires_on=""), tz=tz)
    assert {"referral_proceeding", "expires_on"} <= set(form.errors)
    assert "revocable_on" in CriminalJusticeDetailsForm(_details(patient, revocable_on=""), tz=tz).errors
    late = (_today(patient) + timedelta(days=301)).isoformat()
    assert "revocable_on" in CriminalJusticeDetailsForm(_details(patient, revocable_on=late), tz=tz).errors
    event = _details(patient, revocation="after_event", revocable_event=" ")
    assert "revocable_event" in CriminalJusticeDetailsForm(event, tz=tz).errors
    kind = CriminalJusticeDetailsForm(_details(patient, recipient_kind=Consent.RecipientKind.FAMILY), tz=tz)
    assert "recipient_kind" in kind.errors  # a family consent goes through the family wizard


def test_the_form_grants_attendance_only_with_no_email_and_one_revocation_term(patient):
    tz = patient.program.tz
    form = CriminalJusticeDetailsForm(_details(patient, scopes=["messaging"], recipient_email="x@example.org"), tz=tz)
    assert form.is_valid()
    kwargs = form.grant_kwargs()
    assert kwargs["scopes"] == [Scope.ATTENDANCE]
    assert "recipient_email" not in kwargs
    assert kwargs["revocable_after"] == datetime.combine(_today(patient) + timedelta(days=120), time.min, tzinfo=tz)
    assert kwargs["revocable_after_event"] == ""
    form = CriminalJusticeDetailsForm(
        _details(patient, revocation="after_event", revocable_event="End of  my probation"), tz=tz
    )
    assert form.is_valid()
    assert (form.grant_kwargs()["revocable_after"], form.grant_kwargs()["revocable_after_event"]) == (
        None,
        "End of my probation",
    )


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"scopes": [Scope.ATTENDANCE, Scope.PROGRESS_SUMMARY]}, "scope_education"),
        ({"scopes": [Scope.MESSAGING]}, "scope_education"),
        ({"recipient_email": "dana@example.org"}, "recipient"),
        ({"referral_source": " "}, "referral_source"),
        ({"referral_proceeding": ""}, "referral_proceeding"),
        ({"recipient_organisation": ""}, "recipient_organisation"),
        ({"revocable_after_event": "End of the case"}, "revocable_after"),
    ],
)
def test_a_deficient_court_consent_is_refused_by_the_service(patient, extra, field):
    after = timezone.now() + timedelta(days=30)
    with pytest.raises(ValidationError) as refused:
        court_consent(patient, after=after, **extra)
    assert field in refused.value.message_dict
    assert not Consent.objects.exists()


def test_only_a_court_consent_may_limit_revocation(patient, family_member):
    other = personas.make_user("gus@example.org", User.Role.FAMILY, None, full_name="Gus Rivera")
    with pytest.raises(ValidationError) as refused:
        personas.consent_for(patient, other, revocable_after=timezone.now() + timedelta(days=5))
    assert "revocable_after" in refused.value.message_dict


def test_a_court_consent_cannot_name_a_portal_account_even_bypassing_validation(patient, family_member):
    consent = court_consent(patient)
    consent.recipient = family_member
    with pytest.raises(Exception, match="criminal_justice_consent_names_no_account"):
        consent.save(update_fields=["recipient"])


def test_the_wizard_signs_a_court_consent_without_any_invitation(login, patient):
    client = login(patient)
    mark_reauthenticated(client)
    url = reverse("consent:grant_court")
    assert "Share attendance with a court" in client.get(url).content.decode()
    sign = {
        **_details(patient),
        "step": "sign",
        "form_version": ConsentFormVersion.current().version,
        "signature": "Pat Rivera",
        "agree": "on",
    }
    response = client.post(url, sign)
    consent = Consent.objects.get()
    assert response.status_code == 302
    assert (consent.recipient_kind, consent.recipient_id, consent.recipient_email) == ("probation", None, "")
    assert consent.scopes == [Scope.ATTENDANCE]
    assert consent.referral_source == "Judge Ana Ruiz, County Court"
    assert consent.referral_proceeding == "Case 2026-CR-0142"
    assert consent.revocable_after is not None
    assert not consent.invitations.exists()
    assert not mail.outbox


# --- told before signing -----------------------------------------------------------------------------------------


def test_the_sign_page_says_plainly_that_it_cannot_be_stopped_before_the_date(login, patient):
    client = login(patient)
    mark_reauthenticated(client)
    page = client.post(reverse("consent:grant_court"), _details(patient)).content.decode()
    assert "data-revocation-notice" in page
    assert "Before you sign:" in page
    assert "You cannot stop this consent before" in page
    assert RESTRICTION_EN in page
    assert not Consent.objects.exists()


def test_the_sign_page_names_the_event_in_spanish(login, patient):
    _reads_spanish(patient)
    client = login(patient)
    mark_reauthenticated(client)
    details = _details(patient, revocation="after_event", revocable_event="El fin de mi libertad condicional")
    page = client.post(reverse("consent:grant_court"), details, **SPANISH).content.decode()
    assert "Antes de firmar:" in page
    assert "No puede anular este consentimiento hasta que haya ocurrido esto: El fin de mi libertad condicional" in page
    assert "funciones oficiales" in page  # the § 2.35(d) restriction, translated
    assert "You cannot stop" not in page


def test_a_consent_revocable_at_any_time_says_so_without_a_warning(login, patient):
    client = login(patient)
    mark_reauthenticated(client)
    page = client.post(reverse("consent:grant_court"), _details(patient, revocation="any_time")).content.decode()
    assert "You can stop this consent at any time, in writing." in page
    assert "Before you sign:" not in page


# --- revocation ----------------------------------------------------------------------------------------------------


def _untouched(consent: Consent) -> None:
    consent.refresh_from_db()
    assert consent.revoked_at is None
    assert list(consent.events.values_list("kind", flat=True)) == [ConsentEvent.Kind.GRANTED]


def test_early_revocation_is_refused_by_the_service_and_nothing_changes(patient):
    consent = court_consent(patient, after=timezone.now() + timedelta(days=30))
    with pytest.raises(ValidationError) as refused:
        revoke_consent(consent=consent, actor=patient)
    assert "cannot be stopped yet" in refused.value.messages[0]
    _untouched(consent)
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.CONSENT_REVOKED).exists()


def test_early_revocation_in_the_portal_shows_the_reason_and_writes_nothing_but_an_audit_row(login, patient):
    consent = court_consent(patient, event="The end of my probation")
    client = login(patient)
    mark_reauthenticated(client)
    url = reverse("consent:revoke", args=[consent.pk])
    assert "until this has happened: The end of my probation" in client.get(url).content.decode()
    response = client.post(url, {"confirm": "STOP"})
    assert response.status_code == 200
    assert "This consent cannot be stopped yet" in response.content.decode()
    _untouched(consent)
    refused = AuditEvent.objects.filter(kind=AuditEvent.Kind.OTHER, data__event="revocation_refused")
    assert refused.count() == 1
    _reads_spanish(patient)
    spanish = login(patient).post(url, {"confirm": "STOP"}, **SPANISH).content.decode()
    assert "Este consentimiento todavía no se puede anular" in spanish


def test_a_written_revocation_staff_record_early_is_refused_too(login, patient, counselor):
    consent = court_consent(patient, after=timezone.now() + timedelta(days=30))
    url = reverse("consent:record_revocation", args=[consent.pk])
    response = login(counselor).post(url, {"document_reference": "Letter 7", "attested": "on"})
    assert response.status_code == 200
    assert "cannot be stopped yet" in response.content.decode()
    _untouched(consent)


def test_changing_a_court_consent_is_refused_so_it_cannot_end_early(patient):
    consent = court_consent(patient, after=timezone.now() + timedelta(days=30))
    with pytest.raises(ValidationError):
        replace_consent(
            consent=consent,
            scopes=[Scope.ATTENDANCE],
            expires_at=consent.expires_at - timedelta(days=1),
            signature=patient.full_name,
            signed_by=patient,
        )
    _untouched(consent)


def test_revocation_works_from_the_stated_date(patient):
    after = timezone.now() + timedelta(days=30)
    consent = court_consent(patient, after=after)
    with time_machine.travel(after - timedelta(seconds=1)), pytest.raises(ValidationError):
        revoke_consent(consent=consent, actor=patient)
    with time_machine.travel(after):
        revoke_consent(consent=consent, actor=patient)
    consent.refresh_from_db()
    assert consent.revoked_at is not None


def test_revocation_works_once_staff_record_the_event(login, patient, counselor):
    consent = court_consent(patient, event="The end of my probation")
    response = login(counselor).post(reverse("consent:revocable_event", args=[consent.pk]), {"note": "Case closed"})
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.revocable_event_at is not None
    assert consent.is_effective()  # recording the event does not end the consent
    assert consent.events.filter(kind=ConsentEvent.Kind.REVOCABLE, note="Case closed").exists()
    client = login(patient)
    mark_reauthenticated(client)
    assert client.post(reverse("consent:revoke", args=[consent.pk]), {"confirm": "STOP"}).status_code == 302
    consent.refresh_from_db()
    assert consent.revoked_at is not None


def test_the_patient_is_told_once_and_neutrally_when_the_event_is_recorded(patient, counselor):
    from notifications.models import OutboxMessage

    consent = court_consent(patient, event="The end of my probation")
    record_revocable_event(consent=consent, actor=counselor, note="Case closed")
    record_revocable_event(consent=consent, actor=counselor, note="Case closed")  # recorded already: no new notice
    [notice] = OutboxMessage.objects.filter(recipient=patient, template_key="sharing_changed")
    assert notice.context["url"].endswith(reverse("consent:consent_detail", args=[consent.pk]))
    told = json.dumps(notice.context)
    for detail in ("Ruiz", "Court", "probation", "2026-CR"):
        assert detail not in told


def test_the_event_can_only_be_recorded_for_a_consent_that_names_one(patient, counselor):
    consent = court_consent(patient, after=timezone.now() + timedelta(days=30))
    with pytest.raises(ValidationError):
        record_revocable_event(consent=consent, actor=counselor, note="Closed")
    consent.refresh_from_db()
    assert consent.revocable_event_at is None


def test_a_court_consent_without_limits_is_revocable_at_once(patient):
    consent = court_consent(patient)
    revoke_consent(consent=consent, actor=patient)
    assert Consent.objects.get(pk=consent.pk).revoked_at is not None


# --- no portal access -------------------------------------------------------------------------------------------


def test_a_court_consent_grants_no_portal_access_to_anyone(patient, counselor, family_member, outsider):
    people = [family_member, outsider, counselor]
    before = {person.pk: (visibility(person), visible_patient_ids(person, Scope.ATTENDANCE)) for person in people}
    everyone_before = recipients(patient, Scope.ATTENDANCE)
    consent = court_consent(patient)
    for person in people:
        assert (visibility(person), visible_patient_ids(person, Scope.ATTENDANCE)) == before[person.pk]
    assert recipients(patient, Scope.ATTENDANCE) == everyone_before
    assert not can_disclose(outsider, patient, Scope.ATTENDANCE)
    assert list(release_consents(patient, Scope.ATTENDANCE).filter(recipient_kind="court")) == [consent]


def test_a_second_court_consent_is_not_read_as_the_same_person(login, patient):
    consent = court_consent(patient)
    court_consent(patient, recipient_name="Officer Kim", recipient_kind=Consent.RecipientKind.PROBATION)
    client = login(patient)
    mark_reauthenticated(client)
    page = client.get(reverse("consent:revoke", args=[consent.pk])).content.decode()
    assert "under another consent" not in page


# --- the copy ---------------------------------------------------------------------------------------------------


def test_the_print_copy_states_the_referral_revocation_terms_and_use_restriction(login, patient, counselor):
    consent = court_consent(patient, event="The end of my probation")
    for viewer in (patient, counselor):
        page = login(viewer).get(reverse("consent:consent_print", args=[consent.pk])).content.decode()
        assert "data-use-restriction" in page
        assert RESTRICTION_EN in page
        assert "Referred by County Drug Court, in: Case 2026-CR-0142" in page
        assert "until this has happened: The end of my probation" in page
        assert "Your attendance at the program" in page
    assert str(consent.use_restriction).endswith("(42 CFR § 2.35(d)).")


def test_a_family_consent_copy_has_no_use_restriction(login, patient, consent):
    page = login(patient).get(reverse("consent:consent_print", args=[consent.pk])).content.decode()
    assert "data-use-restriction" not in page
    assert consent.use_restriction == ""


def test_my_sharing_offers_the_court_wizard_and_no_change_or_invitation_for_a_court_consent(login, patient):
    consent = court_consent(patient)
    client = login(patient)
    page = client.get(reverse("consent:my_sharing")).content.decode()
    assert reverse("consent:grant_court") in page
    assert reverse("consent:change", args=[consent.pk]) not in page
    assert reverse("consent:invite", args=[consent.pk]) not in page
    assert reverse("consent:revoke", args=[consent.pk]) in page
    mark_reauthenticated(client)
    response = client.get(reverse("consent:change", args=[consent.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("consent:consent_detail", args=[consent.pk])


def test_the_court_wizard_reads_in_spanish(login, patient):
    _reads_spanish(patient)
    client = login(patient)
    mark_reauthenticated(client)
    page = client.get(reverse("consent:grant_court"), **SPANISH).content.decode()
    for words in ("Compartir la asistencia con un tribunal", "Quién le remitió al tratamiento", "En cualquier momento"):
        assert words in page
    assert "Who referred you" not in page
