"""A family member's socket handshake asks the gate once (``consent.gate.disclosure_if_allowed``), with the same
outcomes as asking ``can_participate`` and then ``require_disclosure`` (issue #17): a consent relied on writes
its ledger row, a representative writes none, and a refusal writes neither a ledger nor an audit row."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from accounts.sessions import session_store
from consent import gate
from consent.models import AuditEvent, Disclosure, PersonalRepresentative, Scope
from messaging import services, socket_calls
from messaging.access import can_participate
from messaging.models import Conversation, SocketConnection
from tests.messaging.conftest import session_key_for
from tests.support import personas

pytestmark = pytest.mark.django_db


def _admit(user: User, conversation: Conversation, name: str = "socket") -> Any:
    scope = {
        "user": user,
        "session": session_store(session_key_for(user)),
        "url_route": {"kwargs": {"conversation_id": conversation.pk}},
    }
    return socket_calls.admit(scope=scope, channel_name=name, max_wait_s=60)


def _ledger(user: User) -> int:
    return Disclosure.objects.filter(recipient=user, channel=Disclosure.Channel.WEBSOCKET).count()


def _refusals() -> int:
    return AuditEvent.objects.filter(kind=AuditEvent.Kind.DISCLOSURE_REFUSED).count()


def test_a_consent_holder_is_admitted_with_one_ledger_row_naming_the_consent(family_member, consent, care_team):
    grant = _admit(family_member, care_team)
    assert grant is not None and grant.consent_id == str(consent.pk)
    row = Disclosure.objects.get(recipient=family_member, channel=Disclosure.Channel.WEBSOCKET)
    assert (row.consent_id, row.scope, row.what) == (consent.pk, Scope.MESSAGING, "Live messages")


@pytest.mark.parametrize("persona", ["revoked_member", "scopeless_member", "outsider"])
def test_a_refused_family_member_leaves_no_ledger_row_no_audit_row_and_no_socket(request, persona, care_team):
    user = request.getfixturevalue(persona)
    refusals = _refusals()
    assert not can_participate(user, care_team)
    assert _admit(user, care_team) is None
    assert (_ledger(user), _refusals() - refusals) == (0, 0)
    assert not SocketConnection.objects.filter(user=user).exists()


def test_a_representative_is_admitted_without_a_disclosure(patient, counselor, care_team):
    representative = personas.make_user("guardian@example.org", User.Role.FAMILY, None, full_name="Gail Guardian")
    PersonalRepresentative.objects.create(
        representative=representative,
        patient=patient,
        authority=PersonalRepresentative.Authority.GUARDIAN,
        document_reference="Court order 2026-117",
        verified_by=counselor,
    )
    representative = User.objects.get(pk=representative.pk)  # as the auth middleware loads it: flagged
    grant = _admit(representative, care_team)
    assert grant is not None and grant.consent_id is None
    assert _ledger(representative) == 0


def test_a_family_member_outside_a_private_thread_is_refused_before_the_gate(patient, family_member, consent):
    other = personas.make_user("other@example.org", User.Role.FAMILY, None, full_name="Otto Other")
    personas.consent_for(patient, other)
    private = services.private_conversation(other, patient)
    assert _admit(family_member, private) is None
    assert _ledger(family_member) == 0


def test_disclosure_if_allowed_matches_can_disclose_and_require_disclosure(
    people, patient, family_member, revoked_member, counselor
):
    """Each persona: allowed exactly when ``can_disclose``; a consent (and its one ledger row) exactly when
    ``require_disclosure`` relies on one; no audit row either way."""
    for user in people.values():
        user = User.objects.get(pk=user.pk)
        expected = gate.can_disclose(user, patient, Scope.MESSAGING)
        refusals, ledger = _refusals(), Disclosure.objects.count()
        allowed, consent = gate.disclosure_if_allowed(
            user, patient, Scope.MESSAGING, channel=Disclosure.Channel.WEBSOCKET, what="Live", at=timezone.now()
        )
        assert allowed == expected, user
        assert _refusals() == refusals
        relied_on = gate.effective_consent(user, patient, Scope.MESSAGING) if expected else None
        acting = gate.acts_as_patient(user, patient) or gate.is_care_team_for(user, patient)
        assert consent == (None if acting else relied_on), user
        assert Disclosure.objects.count() == ledger + (consent is not None)


def test_a_family_member_never_named_as_representative_costs_the_consent_query_alone(
    patient, family_member, consent, django_assert_num_queries
):
    fresh = User.objects.get(pk=family_member.pk)
    with django_assert_num_queries(2):  # the consent, its ledger row
        allowed, relied_on = gate.disclosure_if_allowed(
            fresh, patient, Scope.MESSAGING, channel=Disclosure.Channel.WEBSOCKET, what="Live", at=timezone.now()
        )
    assert (allowed, relied_on) == (True, consent)
