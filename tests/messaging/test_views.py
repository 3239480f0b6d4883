"""Conversation pages without JavaScript: access (404 for everyone else), plain posts with redirect, the part 2
notice and ledger for families, edits and deletes, read receipts, query counts that do not grow."""

from __future__ import annotations

import socket
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from consent.models import Disclosure
from messaging import services
from messaging.models import Conversation, Message
from tests.support import personas

pytestmark = pytest.mark.django_db

LIST_URL = reverse("messaging:conversation_list")


def thread_url(conversation: Conversation) -> str:
    return reverse("messaging:conversation", args=[conversation.pk])


# --- Access ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("counselor", 200),
        ("family_member", 200),
        ("outsider", 404),
        ("revoked_member", 404),
        ("learner", 404),
        ("scopeless_member", 404),
        ("unassigned_counselor", 404),
        ("program_admin", 404),
        ("patient", 404),
    ],
)
def test_thread_access(login, people, care_team, persona, status):
    client = login(people[persona])
    assert client.get(thread_url(care_team)).status_code == status
    assert client.post(thread_url(care_team), {"body": "hello"}).status_code in (status, 302 if status == 200 else 404)


@pytest.mark.parametrize("persona", ["outsider", "revoked_member", "learner", "unassigned_counselor"])
def test_others_see_no_trace_in_their_list(login, people, care_team, counselor, persona):
    services.send_message(sender=counselor, conversation=care_team, body="Private note")
    response = login(people[persona]).get(LIST_URL)
    assert response.status_code == 200
    assert "Pat Rivera" not in response.content.decode()
    assert str(care_team.pk) not in response.content.decode()


def test_anonymous_visitor_is_sent_to_login(client, care_team):
    response = client.get(thread_url(care_team))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- Reading and writing without JavaScript ----------------------------------------------------------------------


def test_family_thread_shows_part2_notice_and_records_disclosure(login, family_member, counselor, care_team):
    services.send_message(sender=counselor, conversation=care_team, body="Welcome, https://example.org/x <b>hi</b>")
    response = login(family_member).get(thread_url(care_team))
    html = response.content.decode()
    assert "data-part2-notice" in html
    assert 'role="log"' in html and 'aria-live="polite"' in html
    assert '<a href="https://example.org/x" rel="noopener noreferrer nofollow">' in html
    assert "&lt;b&gt;hi&lt;/b&gt;" in html
    assert Disclosure.objects.filter(recipient=family_member, scope="messaging", channel="web").count() == 1


def test_counselor_thread_has_no_part2_notice(login, counselor, care_team):
    html = login(counselor).get(thread_url(care_team)).content.decode()
    assert "data-part2-notice" not in html
    assert 'src="/static/js/chat.js"' in html


def test_plain_post_saves_and_redirects(login, program, family_member, care_team):
    program.office_days, program.office_opens, program.office_closes = list(range(7)), time(0, 0), time(23, 59, 59)
    program.save()
    client = login(family_member)
    response = client.post(thread_url(care_team), {"body": "Thank you for today"})
    message = Message.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{thread_url(care_team)}#m{message.pk}"
    page = client.get(response["Location"]).content.decode()
    assert "Thank you for today" in page
    assert "Your message was saved and sent." in page


def test_empty_post_shows_a_form_error_and_saves_nothing(login, family_member, care_team):
    response = login(family_member).post(thread_url(care_team), {"body": "   "})
    assert response.status_code == 200
    assert "Write a message before sending." in response.content.decode()
    assert not Message.objects.exists()


def test_overlong_post_shows_a_form_error(login, family_member, care_team):
    response = login(family_member).post(thread_url(care_team), {"body": "a" * 4001})
    assert "4,000 characters" in response.content.decode()
    assert not Message.objects.exists()


def test_post_with_channel_layer_down_still_saves_and_tells_the_sender(settings, login, family_member, care_team):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [f"redis://127.0.0.1:{port}"]},
        }
    }
    client = login(family_member)
    response = client.post(thread_url(care_team), {"body": "Sent during an outage"}, follow=True)
    assert response.status_code == 200
    assert Message.objects.filter(body="Sent during an outage").exists()
    assert "saved" in response.content.decode()


def test_after_hours_banner_and_toast(login, family_member, care_team):
    new_york = ZoneInfo("America/New_York")
    today = timezone.localdate(timezone=new_york)
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
    with time_machine.travel(datetime.combine(saturday, time(12, 0), tzinfo=new_york)):
        client = login(family_member)
        page = client.get(thread_url(care_team)).content.decode()
        response = client.post(thread_url(care_team), {"body": "Weekend note"}, follow=True)
    assert "The care team is away right now" in page
    assert "Monday at 9:00 AM (EST)" in page
    assert "Your message is saved and delivered." in response.content.decode()


