"""The conversation page's compiled queries: a family member opens exactly the conversations ``visible_to`` returns
(``messaging.opened``), the thread's compiled query returns exactly the ORM's messages (``thread_messages``), and
a revoked consent closes the conversation on the very next request."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from consent import request_memo
from consent.models import Consent
from messaging import services
from messaging.access import readable_messages
from messaging.models import Conversation, Message
from messaging.opened import family_may_open
from messaging.services.messages import _compiled_page, _newest
from tests.support import personas

pytestmark = pytest.mark.django_db


def test_a_family_member_opens_what_visible_to_returns(
    patient, counselor, family_member, scopeless_member, outsider, other_patient
):
    leaver = personas.make_user("leaver@example.org", User.Role.FAMILY, None, full_name="Lee Leaver")
    leaver_consent = personas.consent_for(patient, leaver, scopes=["messaging"])
    conversations = [
        services.care_team_conversation(patient),
        services.private_conversation(family_member, patient),
        services.private_conversation(leaver, patient),
        services.start_direct_conversation(starter=counselor, patient=patient, other=family_member),
        services.care_team_conversation(other_patient),
    ]
    personas.revoke(leaver_consent)  # their private thread stays; the gate now says no
    inactive = personas.make_user("gone@example.org", User.Role.FAMILY, None)
    personas.consent_for(patient, inactive, scopes=["messaging"])
    User.objects.filter(pk=inactive.pk).update(is_active=False)
    sibling = personas.make_user("sib@example.org", User.Role.FAMILY, None, full_name="Sib Rivera")
    personas.consent_for(patient, sibling, scopes=["messaging"])  # not in the one-to-one, not the private's member
    members = [family_member, sibling, leaver, scopeless_member, outsider, User.objects.get(pk=inactive.pk)]
    answers = set()
    for member in members:
        for conversation in conversations:
            loaded = Conversation.objects.select_related("patient").get(pk=conversation.pk)
            seats: list[Any] = list(loaded.participants.all()) or [None]  # a row without a seat, as the page has
            with request_memo.opened():  # as in a GET request
                expected = Conversation.objects.visible_to(member).filter(pk=conversation.pk).exists()
                assert family_may_open(member, loaded, seats) is expected, (member.email, conversation.kind)
            answers.add(expected)
    assert answers == {True, False}  # both answers were tried


def test_a_revoked_consent_closes_the_conversation_on_the_next_request(login, patient, counselor, family_member):
    conversation = services.care_team_conversation(patient)
    services.send_message(sender=counselor, conversation=conversation, body="Welcome")
    client: Client = login(family_member)
    assert client.get(conversation.get_absolute_url()).status_code == 200
    personas.revoke(Consent.objects.get(patient=patient, recipient=family_member))
    assert client.get(conversation.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("kind", ["shared", "private"])
@pytest.mark.parametrize("paged", [False, True])
def test_the_compiled_thread_query_returns_the_orms_messages(patient, counselor, family_member, kind, paged):
    conversation = (
        services.care_team_conversation(patient)
        if kind == "shared"
        else services.private_conversation(family_member, patient)
    )
    services.send_message(sender=counselor, conversation=conversation, body="Before Max joined")
    late = personas.make_user("max@example.org", User.Role.FAMILY, None, full_name="Max Okafor")
    personas.consent_for(patient, late, scopes=["messaging"])
    for n in range(4):
        services.send_message(sender=counselor, conversation=conversation, body=f"Note {n}")
    before = Message.objects.filter(conversation=conversation).order_by("-id").values_list("id", flat=True)[1]
    viewers = [counselor, family_member] + ([late] if kind == "shared" else [])
    for viewer in viewers:
        at = timezone.now()
        compiled = _compiled_page(conversation, viewer, before if paged else None, at)
        orm = list(_newest(readable_messages(viewer, conversation, at), before if paged else None))
        assert compiled is not None
        assert [(m.pk, m.body, m.sender.display_name) for m in compiled] == [
            (m.pk, m.body, m.sender.display_name) for m in orm
        ]
        if viewer == late:  # the cut-off is in the compiled query too (MSG-01)
            assert "Before Max joined" not in [m.body for m in compiled] and compiled


def test_the_threads_rows_escape_what_people_typed(login, patient, counselor, family_member):
    """The rows are written in Python (``MessageRow.html``): names and text are escaped there as a template would."""
    conversation = services.care_team_conversation(patient)
    User.objects.filter(pk=counselor.pk).update(preferred_name='<b>Casey</b> "C"')
    services.send_message(sender=counselor, conversation=conversation, body="<script>alert(1)</script>")
    mine = services.send_message(sender=family_member, conversation=conversation, body="Thanks")
    User.objects.filter(pk=counselor.pk).update(read_receipts_enabled=True)
    services.mark_read(user=User.objects.get(pk=counselor.pk), conversation=conversation, up_to=mine.pk)
    page = login(family_member).get(conversation.get_absolute_url()).content.decode()
    assert "&lt;b&gt;Casey&lt;/b&gt; &quot;C&quot;" in page  # the sender, and "Seen by" under the member's message
    assert "Seen by &lt;b&gt;Casey&lt;/b&gt;" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>Casey</b>" not in page and "<script>alert" not in page
