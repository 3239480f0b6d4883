"""The portal's own video rooms (issue 19, item 3): a room per video session, a signed Jitsi token per participant
pressing "Join" (claims checked with PyJWT and the app secret), and the refusals: before the room opens, after the
end, a cancelled session, a revoked consent (refusal page, audited) and people who do not take part (404)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jwt
import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts.models import User
from consent.models import AuditEvent, Disclosure, Scope
from scheduling.models import FamilySession
from scheduling.services import (
    cancel_session,
    confirm_request,
    request_session,
    reschedule_session,
    schedule_group_session,
)
from tests.scheduling.conftest import book, future_start
from tests.scheduling.video import BASE_URL, Jitsi, book_video, claims_of, configure_jitsi, press_join
from tests.support import personas

pytestmark = pytest.mark.django_db

UNKNOWN_SESSION = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def jitsi(settings: Any) -> Jitsi:
    return configure_jitsi(settings)


@pytest.fixture
def video_session(jitsi: Jitsi, counselor: User, patient: User, family_member: User) -> FamilySession:
    return book_video(counselor, patient, [family_member])


def ten_minutes_before(session: FamilySession) -> Any:
    """Inside the room's window: it opens 15 minutes before the start."""
    return time_machine.travel(session.starts_at - timedelta(minutes=10), tick=False)


# --- the room ---------------------------------------------------------------------------------------------------


def test_a_video_session_gets_its_own_unguessable_room_and_no_pasted_link(jitsi, counselor, patient, family_member):
    first = book_video(counselor, patient, [family_member], join_url="https://elsewhere.example.net/r/1")
    second = book_video(counselor, patient, [family_member], starts_at=future_start(days=4))
    assert len(first.video_room) >= 40 and first.video_room != second.video_room
    assert first.video_room == first.video_room.lower()
    assert first.join_url == ""  # with portal rooms, a pasted link is not used
    in_person = book(counselor, patient, [family_member], starts_at=future_start(days=5))
    assert in_person.video_room == ""


def test_a_confirmed_video_request_gets_a_room_too(jitsi, counselor, patient, family_member):
    asked = request_session(requester=family_member, patient=patient, proposed_times=[future_start(days=4)])
    session = confirm_request(actor=counselor, session_request=asked, starts_at=future_start(days=4), modality="video")
    assert session.video_room and not session.join_url
    with ten_minutes_before(session):
        claims = claims_of(press_join(personas.login(Client(), family_member), session), jitsi, session)
    assert claims["room"] == session.video_room


def test_without_a_video_provider_a_video_session_keeps_its_pasted_link(settings, counselor, patient, family_member):
    settings.VIDEO_PROVIDER = ""
    session = book_video(counselor, patient, [family_member], join_url="https://video.example.org/r/abc")
    assert (session.join_url, session.video_room) == ("https://video.example.org/r/abc", "")
    client = personas.login(Client(), family_member)
    page = client.get(session.get_absolute_url()).content.decode()
    assert 'href="https://video.example.org/r/abc"' in page
    assert reverse("scheduling:video_join", args=[session.pk]) not in page
    assert press_join(client, session).status_code == 404


def test_the_booking_form_hides_the_link_field_when_the_portal_makes_rooms(jitsi, counselor, patient, family_member):
    client = personas.login(Client(), counselor)
    url = reverse("scheduling:session_create") + f"?patient={patient.pk}"
    starts = future_start().astimezone(patient.program.tz)
    data = {
        "kind": "family_therapy",
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
        "duration": 60,
        "modality": "video",
        "family_members": [family_member.pk],
        "include_patient": "on",
    }
    page = client.get(url).content.decode()
    assert 'type="hidden" name="join_url"' in page
    assert "the portal creates a private video room" in page
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    session = FamilySession.objects.get(patient=patient)
    assert session.video_room and not session.join_url


def test_the_session_page_offers_join_as_a_form_and_names_the_jitsi_origin_in_form_action(
    video_session, family_member, counselor
):
    for person in (family_member, counselor):
        response = personas.login(Client(), person).get(video_session.get_absolute_url())
        page = response.content.decode()
        assert f'action="{reverse("scheduling:video_join", args=[video_session.pk])}"' in page
        assert 'name="csrfmiddlewaretoken"' in page
        assert video_session.video_room not in page
        form_action = next(d for d in response["Content-Security-Policy"].split(";") if "form-action" in d)
        assert form_action.split() == ["form-action", "'self'", BASE_URL]


