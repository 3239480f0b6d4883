"""MSG-01: the writer knows who reads. A family member's default conversation is private with the care team; the
shared family thread is explicit; every composer names its current readers; a family member reads a shared thread
only from the start of their own messaging consent, wherever messages are read. Staff read everything."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse, reverse_lazy
from django.utils import timezone

from accounts.models import CaseloadAssignment, User
from messaging import services
from messaging.models import Conversation, Participant
from messaging.offline import scan_offline_notices
from messaging.templatetags.messaging_tags import unread_total
from notifications.models import OutboxMessage
from tests.support import personas

pytestmark = pytest.mark.django_db

LIST_URL = reverse("messaging:conversation_list")
CARE_TEAM_URL = reverse_lazy("messaging:care_team")


@pytest.fixture
def partner(program, patient) -> User:
    """Family of the patient whose consent covers education only, for now."""
    member = personas.make_user("max@example.org", User.Role.FAMILY, None, full_name="Max Okafor")
    personas.consent_for(patient, member, scopes=["education"])
    return member


def give_messaging(patient: User, member: User):
    return personas.consent_for(patient, member, scopes=["education", "messaging"])


def thread_url(conversation: Conversation) -> str:
    return reverse("messaging:conversation", args=[conversation.pk])


def private_url(client: Client) -> str:
    """The family member's default conversation: where "Message the care team" leads (created on first use)."""
    response = client.get(CARE_TEAM_URL)
    assert response.status_code == 302
    assert response["Location"] != LIST_URL
    return response["Location"]


def readers(page: str) -> str:
    """The composer's "Read by" line as text."""
    found = re.search(r'<p id="reader-list">(.*?)</p>', page, re.S)
    assert found, "the composer names no readers"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).split())


# --- The mother's scenario ------------------------------------------------------------------------------------------


def test_mothers_private_message_never_reaches_a_partner_given_messaging_later(
    login, patient, counselor, family_member, partner, care_team
):
    mother = login(family_member, Client())
    mine = private_url(mother)
    page = mother.get(mine).content.decode()
    assert readers(page) == "Read by: you, Casey Morgan (Care team)"  # told exactly who reads, not "the care team"
    assert mother.post(mine, {"body": "He seemed really low tonight…"}).status_code == 302
    mother.post(thread_url(care_team), {"body": "Dinner went well on Sunday."})

    give_messaging(patient, partner)  # later, the patient shares messaging with the partner
    services.send_message(sender=counselor, conversation=care_team, body="Welcome to the shared thread, Max.")

    other = login(partner, Client())
    assert other.get(mine).status_code == 404
    assert mine not in other.get(LIST_URL).content.decode()
    shared = other.get(thread_url(care_team)).content.decode()
    assert "He seemed really low" not in shared
    assert "Dinner went well" not in shared  # the shared history before the partner's own consent
    assert "Welcome to the shared thread, Max." in shared
    assert [m.body for m in services.messages_after(care_team, partner, 0)] == ["Welcome to the shared thread, Max."]

    staff = login(counselor, Client())
    assert "He seemed really low tonight…" in staff.get(mine).content.decode()
    assert "Dinner went well on Sunday." in staff.get(thread_url(care_team)).content.decode()
    assert "He seemed really low tonight…" in mother.get(mine).content.decode()


def test_family_members_default_conversation_is_private_with_the_care_team(login, family_member, care_team):
    client = login(family_member)
    mine = private_url(client)
    conversation = Conversation.objects.get(pk=mine.rstrip("/").split("/")[-1])
    assert conversation.kind == Conversation.Kind.FAMILY_PRIVATE
    assert conversation.member == family_member
    assert private_url(client) == mine  # one per family member and patient
    listing = client.get(LIST_URL).content.decode()
    assert listing.index("Private with the care team") < listing.index("Shared family threads")
    assert "Shared family thread (about Pat Rivera)" in listing
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert f'href="{CARE_TEAM_URL}"' in dashboard


def test_shared_thread_composer_says_posting_there_is_shared(login, family_member, care_team):
    page = login(family_member).get(thread_url(care_team)).content.decode()
    assert "This is the shared family thread." in page
    assert "Send to the shared family thread" in page
    assert f'href="{CARE_TEAM_URL}"' in page  # the private way is one click away


# --- Counselors see every family's private conversation -------------------------------------------------------------


