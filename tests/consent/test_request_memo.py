"""The gate answers once per read-only request; writes and code outside requests always ask the database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import AsyncClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from consent import request_memo
from consent.gate import (
    NOTHING,
    acts_as_patient,
    can_disclose,
    disclosable_pairs,
    effective_consent,
    recipients,
    visibility,
    visible_patient_ids,
)
from consent.models import Scope
from consent.services import revoke_consent
from tests.support import personas

pytestmark = pytest.mark.django_db


def _consent_reads(queries: list[dict[str, str]]) -> int:
    """Statements reading consents. The unread-message count folds the shared-history start (MSG-01,
    ``consent.history``) into its own statement as a subquery: that is no read of the viewer's consents."""
    reads = [q["sql"] for q in queries if q["sql"].startswith("SELECT") and 'FROM "consent_consent"' in q["sql"]]
    return sum(1 for sql in reads if "messaging_message" not in sql)


def test_dashboard_asks_for_the_viewers_consents_once(client, family_member, consent):
    personas.login(client, family_member)
    client.get(reverse("dashboard"))
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    assert _consent_reads(captured.captured_queries) == 1


def test_memo_is_open_only_for_get_and_head(rf):
    from consent.middleware import GateMemoMiddleware

    seen: list[request_memo.Memo | None] = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(request_memo.current())
        return HttpResponse()

    middleware = GateMemoMiddleware(view)
    for method in ("get", "head", "post", "put", "delete"):
        middleware(getattr(rf, method)("/"))
    assert [memo is not None for memo in seen] == [True, True, False, False, False]
    assert request_memo.current() is None


def test_inside_a_memo_the_answer_is_remembered(family_member, patient, consent, django_assert_num_queries):
    with request_memo.opened():
        first = visible_patient_ids(family_member, Scope.MESSAGING)
        with django_assert_num_queries(0):
            assert visible_patient_ids(family_member, Scope.SCHEDULE) == first == {patient.pk}
            assert visibility(family_member).consents == (consent,)


def test_inside_a_memo_one_patient_questions_are_answered_from_the_remembered_answer(
    family_member, patient, other_patient, consent, django_assert_num_queries
):
    with request_memo.opened():
        visibility(family_member)
        with django_assert_num_queries(0):
            assert can_disclose(family_member, patient, Scope.MESSAGING)
            assert not can_disclose(family_member, other_patient, Scope.MESSAGING)
            assert not acts_as_patient(family_member, patient)
            assert effective_consent(family_member, patient, Scope.MESSAGING) == consent


def test_inside_a_memo_a_question_about_another_instant_is_asked_for_that_instant(family_member, patient, consent):
    before = consent.signed_at - timedelta(seconds=1)
    with request_memo.opened():
        assert can_disclose(family_member, patient, Scope.MESSAGING)
        assert not can_disclose(family_member, patient, Scope.MESSAGING, before)
        assert effective_consent(family_member, patient, Scope.MESSAGING, before) is None


def test_inside_a_memo_now_is_the_memos_instant(family_member, patient, consent):
    """A page is answered for the instant its request began, in every shape of the question."""
    with request_memo.opened(consent.signed_at - timedelta(seconds=1)):
        assert family_member.pk not in recipients(patient, Scope.MESSAGING)
        assert disclosable_pairs([(family_member.pk, patient.pk)], Scope.MESSAGING) == set()
    assert disclosable_pairs([(family_member.pk, patient.pk)], Scope.MESSAGING) == {(family_member.pk, patient.pk)}


def test_nobody_sees_nothing_inside_a_memo_too():
    with request_memo.opened():
        assert visibility(None) is NOTHING
        assert visibility(AnonymousUser()) is NOTHING


def test_outside_a_memo_a_revocation_shows_at_once(family_member, patient, consent):
    assert visible_patient_ids(family_member, Scope.MESSAGING) == {patient.pk}
    revoke_consent(consent=consent, actor=patient)
    assert visible_patient_ids(family_member, Scope.MESSAGING) == frozenset()


def test_the_memo_also_works_under_asgi(family_member, consent):
    """Daphne serves pages through Django's ASGI handler, which adapts the sync middleware and view across threads;
    the memo (a context variable) must still reach the view and every card. ``async_to_sync`` runs the handler's
    sync parts back on this thread, so this test's connection sees their queries."""
    client = AsyncClient()
    personas.login(client, family_member)  # type: ignore[arg-type]
    async_to_sync(client.get)(reverse("dashboard"))
    with CaptureQueriesContext(connection) as captured:
        response = async_to_sync(client.get)(reverse("dashboard"))
    assert response.status_code == 200
    assert _consent_reads(captured.captured_queries) == 1