def test_viewing_the_thread_marks_it_read(login, family_member, counselor, care_team):
    message = services.send_message(sender=counselor, conversation=care_team, body="Hi")
    login(family_member).get(thread_url(care_team))
    assert care_team.participants.get(user=family_member).last_read_message_id == message.pk


def test_read_receipt_shows_who_has_seen_the_latest_message(login, family_member, counselor, care_team):
    message = services.send_message(sender=counselor, conversation=care_team, body="Hi")
    services.mark_read(user=family_member, conversation=care_team, up_to=message.pk)
    assert "Seen by Fran Rivera" in login(counselor).get(thread_url(care_team)).content.decode()


def test_earlier_messages_page(login, family_member, counselor, care_team):
    sent = [services.send_message(sender=counselor, conversation=care_team, body=f"note {n}") for n in range(102)]
    client = login(family_member)
    first_page = client.get(thread_url(care_team)).content.decode()
    assert "note 1\n" not in first_page and "Show earlier messages" in first_page
    earlier = client.get(f"{thread_url(care_team)}?before={sent[2].pk}").content.decode()
    assert "note 0" in earlier and "note 1" in earlier and "note 2" not in earlier


@pytest.mark.parametrize("before", ["x", "-1", "1' OR 1=1", "9" * 40])
def test_bad_paging_parameter_is_ignored(login, family_member, care_team, before):
    assert login(family_member).get(f"{thread_url(care_team)}?before={before}").status_code == 200


# --- Edit, delete, history ----------------------------------------------------------------------------------------


def test_sender_edits_with_a_plain_form(login, family_member, care_team):
    message = services.send_message(sender=family_member, conversation=care_team, body="typo")
    url = reverse("messaging:edit_message", args=[care_team.pk, message.pk])
    client = login(family_member)
    assert "typo" in client.get(url).content.decode()
    response = client.post(url, {"body": "fixed"})
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.body == "fixed"
    assert "Edited" in client.get(thread_url(care_team)).content.decode()


def test_sender_deletes_after_confirming(login, family_member, care_team):
    message = services.send_message(sender=family_member, conversation=care_team, body="oops")
    url = reverse("messaging:delete_message", args=[care_team.pk, message.pk])
    client = login(family_member)
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 302
    assert "Message deleted" in client.get(thread_url(care_team)).content.decode()


@pytest.mark.parametrize("action", ["edit_message", "delete_message"])
def test_someone_elses_message_cannot_be_changed(login, family_member, counselor, care_team, action):
    message = services.send_message(sender=counselor, conversation=care_team, body="Counselor note")
    url = reverse(f"messaging:{action}", args=[care_team.pk, message.pk])
    assert login(family_member).post(url, {"body": "changed"}).status_code == 404
    message.refresh_from_db()
    assert message.body == "Counselor note"


def test_counselor_sees_history_family_does_not(login, family_member, counselor, care_team):
    message = services.send_message(sender=family_member, conversation=care_team, body="first words")
    services.edit_message(editor=family_member, message=message, body="second words")
    url = reverse("messaging:message_history", args=[care_team.pk, message.pk])
    assert "first words" in login(counselor).get(url).content.decode()
    assert login(family_member).get(url).status_code == 404


# --- List, starting conversations, receipts, badge, dashboard -----------------------------------------------------


def test_list_shows_unread_count(login, family_member, counselor, care_team):
    services.send_message(sender=counselor, conversation=care_team, body="one")
    services.send_message(sender=counselor, conversation=care_team, body="two")
    html = login(family_member).get(LIST_URL).content.decode()
    assert "2 unread" in html
    assert "data-part2-notice" in html


def test_learner_list_has_a_neutral_empty_state(login, learner):
    html = login(learner).get(LIST_URL).content.decode()
    assert "No conversations yet" in html
    assert "Start a one-to-one conversation" not in html


def test_counselor_starts_a_private_conversation(login, counselor, family_member, patient):
    client = login(counselor)
    assert "Fran Rivera (about Pat Rivera)" in client.get(LIST_URL).content.decode()
    response = client.post(reverse("messaging:start_conversation"), {"person": f"{patient.pk}:{family_member.pk}"})
    conversation = Conversation.objects.get(kind=Conversation.Kind.DIRECT)
    assert response["Location"] == thread_url(conversation)
    assert login(family_member).get(thread_url(conversation)).status_code == 200


def test_start_refuses_a_pair_outside_the_choices(login, counselor, outsider, other_patient):
    response = login(counselor).post(
        reverse("messaging:start_conversation"), {"person": f"{other_patient.pk}:{outsider.pk}"}
    )
    assert response.status_code == 302
    assert not Conversation.objects.filter(kind=Conversation.Kind.DIRECT).exists()


def test_counselor_turns_read_receipts_off(login, counselor):
    login(counselor).post(reverse("messaging:read_receipts"), {"enabled": "off"})
    counselor.refresh_from_db()
    assert counselor.read_receipts_enabled is False