def test_counselor_inbox_lists_each_family_members_private_conversation(
    login, patient, counselor, family_member, partner
):
    give_messaging(patient, partner)
    fran = private_url(login(family_member, Client()))
    max_ = private_url(login(partner, Client()))
    services.send_message(sender=family_member, conversation=Conversation.objects.get(member=family_member), body="x")

    staff = login(counselor)
    card = staff.get(reverse("dashboard")).content.decode()
    assert "Fran Rivera (Parent), private (about Pat Rivera)" in card
    listing = staff.get(LIST_URL).content.decode()
    assert "Fran Rivera (Parent), private (about Pat Rivera)" in listing
    assert "Max Okafor (Parent), private (about Pat Rivera)" in listing
    assert fran in listing and max_ in listing
    assert readers(staff.get(fran).content.decode()) == "Read by: you, Fran Rivera (Family)"


def test_private_conversation_is_closed_to_the_care_team_once_the_member_may_not_take_part(
    login, counselor, family_member, consent
):
    mine = private_url(login(family_member, Client()))
    personas.revoke(consent)
    staff = login(counselor)
    page = staff.get(mine).content.decode()
    assert "closed because the family member can no longer take part" in page
    staff.post(mine, {"body": "Are you there?"})
    assert not Conversation.objects.get(member=family_member).messages.exists()


# --- The composer names the current readers -----------------------------------------------------------------------


def test_shared_composer_follows_consents_granted_and_revoked(
    login, program, patient, counselor, family_member, partner
):
    client = login(family_member)
    url = thread_url(services.care_team_conversation(patient))
    assert readers(client.get(url).content.decode()) == "Read by: you, Casey Morgan (Care team)"

    consent = give_messaging(patient, partner)
    assert readers(client.get(url).content.decode()) == ("Read by: you, Casey Morgan (Care team), Max Okafor (Family)")
    program.patients_join_care_team = True
    program.save()
    assert readers(client.get(url).content.decode()) == (
        "Read by: you, Casey Morgan (Care team), Max Okafor (Family), Pat Rivera (Patient)"
    )
    personas.revoke(consent)
    assert readers(client.get(url).content.decode()) == ("Read by: you, Casey Morgan (Care team), Pat Rivera (Patient)")


def test_private_composer_follows_the_caseload(login, program, patient, counselor, family_member, partner):
    give_messaging(patient, partner)  # another family member never reads it
    client = login(family_member)
    url = private_url(client)
    assert readers(client.get(url).content.decode()) == "Read by: you, Casey Morgan (Care team)"
    second = personas.make_staff("jordan@example.org", program, full_name="Jordan Lee")
    personas.assign(second, patient)
    assert readers(client.get(url).content.decode()) == "Read by: you, Casey Morgan (Care team), Jordan Lee (Care team)"
    CaseloadAssignment.objects.filter(counselor=counselor).update(ended_at=timezone.now())
    assert readers(client.get(url).content.decode()) == "Read by: you, Jordan Lee (Care team)"


def test_one_to_one_composer_names_the_other_person(login, patient, counselor, family_member):
    conversation = services.start_direct_conversation(starter=counselor, patient=patient, other=family_member)
    assert readers(login(family_member).get(thread_url(conversation)).content.decode()) == (
        "Read by: you, Casey Morgan (Care team)"
    )
    assert readers(login(counselor).get(thread_url(conversation)).content.decode()) == (
        "Read by: you, Fran Rivera (Family)"
    )


def test_edit_form_names_who_reads_the_edited_message(login, patient, counselor, family_member, partner, care_team):
    before = services.send_message(sender=family_member, conversation=care_team, body="Before Max took part")
    give_messaging(patient, partner)
    after = services.send_message(sender=family_member, conversation=care_team, body="After")
    client = login(family_member)

    def edit_page(message) -> str:
        return client.get(reverse("messaging:edit_message", args=[care_team.pk, message.pk])).content.decode()

    assert readers(edit_page(before)) == "Read by: you, Casey Morgan (Care team)"  # Max never had this one
    assert readers(edit_page(after)) == "Read by: you, Casey Morgan (Care team), Max Okafor (Family)"


# --- A shared thread from the start of one's own sharing ------------------------------------------------------------


def test_unread_counts_start_at_the_members_own_sharing(login, patient, counselor, partner, care_team):
    for n in range(3):
        services.send_message(sender=counselor, conversation=care_team, body=f"Before {n}")
    give_messaging(patient, partner)
    assert unread_total(partner) == 0
    client = login(partner)
    assert "0 unread" not in client.get(reverse("dashboard")).content.decode()
    assert "unread" not in client.get(LIST_URL).content.decode().split("Shared family threads")[1].split("</ul>")[0]

    services.send_message(sender=counselor, conversation=care_team, body="After")
    assert unread_total(partner) == 1
    row = Conversation.objects.visible_to(partner).with_unread(partner).get(pk=care_team.pk)
    assert row.unread == 1
    assert "<strong>1</strong> unread message in 1 conversation" in client.get(reverse("dashboard")).content.decode()


