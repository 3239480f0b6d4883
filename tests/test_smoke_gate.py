import pytest

from consent.gate import can_disclose

pytestmark = pytest.mark.django_db


def test_family_member_with_consent_sees_schedule(patient, family_member):
    assert can_disclose(family_member, patient, "schedule")


@pytest.mark.parametrize("persona", ["revoked_member", "outsider", "learner", "unassigned_counselor"])
def test_others_cannot_see_patient(request, patient, persona):
    assert not can_disclose(request.getfixturevalue(persona), patient, "schedule")


def test_assigned_counselor_sees_patient(patient, counselor):
    assert can_disclose(counselor, patient, "messaging")