# --- the token --------------------------------------------------------------------------------------------------


def test_a_family_members_token_names_the_room_and_person_and_lasts_from_15_minutes_before_to_the_end_plus_margin(
    jitsi, video_session, family_member, consent
):
    with ten_minutes_before(video_session):
        client = personas.login(Client(), family_member)
        claims = claims_of(press_join(client, video_session), jitsi, video_session)
    assert claims["aud"] == "jitsi"
    assert claims["iss"] == jitsi.app_id
    assert claims["sub"] == "meet.example.org"
    assert claims["room"] == video_session.video_room
    assert claims["nbf"] == int((video_session.starts_at - timedelta(minutes=15)).timestamp())
    assert claims["exp"] == int((video_session.ends_at + timedelta(minutes=15)).timestamp())
    assert claims["context"]["user"] == {"name": "Fran Rivera", "moderator": False, "affiliation": "member"}
    assert "email" not in str(claims) and family_member.email not in str(claims)
    ledger = Disclosure.objects.filter(recipient=family_member, consent=consent, scope=Scope.SCHEDULE)
    assert ledger.filter(what="Family session video room").count() == 1  # § 2.25: the join is a disclosure


def test_only_staff_are_moderators(jitsi, video_session, counselor, patient):
    with ten_minutes_before(video_session):
        staff = claims_of(press_join(personas.login(Client(), counselor), video_session), jitsi, video_session)
        own = claims_of(press_join(personas.login(Client(), patient), video_session), jitsi, video_session)
    assert staff["context"]["user"] == {"name": "Casey Morgan", "moderator": True, "affiliation": "owner"}
    assert own["context"]["user"] == {"name": "Pat Rivera", "moderator": False, "affiliation": "member"}


def test_the_token_is_worthless_without_the_secret_and_after_it_expires(jitsi, video_session, family_member):
    with ten_minutes_before(video_session):
        response = press_join(personas.login(Client(), family_member), video_session)
        token = response["Location"].split("jwt=", 1)[1]
        with pytest.raises(jwt.InvalidSignatureError):
            jwt.decode(token, "another secret of enough length, not ours!!", algorithms=["HS256"], audience="jitsi")
    late = video_session.ends_at + timedelta(minutes=16)
    with time_machine.travel(late, tick=False), pytest.raises(jwt.ExpiredSignatureError):
        jwt.decode(token, jitsi.secret, algorithms=["HS256"], audience="jitsi")


def test_a_person_without_a_name_is_shown_by_role_never_by_email(jitsi, counselor, patient):
    nameless = personas.make_user("nameless@example.org", User.Role.FAMILY, None)
    personas.consent_for(patient, nameless)
    User.objects.filter(pk=nameless.pk).update(full_name="", preferred_name="")
    session = book_video(counselor, patient, [nameless])
    with ten_minutes_before(session):
        claims = claims_of(press_join(personas.login(Client(), nameless), session), jitsi, session)
    assert claims["context"]["user"]["name"] == "Family member"


def test_a_moved_session_moves_the_tokens_window(jitsi, video_session, counselor, family_member):
    new_start = video_session.starts_at + timedelta(days=1)
    new_end = new_start + timedelta(hours=1)
    reschedule_session(actor=counselor, session=video_session, starts_at=new_start, ends_at=new_end)
    video_session.refresh_from_db()
    with ten_minutes_before(video_session):
        claims = claims_of(press_join(personas.login(Client(), family_member), video_session), jitsi, video_session)
    assert claims["nbf"] == int((new_start - timedelta(minutes=15)).timestamp())
    assert claims["room"] == video_session.video_room  # the room stays; only its window moves


# --- when there is no token -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "message"),
    [
        (lambda s: s.starts_at - timedelta(minutes=16), "opens 15 minutes before the start"),
        (lambda s: s.ends_at, "has ended"),
        (lambda s: s.ends_at + timedelta(hours=2), "has ended"),
    ],
    ids=["too-early", "at-the-end", "long-after"],
)
def test_outside_the_rooms_window_join_goes_back_to_the_session_page(video_session, family_member, moment, message):
    with time_machine.travel(moment(video_session), tick=False):
        client = personas.login(Client(), family_member)
        response = press_join(client, video_session)
        assert response.status_code == 302
        assert response["Location"] == video_session.get_absolute_url()
        assert message in client.get(response["Location"]).content.decode()


