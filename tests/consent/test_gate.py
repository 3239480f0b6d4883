"""The gate: who passes, the ledger row per disclosure, refusals audited, break-glass, representatives."""

from __future__ import annotations

from datetime import timedelta

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
    effective_consent,
    managed_consents,
    require_disclosure,
    visible_patients,
)
from consent.models import AuditEvent, Disclosure, PersonalRepresentative, Scope
from consent.services import end_personal_representative, record_personal_representative, start_break_glass
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