def test_a_renewal_keeps_the_history_and_a_gap_starts_again(patient, counselor, partner, care_team):
    first = give_messaging(patient, partner)
    early = services.send_message(sender=counselor, conversation=care_team, body="Early")
    give_messaging(patient, partner)  # renewed before the first ended: one unbroken run
    personas.revoke(first)
    assert [m.body for m in services.messages_after(care_team, partner, 0)] == ["Early"]

    for consent in partner.consents_received.all():
        personas.revoke(consent)
    gap = services.send_message(sender=counselor, conversation=care_team, body="During the gap")
    give_messaging(patient, partner)
    later = services.send_message(sender=counselor, conversation=care_team, body="Later")
    assert [m.pk for m in services.messages_after(care_team, partner, 0)] == [later.pk]
    assert early.pk < gap.pk < later.pk


def test_a_personal_representative_reads_what_the_patient_reads(login, patient, counselor, care_team):
    services.send_message(sender=counselor, conversation=care_team, body="Written before the authority")
    guardian = personas.guardian_of(patient, counselor)
    assert unread_total(guardian) == 1
    assert "Written before the authority" in login(guardian).get(thread_url(care_team)).content.decode()


def test_own_messages_from_before_a_gap_cannot_be_opened_for_editing(login, patient, partner, care_team):
    consent = give_messaging(patient, partner)
    old = services.send_message(sender=partner, conversation=care_team, body="From my first consent")
    personas.revoke(consent)
    give_messaging(patient, partner)
    client = login(partner)
    assert client.get(reverse("messaging:edit_message", args=[care_team.pk, old.pk])).status_code == 404
    assert client.get(reverse("messaging:delete_message", args=[care_team.pk, old.pk])).status_code == 404


def test_no_offline_notice_about_messages_from_before_the_members_sharing(patient, counselor, partner):
    care_team = services.care_team_conversation(patient)
    consent = give_messaging(patient, partner)
    first = services.send_message(sender=counselor, conversation=care_team, body="While shared")
    services.mark_read(user=partner, conversation=care_team, up_to=first.pk)
    personas.revoke(consent)
    services.send_message(sender=counselor, conversation=care_team, body="During the gap")
    give_messaging(patient, partner)
    later = timezone.now() + timedelta(hours=1)
    assert Participant.objects.filter(user=partner, conversation=care_team).exists()

    assert scan_offline_notices(later) == 0
    services.send_message(sender=counselor, conversation=care_team, body="After")
    assert scan_offline_notices(later) == 1
    assert OutboxMessage.objects.filter(recipient=partner, template_key="new_message").count() == 1


# --- Query counts stay flat -----------------------------------------------------------------------------------------


def _count(client: Client, url: str) -> int:
    client.get(url)  # warm: creates seats, marks read
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _grow(program, patient, counselor, conversation, n: int, start: int) -> None:
    """``n`` more counselors and family members who read ``conversation``, and messages from them."""
    for i in range(start, start + n):
        staff = personas.make_staff(f"c{i}@example.org", program, full_name=f"Counselor {i}")
        personas.assign(staff, patient)
        member = personas.make_user(f"f{i}@example.org", User.Role.FAMILY, None, full_name=f"Family {i}")
        give_messaging(patient, member)
        services.send_message(sender=staff, conversation=conversation, body=f"Message {i}")


@pytest.mark.parametrize("kind", ["shared", "private"])
def test_thread_query_count_is_flat_as_readers_and_messages_grow(
    login, program, patient, counselor, family_member, kind
):
    client = login(family_member)
    if kind == "shared":
        conversation = services.care_team_conversation(patient)
    else:
        conversation = Conversation.objects.get(pk=private_url(client).rstrip("/").split("/")[-1])
    url = thread_url(conversation)
    _grow(program, patient, counselor, conversation, 1, 0)
    personas.assign(personas.make_staff("seatless@example.org", program, full_name="Seatless One"), patient)
    one = _count(client, url)

    _grow(program, patient, counselor, conversation, 9, 1)
    for i in range(10):  # readers without a seat yet are loaded together
        personas.assign(personas.make_staff(f"new{i}@example.org", program, full_name=f"New {i}"), patient)
    ten = _count(client, url)

    assert one == ten
    line = readers(client.get(url).content.decode())
    assert "Counselor 9 (Care team)" in line and "New 9 (Care team)" in line
    assert ("Family 9 (Family)" in line) is (kind == "shared")