def test_a_cancelled_session_gives_no_token(video_session, counselor, family_member):
    cancel_session(actor=counselor, session=video_session, reason="Counselor unwell")
    with ten_minutes_before(video_session):
        response = press_join(personas.login(Client(), family_member), video_session)
    assert response["Location"] == video_session.get_absolute_url()


def test_after_revocation_the_participant_gets_the_refusal_page_and_the_refusal_is_audited(
    video_session, family_member, consent
):
    personas.revoke(consent)
    refusals = AuditEvent.objects.filter(kind=AuditEvent.Kind.DISCLOSURE_REFUSED, actor=family_member)
    before = refusals.count()
    with ten_minutes_before(video_session):
        response = press_join(personas.login(Client(), family_member), video_session)
    assert response.status_code == 403
    assert "You cannot join this video call" in response.content.decode()
    assert "Location" not in response and video_session.video_room not in response.content.decode()
    assert refusals.count() == before + 1
    assert refusals.latest("seq").data == {"scope": "schedule", "channel": "web"}


def test_a_group_participant_whose_consent_ends_is_refused(jitsi, counselor, patient, family_member, consent):
    starts = future_start()
    session, _invites = schedule_group_session(
        actor=counselor,
        patients=[patient],
        starts_at=starts,
        ends_at=starts + timedelta(minutes=90),
        modality=FamilySession.Modality.VIDEO,
        title="Family night",
    )
    assert session.video_room
    with ten_minutes_before(session):
        client = personas.login(Client(), family_member)
        assert claims_of(press_join(client, session), jitsi, session)["room"] == session.video_room
        personas.revoke(consent)
        assert press_join(client, session).status_code == 403


@pytest.mark.parametrize("who", ["outsider", "revoked_member", "unassigned_counselor", "other_patient"])
def test_people_who_do_not_take_part_get_404(request, video_session, who):
    person = request.getfixturevalue(who)
    with ten_minutes_before(video_session):
        response = press_join(personas.login(Client(), person), video_session)
    assert response.status_code == 404
    assert "Location" not in response


def test_an_unknown_session_is_404_and_join_is_post_only_and_csrf_protected(video_session, family_member):
    with ten_minutes_before(video_session):
        client = personas.login(Client(), family_member)
        assert client.post(reverse("scheduling:video_join", args=[UNKNOWN_SESSION])).status_code == 404
        assert client.get(reverse("scheduling:video_join", args=[video_session.pk])).status_code == 405
        strict = personas.login(Client(enforce_csrf_checks=True), family_member)
        assert press_join(strict, video_session).status_code == 403


def test_join_runs_a_fixed_number_of_queries(jitsi, video_session, family_member, django_assert_max_num_queries):
    with ten_minutes_before(video_session):
        client = personas.login(Client(), family_member)
        with django_assert_max_num_queries(7):
            assert press_join(client, video_session).status_code == 302


def test_join_and_its_refusals_speak_spanish(video_session, family_member, consent):
    family_member.preferred_language = "es"
    family_member.save(update_fields=["preferred_language"])
    client = personas.login(Client(headers={"Accept-Language": "es"}), family_member)
    page = client.get(video_session.get_absolute_url()).content.decode()
    assert "Unirse a la videollamada" in page and "La sala de video es privada" in page
    early = client.post(reverse("scheduling:video_join", args=[video_session.pk]), follow=True)
    assert "La sala de video se abre 15 minutos antes del inicio." in early.content.decode()
    personas.revoke(consent)
    refused = press_join(client, video_session)
    assert "No puede unirse a esta videollamada" in refused.content.decode()


def test_a_room_left_over_after_video_is_switched_off_offers_no_join(settings, video_session, family_member):
    settings.VIDEO_PROVIDER = ""
    client = personas.login(Client(), family_member)
    page = client.get(video_session.get_absolute_url()).content.decode()
    assert reverse("scheduling:video_join", args=[video_session.pk]) not in page
    with ten_minutes_before(video_session):
        assert press_join(personas.login(Client(), family_member), video_session).status_code == 404
