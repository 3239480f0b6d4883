"""Every page's fixed cost, prepared (issue #17, H1): the gate's answer for a viewer (``policy.viewer_consents``
for a family member, ``policy.patients_seen`` for staff) and the request user's load run SQL compiled once per
process, give what the ORM gives, and re-read the data on each request: a revocation, an expiry or a caseload's
end is seen by the very next request."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import backends
from accounts.models import CaseloadAssignment
from consent import gate, policy
from consent.models import Consent
from tests.support import personas
from tests.support.compiles import watch_compiles

pytestmark = pytest.mark.django_db


def _prepared_sql(prepared: Any) -> str:
    return str(prepared._compiled["default"].sql)


def test_a_family_page_compiles_neither_its_consents_nor_its_user_twice(monkeypatch, client, family_member, consent):
    personas.login(client, family_member)
    assert client.get(reverse("dashboard")).status_code == 200  # compiles them, once per process
    compiled = watch_compiles(monkeypatch)
    with CaptureQueriesContext(connection) as ran:
        assert client.get(reverse("dashboard")).status_code == 200
    consents, user = _prepared_sql(policy._PREPARED_VIEWER_CONSENTS), _prepared_sql(backends._PREPARED_REQUEST_USER)
    assert consents not in compiled.sql and user not in compiled.sql
    assert any(q["sql"].startswith(consents.split("%s")[0]) for q in ran.captured_queries)  # run, not compiled


def test_a_staff_page_compiles_its_patients_once(monkeypatch, client, counselor, patient):
    personas.login(client, counselor)
    assert client.get(reverse("dashboard")).status_code == 200
    compiled = watch_compiles(monkeypatch)
    assert client.get(reverse("dashboard")).status_code == 200
    seen = policy._PREPARED_SEEN[(policy.CASELOAD.name, policy.BREAK_GLASS.name)]
    assert _prepared_sql(seen) not in compiled.sql
    assert _prepared_sql(backends._PREPARED_REQUEST_USER) not in compiled.sql


def test_the_prepared_answers_equal_the_orms(family_member, counselor, patient, other_patient, outsider):
    now = timezone.now()
    personas.consent_for(other_patient, family_member, scopes=["messaging"])
    for at in (now, now + timedelta(days=400), now - timedelta(days=1)):
        expected = list(policy._viewer_consents(at, family_member.pk))
        found = policy.viewer_consents(at, family_member.pk)
        assert found == expected
        assert [(c.patient, c.patient.program, c.form_version) for c in found] == [
            (c.patient, c.patient.program, c.form_version) for c in expected
        ]
    grants = (policy.CASELOAD, policy.BREAK_GLASS)
    assert policy.patients_seen(grants, now, counselor.pk) == list(policy._seen(grants, now, counselor.pk))
    assert policy.patients_seen(grants, now, counselor.pk) == [("caseload", patient.pk, patient.program_id)]
    assert policy.patients_seen(grants, now, outsider.pk) == []


def test_the_prepared_consents_come_with_patient_program_and_form_in_one_query(
    family_member, consent, django_assert_num_queries
):
    policy.viewer_consents(timezone.now(), family_member.pk)
    expected = (consent.patient.program, consent.form_version)
    with django_assert_num_queries(1):
        (found,) = policy.viewer_consents(timezone.now(), family_member.pk)
        assert (found.patient.program, found.form_version) == expected


def test_the_request_user_equals_the_orms_with_its_related_rows(family_member, counselor, django_assert_num_queries):
    from notifications.models import SmsPhone

    SmsPhone.objects.create(user=family_member, e164="+15555550123")
    for user in (family_member, counselor):
        expected = backends.User.objects.select_related(*backends.REQUEST_USER_RELATED).get(pk=user.pk)
        with django_assert_num_queries(1):
            loaded = backends.PortalModelBackend().get_user(user.pk)
            assert loaded is not None
            assert (loaded.program, getattr(loaded, "sms_phone", None)) == (
                expected.program,
                getattr(expected, "sms_phone", None),
            )
        assert loaded == expected and loaded.__dict__.keys() == expected.__dict__.keys()
    assert backends.PortalModelBackend().get_user(10**12) is None


@pytest.mark.parametrize("change", ["revoke", "expire"])
def test_a_consent_change_is_seen_by_the_very_next_request(client, family_member, patient, consent, change):
    personas.login(client, family_member)
    assert "Pat Rivera shares" in client.get(reverse("dashboard")).content.decode()
    if change == "revoke":
        personas.revoke(consent)
    else:
        Consent.objects.filter(pk=consent.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert "Pat Rivera shares" not in client.get(reverse("dashboard")).content.decode()
    assert gate.visibility(family_member).consents == ()


def test_an_ended_caseload_and_a_deactivated_user_are_seen_by_the_very_next_request(client, counselor, patient):
    personas.login(client, counselor)
    assert client.get(reverse("dashboard")).status_code == 200
    assert patient.pk in (gate.visibility(counselor).patient_ids("messaging") or ())
    CaseloadAssignment.objects.filter(counselor=counselor).update(ended_at=timezone.now() - timedelta(seconds=1))
    assert client.get(reverse("dashboard")).status_code == 200
    assert patient.pk not in (gate.visibility(counselor).patient_ids("messaging") or ())
    type(counselor).objects.filter(pk=counselor.pk).update(is_active=False)
    assert client.get(reverse("dashboard")).status_code == 302  # signed out: the user is read afresh
