"""The private and one-to-one threads' gate question, prepared (issue #17, W2/W4): ``participant_ids`` of those
threads runs the gate's union compiled once per process (``consent.policy.Among``), gives what the ORM's union
gives at every instant, is not compiled again on the next message, and re-reads the data on every message: a
consent revoked or a caseload ended in the database alone stops the very next delivery."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from accounts.models import CaseloadAssignment, User
from consent import gate, policy
from consent.models import Consent, Scope
from messaging import services, socket_calls
from messaging.access import _counselors_and, _seated, participant_ids
from messaging.models import Conversation
from tests.messaging.conftest import communicator_for, session_key_for
from tests.support import personas
from tests.support.compiles import watch_compiles

pytestmark = pytest.mark.django_db

GRANTS = [policy.CASELOAD, policy.BREAK_GLASS, policy.REPRESENTATIVE, policy.CONSENT]


def _orm_answer(conversation: Conversation, at: Any) -> frozenset[int]:
    """``participant_ids`` as it was built before: the union with a plain subquery, by the ORM each time."""
    if conversation.kind == Conversation.Kind.DIRECT:
        among = _seated(conversation.pk)
    else:
        among = _counselors_and(conversation.member_id)
    return gate.recipients(conversation.patient_id, Scope.MESSAGING, at, grants=GRANTS, among=among)


@pytest.fixture
def threads(
    program: Any, patient: User, counselor: User, family_member: User, unassigned_counselor: User
) -> list[Conversation]:
    """A private thread and a one-to-one, with a second counselor, a second member and a stranger around."""
    second = personas.make_staff("second@example.org", program)
    personas.assign(second, patient)
    other = personas.make_user("sam@example.org", User.Role.FAMILY, None)
    personas.consent_for(patient, other, days=2)
    private = services.private_conversation(family_member, patient)
    direct = services.start_direct_conversation(starter=counselor, patient=patient, other=family_member)
    return [Conversation.objects.select_related("patient__program").get(pk=c.pk) for c in (private, direct)]


def test_the_prepared_answers_equal_the_orms_at_every_instant(threads, patient, counselor, family_member, consent):
    now = timezone.now()
    private, direct = threads
    assert participant_ids(private) >= {counselor.pk, family_member.pk}
    assert participant_ids(direct) == {counselor.pk, family_member.pk}
    for at in (now, now + timedelta(days=3), now + timedelta(days=400), now - timedelta(days=1)):
        for conversation in threads:
            assert participant_ids(conversation, at) == _orm_answer(conversation, at)
    for change in (
        lambda: Consent.objects.filter(pk=consent.pk).update(revoked_at=now),
        lambda: CaseloadAssignment.objects.filter(counselor=counselor).update(ended_at=now),
    ):
        change()
        for conversation in threads:
            found = participant_ids(conversation)
            assert found == _orm_answer(conversation, None)
    assert family_member.pk not in participant_ids(private) | participant_ids(direct)
    assert counselor.pk not in participant_ids(private) | participant_ids(direct)


@pytest.mark.django_db(transaction=True)
def test_the_union_is_compiled_once_not_per_message(monkeypatch, threads, counselor, family_member):
    key = session_key_for(family_member)
    for conversation in threads:
        socket_calls.send_and_describe(key, family_member.pk, conversation, "first")  # compiles, once per process
    compiled = watch_compiles(monkeypatch).sql
    for conversation in threads:
        _, _, broadcasts = socket_calls.send_and_describe(key, family_member.pk, conversation, "second")
        ((_, event),) = broadcasts
        assert set(event["recipients"]) >= {counselor.pk, family_member.pk}
    assert not [sql for sql in compiled if "UNION" in sql.upper()]
    assert len(policy._PREPARED_AMONG) >= 2


def test_an_among_of_a_value_prepared_cannot_bind_is_answered_by_the_orm(patient, counselor, family_member):
    among = policy.Among.of(_counselors_and, member=None)
    assert not among.preparable()
    pairs = policy.allowed_pairs(GRANTS, timezone.now(), Scope.MESSAGING, viewers=among, patients=[patient.pk])
    assert {viewer for viewer, _ in pairs} == {counselor.pk}
    with pytest.raises(ValueError):
        policy.Among.of(_seated, at=1)


# --- The next delivery after a change made in the database alone (no close signal) ------------------------------


async def _frame(communicator: Any, timeout: float = 2.0) -> dict[str, Any]:
    output = await communicator.receive_output(timeout)
    if output["type"] == "websocket.close":
        return {"type": "closed", "code": output.get("code")}
    return dict(json.loads(output["text"]))


async def _open(user: User, conversation: Conversation) -> Any:
    communicator = communicator_for(conversation, await database_sync_to_async(session_key_for)(user))
    connected, _ = await communicator.connect(timeout=3)
    assert connected
    return communicator


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["private", "direct"])
async def test_a_caseload_ended_in_the_database_stops_the_next_delivery(
    kind, patient, counselor, family_member, consent
):
    """The counselor's caseload ends silently: in the private thread the member's next message names only who may
    read it, so the counselor's open socket is closed (4403) instead of being sent it; the one-to-one refuses it."""
    if kind == "private":
        conversation = await database_sync_to_async(services.private_conversation)(family_member, patient)
    else:
        conversation = await database_sync_to_async(services.start_direct_conversation)(
            starter=counselor, patient=patient, other=family_member
        )
    second = await database_sync_to_async(personas.make_staff)("second@example.org", patient.program)
    await database_sync_to_async(personas.assign)(second, patient)
    staff = await _open(counselor, conversation)
    member = await _open(family_member, conversation)
    end = CaseloadAssignment.objects.filter(counselor=counselor).update
    await database_sync_to_async(end)(ended_at=timezone.now())

    await member.send_json_to({"type": "message", "body": "Are you there?", "client_id": "m1"})
    reply = await _frame(member)
    if kind == "private":  # the thread stays open with the care team: stored, and sent to the counselor's socket
        assert reply["type"] == "ack"
        assert await _frame(staff) == {"type": "closed", "code": 4403}  # which closes: no message frame came first
    else:  # the one-to-one closes with its counselor: refused, nothing stored or sent
        assert reply["error"] == "invalid"
        assert await staff.receive_nothing(timeout=0.3)
    for communicator in (staff, member):
        await communicator.disconnect()


