"""The gate asks about personal-representative authorities only for people one has ever named
(``User.recorded_as_representative``): one query less for every other family member, never a hidden authority."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from consent import gate
from consent.models import PersonalRepresentative, Scope

pytestmark = pytest.mark.django_db


def _authority(patient: User, representative: User, staff: User, **extra) -> PersonalRepresentative:
    return PersonalRepresentative.objects.create(
        representative=representative,
        patient=patient,
        authority=PersonalRepresentative.Authority.GUARDIAN,
        document_reference="Court order 2026-117",
        verified_by=staff,
        **extra,
    )


def test_a_family_member_never_named_gets_the_whole_answer_from_the_consents_query(
    patient, family_member, consent, django_assert_num_queries
):
    fresh = User.objects.get(pk=family_member.pk)
    assert not fresh.recorded_as_representative
    with django_assert_num_queries(1):
        seen = gate.visibility(fresh)
    assert seen.patient_ids(Scope.SCHEDULE) == {patient.pk}


def test_saving_an_authority_marks_the_representative_and_the_gate_finds_it(
    patient, family_member, counselor, django_assert_num_queries
):
    record = _authority(patient, family_member, counselor)
    assert family_member.recorded_as_representative  # the loaded object too, not only the row
    fresh = User.objects.get(pk=family_member.pk)
    assert fresh.recorded_as_representative
    with django_assert_num_queries(2):  # authorities, then consents
        seen = gate.visibility(fresh)
    assert seen.represented == {patient.pk}
    assert gate.acts_as_patient(fresh, patient)

    record.ended_at = timezone.now() - timedelta(minutes=1)
    record.save()
    fresh = User.objects.get(pk=family_member.pk)
    assert fresh.recorded_as_representative  # never cleared: the ended authority is filtered by date
    assert not gate.acts_as_patient(fresh, patient)


def test_a_stale_unmarked_copy_fails_closed(patient, family_member, counselor):
    """An object loaded before the authority existed (a request in flight) sees no authority: never more access."""
    stale = User.objects.get(pk=family_member.pk)
    _authority(patient, family_member, counselor)
    assert gate.visibility(stale).represented == frozenset()
    assert gate.visibility(User.objects.get(pk=family_member.pk)).represented == {patient.pk}
