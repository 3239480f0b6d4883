"""The gate: who passes, the ledger row per disclosure, refusals audited, break-glass, representatives."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import User
from consent.gate import (
    DisclosureRefused,
    acts_as_patient,
    can_disclose,
    care_team_patients,
    consents_relied_on,
    effective_consent,
    effective_consents_for,
    managed_consents,
    patients_acted_for,
    recipients,
    release_consents,
    represented_by,
    require_disclosure,
    visible_patients,
)
from consent.models import AuditEvent, Consent, Disclosure, PersonalRepresentative, Scope
from consent.services import (
    end_personal_representative,
    grant_consent,
    record_personal_representative,
    start_break_glass,
)
from tests.support import personas

pytestmark = pytest.mark.django_db


def test_family_member_disclosure_writes_one_ledger_row(patient, family_member, consent):
    relied_on = require_disclosure(family_member, patient, Scope.SCHEDULE, what="Family session dates")
    assert relied_on == consent
    row = Disclosure.objects.get()
    assert (row.recipient, row.patient, row.consent, row.scope) == (family_member, patient, consent, "schedule")
    assert row.form_version == consent.form_version.version


def test_the_consent_relied_on_comes_with_its_form_version(patient, family_member, consent, django_assert_num_queries):
    """The ledger row names the consent's form version: reading it costs no query beyond the gate's own."""
    version = consent.form_version.version
    with django_assert_num_queries(1):
        relied_on = effective_consent(family_member, patient, Scope.SCHEDULE)
        assert relied_on is not None
        assert relied_on.form_version.version == version


def test_patient_and_care_team_reads_write_no_ledger_row(patient, counselor):
    assert require_disclosure(patient, patient, Scope.SCHEDULE, what="x") is None
    assert require_disclosure(counselor, patient, Scope.SCHEDULE, what="x") is None
    assert not Disclosure.objects.exists()


@pytest.mark.parametrize("persona", ["revoked_member", "outsider", "learner", "unassigned_counselor"])
def test_refusal_is_a_404_and_audited(request, patient, persona):
    viewer = request.getfixturevalue(persona)
    with pytest.raises(DisclosureRefused):
        require_disclosure(viewer, patient, Scope.SCHEDULE, what="x")
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.DISCLOSURE_REFUSED, actor=viewer).count() == 1


def test_scope_outside_consent_is_refused(patient, program):
    member = personas.make_user("sib@example.org", User.Role.FAMILY, None)
    personas.consent_for(patient, member, scopes=["education"])
    assert can_disclose(member, patient, Scope.EDUCATION)
    assert not can_disclose(member, patient, Scope.MESSAGING)


def test_deactivated_family_member_is_refused(patient, family_member):
    family_member.is_active = False
    family_member.save()
    assert not can_disclose(family_member, patient, Scope.SCHEDULE)


def test_family_member_is_not_care_team(patient, family_member):
    assert list(visible_patients(family_member, Scope.SCHEDULE)) == [patient]
    assert not care_team_patients(family_member).exists()
    assert not managed_consents(family_member).exists()


def test_break_glass_requires_reason(patient, unassigned_counselor):
    with pytest.raises(ValidationError) as excinfo:
        start_break_glass(counselor=unassigned_counselor, patient=patient, reason="  ")
    assert "reason" in excinfo.value.message_dict
    assert not can_disclose(unassigned_counselor, patient, Scope.SCHEDULE)


def test_break_glass_is_audited_mails_admins_and_expires(
    patient, unassigned_counselor, program_admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        access = start_break_glass(
            counselor=unassigned_counselor, patient=patient, reason="Patient called in crisis, counselor away"
        )
    assert can_disclose(unassigned_counselor, patient, Scope.MESSAGING)
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.BREAK_GLASS)
    assert (event.actor_id, event.patient_id) == (unassigned_counselor.pk, patient.pk)
    assert "crisis" not in str(event.data)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [program_admin.email]
    assert patient.full_name not in f"{message.subject} {message.body}"
    assert "Pat" not in message.body
    assert f"#{event.seq}" in message.body
    with time_machine.travel(access.expires_at + timedelta(seconds=1)):
        assert not can_disclose(unassigned_counselor, patient, Scope.MESSAGING)
        assert not care_team_patients(unassigned_counselor).exists()


def test_break_glass_refuses_patient_of_another_program(unassigned_counselor):
    elsewhere = personas.make_program("Elsewhere")
    stranger = personas.make_user("s@example.org", User.Role.PATIENT, elsewhere)
    with pytest.raises(ValidationError):
        start_break_glass(counselor=unassigned_counselor, patient=stranger, reason="Emergency on the phone line")


def test_representative_acts_as_patient_until_ended(patient, counselor):
    rep = personas.make_user("guardian@example.org", User.Role.FAMILY, None)
    record = record_personal_representative(
        staff=counselor,
        patient=patient,
        representative=rep,
        authority=PersonalRepresentative.Authority.GUARDIAN,
        document_reference="Court order 12",
    )
    assert acts_as_patient(rep, patient)
    assert managed_consents(rep).count() == managed_consents(patient).count()
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.REPRESENTATIVE_RECORDED).count() == 1
    end_personal_representative(staff=counselor, record=record)
    assert not acts_as_patient(rep, patient)


def test_parent_is_not_representative_where_minor_consents_alone(program, counselor):
    program.minor_self_consent_age = 12
    program.save()
    today = timezone.localdate()
    minor = personas.make_user(
        "teen@example.org", User.Role.PATIENT, program, date_of_birth=today.replace(year=today.year - 15)
    )
    parent = personas.make_user("parent@example.org", User.Role.FAMILY, None)
    with pytest.raises(ValidationError) as excinfo:
        record_personal_representative(
            staff=counselor,
            patient=minor,
            representative=parent,
            authority=PersonalRepresentative.Authority.GUARDIAN_OF_MINOR,
            document_reference="Birth certificate",
        )
    assert "authority" in excinfo.value.message_dict


def _guardian(counselor: User, patient: User, email: str = "guardian@example.org") -> PersonalRepresentative:
    representative = personas.make_user(email, User.Role.FAMILY, None)
    return record_personal_representative(
        staff=counselor,
        patient=patient,
        representative=representative,
        authority=PersonalRepresentative.Authority.GUARDIAN,
        document_reference="Court order 3",
    )


# --- refusals ------------------------------------------------------------------------------------------------------


def test_a_refusal_is_audited_with_the_patient_scope_channel_and_client(rf, patient, learner):
    request = rf.get("/", REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="Calendar client")
    with pytest.raises(DisclosureRefused) as refused:
        require_disclosure(
            learner, patient, Scope.ATTENDANCE, channel=Disclosure.Channel.CALENDAR, what="x", request=request
        )
    assert str(refused.value) == "Not found"  # says nothing about consents: a refusal looks like a missing page
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.DISCLOSURE_REFUSED)
    assert (event.actor_id, event.patient_id) == (learner.pk, patient.pk)
    assert event.data == {"scope": "attendance", "channel": "calendar"}
    assert (event.ip, event.user_agent) == ("203.0.113.9", "Calendar client")


def test_a_deactivated_viewers_refusal_is_audited_without_an_actor(patient, family_member):
    """AZ-08: an inactive account acts as nobody, in the audit row too."""
    family_member.is_active = False
    family_member.save()
    with pytest.raises(DisclosureRefused):
        require_disclosure(family_member, patient, Scope.SCHEDULE, what="x")
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.DISCLOSURE_REFUSED)
    assert (event.actor_id, event.patient_id) == (None, patient.pk)


def test_something_that_is_not_a_signed_in_user_passes_nothing(patient, family_member):
    """Fail closed: an object without ``is_authenticated`` is nobody, whatever else it claims."""
    impostor = SimpleNamespace(pk=family_member.pk, role=User.Role.FAMILY, is_active=True, is_family=True)
    assert not can_disclose(impostor, patient, Scope.SCHEDULE)
    assert effective_consent(impostor, patient, Scope.SCHEDULE) is None
    assert not visible_patients(impostor, Scope.SCHEDULE).exists()
    assert not effective_consents_for(impostor).exists()


def test_questions_without_an_answer_ask_the_database_nothing(
    patient, family_member, counselor, django_assert_num_queries
):
    """An inactive viewer, a missing patient, a consent asked of staff: refused before any query."""
    family_member.is_active = False
    with django_assert_num_queries(0):
        assert not can_disclose(family_member, patient, Scope.SCHEDULE)
        assert not can_disclose(counselor, None, Scope.SCHEDULE)
        assert effective_consent(family_member, patient, Scope.SCHEDULE) is None
        assert effective_consent(counselor, patient, Scope.SCHEDULE) is None


def test_a_patient_may_be_named_by_id(patient, family_member, counselor):
    assert can_disclose(family_member, patient.pk, Scope.SCHEDULE)
    assert family_member.pk in recipients(patient.pk, Scope.SCHEDULE)


# --- the instant asked about ---------------------------------------------------------------------------------------


def test_require_disclosure_answers_for_the_instant_asked_about(patient, family_member, counselor, consent):
    tomorrow = timezone.now() + timedelta(days=1)
    assert require_disclosure(family_member, patient, Scope.SCHEDULE, what="x", at=tomorrow) == consent
    assert Disclosure.objects.get().at == tomorrow
    after_expiry = consent.expires_at + timedelta(seconds=1)
    with pytest.raises(DisclosureRefused):
        require_disclosure(family_member, patient, Scope.SCHEDULE, what="x", at=after_expiry)
    before_assignment = timezone.now() - timedelta(days=1)
    with pytest.raises(DisclosureRefused):
        require_disclosure(counselor, patient, Scope.SCHEDULE, what="x", at=before_assignment)
    assert require_disclosure(counselor, patient, Scope.SCHEDULE, what="x") is None


def test_recipients_among_some_people(patient, family_member, counselor):
    assert recipients(patient, Scope.SCHEDULE) >= {family_member.pk, counselor.pk, patient.pk}
    assert recipients(patient, Scope.SCHEDULE, among=[family_member.pk]) == {family_member.pk}


# --- the lists a viewer's pages start from --------------------------------------------------------------------------


def test_care_team_patients_are_the_counselors_caseload_at_that_instant(patient, counselor, family_member):
    assert list(care_team_patients(counselor)) == [patient]
    assert not care_team_patients(counselor, timezone.now() - timedelta(days=1)).exists()


def test_managed_consents_are_those_of_the_patients_acted_for_or_cared_for(
    patient, counselor, family_member, consent, other_patient, outsider
):
    assert set(managed_consents(patient)) == {consent}  # the giver
    assert set(managed_consents(counselor)) == {consent}  # the care team (the other patient is not on the caseload)
    assert not managed_consents(counselor, timezone.now() - timedelta(days=1)).exists()
    record = _guardian(counselor, patient)
    assert set(managed_consents(record.representative)) == {consent}
    assert not managed_consents(record.representative, record.verified_at - timedelta(seconds=1)).exists()
    patient.is_active = False
    assert not managed_consents(patient).exists()


def test_patients_acted_for_and_the_authorities_behind_them(patient, counselor, other_patient):
    record = _guardian(counselor, patient)
    _guardian(counselor, other_patient, email="someone-else@example.org")
    guardian = record.representative
    before = record.verified_at - timedelta(seconds=1)
    assert list(patients_acted_for(patient)) == [patient]
    assert list(patients_acted_for(guardian)) == [patient]
    assert not patients_acted_for(guardian, before).exists()
    assert list(represented_by(guardian)) == [record]
    assert not represented_by(guardian, before).exists()
    guardian.is_active = False
    assert not represented_by(guardian).exists()
    assert not patients_acted_for(guardian).exists()


def test_effective_consents_for_lists_the_consents_naming_the_viewer_in_force(
    patient, family_member, consent, revoked_member, outsider, django_assert_num_queries
):
    with django_assert_num_queries(1):
        listed = list(effective_consents_for(family_member))
        assert [c.patient.full_name for c in listed] == [patient.full_name]  # the patient comes along
    assert listed == [consent]
    assert not effective_consents_for(revoked_member).exists()
    assert not effective_consents_for(family_member, consent.expires_at).exists()
    family_member.is_active = False
    assert not effective_consents_for(family_member).exists()


def test_release_consents_name_every_recipient_in_force_for_the_scope(
    patient, family_member, consent, other_patient, outsider, django_assert_num_queries
):
    """The recipients a record may be released to: family or external, by name, whoever holds an account."""
    soon = timezone.now() + timedelta(days=10)
    probation = grant_consent(
        patient=patient,
        recipient_name="Alex Probation",
        recipient_email="alex@probation.example.org",
        recipient_kind=Consent.RecipientKind.EXTERNAL,
        recipient_organisation="County Probation",
        scopes=[Scope.ATTENDANCE],
        expires_at=soon,
        signature=patient.full_name,
    )
    personas.consent_for(patient, personas.make_user("s@example.org", User.Role.FAMILY, None), scopes=["schedule"])
    version = consent.form_version.version
    with django_assert_num_queries(1):
        released = list(release_consents(patient, Scope.ATTENDANCE))
        assert [c.form_version.version for c in released] == [version, version]
    assert released == [probation, consent]  # by recipient name: Alex, Fran
    assert list(release_consents(patient.pk, Scope.ATTENDANCE, soon)) == [consent]
    assert list(release_consents(other_patient, Scope.ATTENDANCE)) == [Consent.objects.get(recipient=outsider)]


def test_consents_relied_on_are_the_viewers_with_the_scope_except_for_patients_they_act_as(
    patient, counselor, family_member, consent, other_patient, django_assert_num_queries
):
    from consent import request_memo

    narrow = personas.consent_for(other_patient, family_member, scopes=["schedule"])
    third = personas.make_user("third@example.org", User.Role.PATIENT, patient.program)
    personas.consent_for(third, family_member)
    record_personal_representative(
        staff=counselor,
        patient=third,
        representative=family_member,
        authority=PersonalRepresentative.Authority.GUARDIAN,
        document_reference="Court order 5",
    )
    now = timezone.now()
    asked = [patient.pk, other_patient.pk, third.pk]
    assert consents_relied_on(family_member, asked, Scope.MESSAGING, now) == [consent]
    assert consents_relied_on(family_member, asked, Scope.SCHEDULE, now) == [narrow, consent]  # newest first
    assert consents_relied_on(family_member, [other_patient.pk], Scope.SCHEDULE, now) == [narrow]
    assert consents_relied_on(family_member, asked, Scope.SCHEDULE, consent.signed_at - timedelta(seconds=1)) == []
    with request_memo.opened() as memo:
        assert consents_relied_on(family_member, asked, Scope.MESSAGING, memo.at) == [consent]
        with django_assert_num_queries(0):  # the request's remembered answer
            assert consents_relied_on(family_member, asked, Scope.SCHEDULE, memo.at) == [narrow, consent]
        assert consents_relied_on(family_member, asked, Scope.SCHEDULE, consent.signed_at - timedelta(seconds=1)) == []