async def _reply(communicator: Any) -> dict[str, Any]:
    """The sender's answer to its frame (``ack`` or ``error``), past its own copy of earlier broadcasts."""
    while (frame := await _frame(communicator))["type"] == "message":
        continue
    return frame


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_consent_revoked_in_the_database_stops_the_next_delivery_in_a_private_thread(
    patient, counselor, family_member, consent
):
    """The member's consent ends silently: the thread is closed to the care team's next message (refused, nothing
    stored or delivered), and the member's own next message closes their socket (4403)."""
    conversation = await database_sync_to_async(services.private_conversation)(family_member, patient)
    member = await _open(family_member, conversation)
    staff = await _open(counselor, conversation)
    await staff.send_json_to({"type": "message", "body": "Before", "client_id": "s1"})
    assert (await _reply(staff))["type"] == "ack"
    assert (await _frame(member))["message"]["parts"] == [{"text": "Before"}]
    await database_sync_to_async(Consent.objects.filter(pk=consent.pk).update)(revoked_at=timezone.now())

    await staff.send_json_to({"type": "message", "body": "After", "client_id": "s2"})
    assert (await _reply(staff))["error"] == "invalid"
    assert await member.receive_nothing(timeout=0.3)
    await member.send_json_to({"type": "message", "body": "Still here?"})
    assert await _frame(member) == {"type": "closed", "code": 4403}
    for communicator in (staff, member):
        await communicator.disconnect()
