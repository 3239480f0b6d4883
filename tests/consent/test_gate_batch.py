"""The gate's batch forms answer exactly as ``can_disclose`` does, pair by pair: ``disclosable_pairs`` (in a constant
number of queries), ``visibility``/``visible_patients`` and the answers remembered for one request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from consent import policy, request_memo
from consent.gate import (
    NOTHING,
    acts_as_patient,
    can_disclose,
    disclosable_pairs,
    effective_consent,
    recipients,
    recipients_by_patient,
    visibility,
    visible_patient_ids,
    visible_patients,
)
from consent.models import PersonalRepresentative, Scope
from consent.services import record_personal_representative, start_break_glass
from tests.support import personas

pytestmark = pytest.mark.django_db

PERSONAS = [*personas.GATE_PERSONAS]


@pytest.fixture
def everyone(request, patient, counselor, unassigned_counselor, other_patient) -> list[User]:
    people = [request.getfixturevalue(name) for name in PERSONAS]
    program = patient.program
    representative = personas.make_user("guardian@example.org", User.Role.FAMILY, program)
    record_personal_representative(
        staff=counselor,
        patient=patient,
        representative=representative,
        authority=PersonalRepresentative.Authority.GUARDIAN,
        document_reference="Court order 7",
    )
    narrow = personas.make_user("narrow@example.org", User.Role.FAMILY, program)
    personas.consent_for(patient, narrow, scopes=["education"])
    start_break_glass(counselor=unassigned_counselor, patient=other_patient, reason="Crisis call at night")
    inactive = personas.make_user("gone@example.org", User.Role.FAMILY, program)
    personas.consent_for(patient, inactive)
    inactive.is_active = False
    inactive.save()
    elsewhere_program = personas.make_program("Elsewhere")
    elsewhere = personas.make_staff("admin@else.example.org", elsewhere_program, User.Role.PROGRAM_ADMIN)
    return [*people, representative, narrow, inactive, elsewhere]


@pytest.mark.parametrize("scope", list(Scope))
def test_batch_answers_match_can_disclose_pair_by_pair(everyone, scope):
    patients = [u for u in everyone if u.role == User.Role.PATIENT]
    pairs = {(viewer.pk, patient.pk) for viewer in everyone for patient in patients}
    expected = {(v.pk, p.pk) for v in everyone for p in patients if can_disclose(v, p, scope)}

    assert disclosable_pairs(pairs, scope) == expected
    assert expected  # the matrix has both answers
    assert expected != pairs


def test_batch_answers_at_a_later_instant(everyone, patient):
    later = timezone.now() + timedelta(days=400)  # every consent has expired by then
    pairs = {(viewer.pk, patient.pk) for viewer in everyone}
    expected = {(v.pk, patient.pk) for v in everyone if can_disclose(v, patient, Scope.MESSAGING, later)}

    assert disclosable_pairs(pairs, Scope.MESSAGING, later) == expected
    assert all(User.objects.get(pk=v).role != User.Role.FAMILY or v == _guardian(everyone) for v, _ in expected)


def test_query_count_does_not_grow_with_pairs(everyone, django_assert_max_num_queries):
    patients = [u.pk for u in everyone if u.role == User.Role.PATIENT]
    pairs = [(viewer.pk, patient) for viewer in everyone for patient in patients]
    with django_assert_max_num_queries(6):
        disclosable_pairs(pairs, Scope.SCHEDULE)


def test_empty_and_unknown_inputs(django_assert_num_queries):
    with django_assert_num_queries(0):  # no pair names two people: nothing to ask
        assert disclosable_pairs([], Scope.SCHEDULE) == set()
        assert disclosable_pairs([(None, 1), (1, None)], Scope.SCHEDULE) == set()
        assert recipients_by_patient([], Scope.SCHEDULE) == {}
    assert disclosable_pairs([(999_999, 999_998)], Scope.SCHEDULE) == set()
    with pytest.raises(ValueError):
        disclosable_pairs([(1, 2)], "everything")


@pytest.mark.parametrize("scope", list(Scope))
def test_recipients_by_patient_match_recipients_patient_by_patient(everyone, scope):
    first = next(u for u in everyone if u.role == User.Role.PATIENT)
    patients = [u.pk for u in everyone if u.role == User.Role.PATIENT]
    by_patient = recipients_by_patient([*patients, 999_999], scope)
    assert by_patient == {**{pk: recipients(pk, scope) for pk in patients}, 999_999: frozenset()}
    assert by_patient[first.pk] == {v.pk for v in everyone if can_disclose(v, first, scope)}
    later = timezone.now() + timedelta(days=400)  # every consent has expired by then
    assert recipients_by_patient(patients[:1], scope, later) == {patients[0]: recipients(patients[0], scope, later)}
    caseload = recipients_by_patient(patients[:1], scope, grants=(policy.CASELOAD,))
    assert caseload == {patients[0]: recipients(patients[0], scope, grants=(policy.CASELOAD,))}
    assert len(caseload[patients[0]]) == 1


def _guardian(people: list[User]) -> int:
    return next(u.pk for u in people if u.email == "guardian@example.org")


@pytest.mark.parametrize("scope", list(Scope))
def test_visibility_lists_the_patients_can_disclose_allows(everyone, scope):
    patients = [u for u in everyone if u.role == User.Role.PATIENT]
    for viewer in everyone:
        expected = {p.pk for p in patients if can_disclose(viewer, p, scope)}
        assert visible_patient_ids(viewer, scope) == expected, viewer.email
        assert set(visible_patients(viewer, scope).values_list("pk", flat=True)) == expected, viewer.email


@pytest.mark.parametrize("scope", list(Scope))
def test_one_patient_questions_answer_the_same_inside_a_request_memo(everyone, scope):
    patients = [u for u in everyone if u.role == User.Role.PATIENT]
    questions = [(v, p) for v in everyone for p in patients]
    outside = [(can_disclose(v, p, scope), acts_as_patient(v, p), effective_consent(v, p, scope)) for v, p in questions]
    with request_memo.opened():
        inside = [
            (can_disclose(v, p, scope), acts_as_patient(v, p), effective_consent(v, p, scope)) for v, p in questions
        ]
    assert inside == outside


def test_an_authority_verified_in_the_future_counts_nowhere_yet(patient, counselor, program):
    """One rule for personal representatives everywhere: verified, not expired, not ended (``effective``)."""
    rep = personas.make_user("future-guardian@example.org", User.Role.FAMILY, program)
    record = record_personal_representative(
        staff=counselor,
        patient=patient,
        representative=rep,
        authority=PersonalRepresentative.Authority.GUARDIAN,
        document_reference="Court order 9",
    )
    PersonalRepresentative.objects.filter(pk=record.pk).update(verified_at=timezone.now() + timedelta(days=1))
    assert not acts_as_patient(rep, patient)
    assert not can_disclose(rep, patient, Scope.SCHEDULE)
    assert disclosable_pairs([(rep.pk, patient.pk)], Scope.SCHEDULE) == set()
    assert visible_patient_ids(rep, Scope.SCHEDULE) == frozenset()
    with request_memo.opened():
        assert not acts_as_patient(rep, patient)
    later = timezone.now() + timedelta(days=2)
    assert acts_as_patient(rep, patient, later)
    assert disclosable_pairs([(rep.pk, patient.pk)], Scope.SCHEDULE, later) == {(rep.pk, patient.pk)}


def test_visibility_knows_the_programs_of_the_patients_seen(patient, counselor, program, django_assert_num_queries):
    """Education and patient-less sessions need the programs of the patients a viewer sees (or acts as)."""
    elsewhere = personas.make_program("Elsewhere")
    ward = personas.make_user("ward@example.org", User.Role.PATIENT, elsewhere)
    guardian = personas.make_user("guardian@example.org", User.Role.FAMILY, None)
    record_personal_representative(
        staff=personas.make_staff("staff@else.example.org", elsewhere),
        patient=ward,
        representative=guardian,
        authority=PersonalRepresentative.Authority.GUARDIAN,
        document_reference="Court order 11",
    )
    version = personas.consent_for(patient, guardian, scopes=["education"]).form_version.version
    with django_assert_num_queries(2):  # the authorities, the consents (with patient, program and form version)
        seen = visibility(guardian)
        assert [(c.patient.program, c.form_version.version) for c in seen.consents] == [(program, version)]
    assert seen.linked and seen.linked_programs == {program.pk, elsewhere.pk}
    assert seen.program_ids(Scope.EDUCATION) == {program.pk, elsewhere.pk}
    assert seen.program_ids(Scope.SCHEDULE) == {elsewhere.pk}  # the consent does not include the schedule
    mine = visibility(patient)
    assert mine.linked_programs == {program.pk} == mine.program_ids(Scope.SCHEDULE)
    assert visibility(counselor).program_ids(Scope.SCHEDULE) == {program.pk}  # the caseload's
    assert NOTHING.linked_programs == frozenset() and not NOTHING.linked