def test_family_member_cannot_reach_read_receipt_setting(login, family_member):
    assert login(family_member).post(reverse("messaging:read_receipts"), {"enabled": "off"}).status_code == 404


def test_unread_badge_tag(rf, family_member, counselor, care_team):
    services.send_message(sender=counselor, conversation=care_team, body="one")
    request = rf.get("/")
    request.user = family_member
    html = Template("{% load messaging_tags %}{% unread_badge %}").render(Context({"request": request}))
    assert '1<span class="visually-hidden"> unread message</span>' in html
    request = rf.get("/")
    request.user = counselor  # the sender has nothing unread
    assert Template("{% load messaging_tags %}{% unread_badge %}").render(Context({"request": request})) == ""


def test_dashboard_card_counts_without_names_for_family(login, family_member, counselor, care_team):
    services.send_message(sender=counselor, conversation=care_team, body="one")
    html = login(family_member).get(reverse("dashboard")).content.decode()
    assert "1</strong> unread message in 1 conversation" in html


def test_dashboard_card_lists_waiting_conversations_for_counselor(login, family_member, counselor, care_team):
    services.send_message(sender=family_member, conversation=care_team, body="one")
    html = login(counselor).get(reverse("dashboard")).content.decode()
    assert "Shared family thread (about Pat Rivera)" in html


def test_learner_dashboard_has_no_messages_card(login, learner):
    assert "Open messages" not in login(learner).get(reverse("dashboard")).content.decode()
    assert "Go to messages" not in login(learner).get(reverse("dashboard")).content.decode()


# --- Query counts stay flat (performance plan Q1) ------------------------------------------------------------------


def _queries(client, url: str) -> int:
    client.get(url)  # warm: creates seats, marks read
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_thread_query_count_is_flat(login, django_assert_num_queries, family_member, counselor, care_team):
    client = login(family_member)
    services.send_message(sender=counselor, conversation=care_team, body="first")
    expected = _queries(client, thread_url(care_team))
    for n in range(19):
        services.send_message(sender=counselor if n % 2 else family_member, conversation=care_team, body=f"m{n}")
    client.get(thread_url(care_team))
    with django_assert_num_queries(expected):
        client.get(thread_url(care_team))


def test_counselor_list_query_count_is_flat(
    login, django_assert_num_queries, program, counselor, patient, family_member
):
    client = login(counselor)
    services.send_message(sender=family_member, conversation=services.care_team_conversation(patient), body="hi")
    expected = _queries(client, LIST_URL)
    for n in range(19):
        other = personas.make_user(f"p{n}@example.org", User.Role.PATIENT, program, full_name=f"Patient {n}")
        personas.assign(counselor, other)
        member = personas.make_user(f"f{n}@example.org", User.Role.FAMILY, None, full_name=f"Family {n}")
        personas.consent_for(other, member)
        services.send_message(sender=member, conversation=services.care_team_conversation(other), body="hi")
    client.get(LIST_URL)
    with django_assert_num_queries(expected):
        client.get(LIST_URL)


def test_family_list_query_count_is_flat(login, django_assert_num_queries, program, patient, family_member, counselor):
    client = login(family_member)
    expected = _queries(client, LIST_URL)
    for n in range(19):
        staff = personas.make_staff(f"c{n}@example.org", program, full_name=f"Counselor {n}")
        personas.assign(staff, patient)
        conversation = services.start_direct_conversation(starter=staff, patient=patient, other=family_member)
        services.send_message(sender=staff, conversation=conversation, body="hello")
    client.get(LIST_URL)
    with django_assert_num_queries(expected):
        client.get(LIST_URL)


# --- IDOR matrix (AZ-03) ---------------------------------------------------------------------------------------------


def test_idor_matrix_urls_are_refused(
    login, patient, counselor, family_member, outsider, learner, unassigned_counselor
):
    from tests.messaging.idor import object_urls

    urls = object_urls(patient)
    assert len(urls) == 9
    for person in (outsider, learner, unassigned_counselor):
        client = login(person)
        for url in urls:
            assert client.get(url).status_code == 404, (person.email, url)
        client.logout()
    staff = login(counselor)
    assert [staff.get(url).status_code for url in urls[:5]] == [200] * 5  # the counselor's own message


def test_read_receipt_sits_only_under_the_viewers_own_messages(login, family_member, counselor, care_team):
    from messaging.services import mark_read, send_message

    mine = send_message(sender=family_member, conversation=care_team, body="Is Thursday still on?")
    theirs = send_message(sender=counselor, conversation=care_team, body="Yes, see you then.")
    mark_read(user=counselor, conversation=care_team, up_to=theirs.pk)
    body = login(family_member).get(care_team.get_absolute_url()).content.decode()
    assert body.count(f"Seen by {counselor.display_name}") == 1
    assert f"Seen by {family_member.display_name}" not in body
    assert body.index(f'id="m{mine.pk}"') < body.index("Seen by") < body.index(f'id="m{theirs.pk}"')
