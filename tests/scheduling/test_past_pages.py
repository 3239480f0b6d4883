"""Past sessions are paginated (20 a page, newest first): constant queries however deep, no 5xx on a bad page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from consent.models import Disclosure
from scheduling.models import FamilySession, Participant
from scheduling.services import respond_rsvp
from scheduling.views import PAST_PER_PAGE
from tests.scheduling.conftest import book, future_start

pytestmark = pytest.mark.django_db

LIST = reverse("scheduling:session_list")


def _past_sessions(counselor, patient, member, count: int, start_index: int = 0) -> list[FamilySession]:
    """``count`` ended sessions, one a day going back from ten days ago (index 0 the newest)."""
    base = future_start(days=2)
    booked = [
        book(counselor, patient, [member], starts_at=base + timedelta(hours=2 * i))
        for i in range(start_index, start_index + count)
    ]
    pks = [s.pk for s in booked]
    for i, pk in enumerate(pks, start=start_index):
        shift = timedelta(days=12 + i) + timedelta(hours=2 * i)
        FamilySession.objects.filter(pk=pk).update(starts_at=F("starts_at") - shift, ends_at=F("ends_at") - shift)
    return list(FamilySession.objects.filter(pk__in=pks).order_by("-starts_at"))


def _links(page: str, sessions: list[FamilySession]) -> list[bool]:
    """Which sessions the past-sessions section links to (notices above it link to sessions too)."""
    past_section = page.split('id="past-title"', 1)[1]
    return [s.get_absolute_url() in past_section for s in sessions]


@pytest.mark.parametrize("persona", ["family_member", "counselor"])
def test_past_sessions_come_twenty_a_page_with_older_and_newer(
    login, request, counselor, patient, family_member, persona
):
    sessions = _past_sessions(counselor, patient, family_member, 2 * PAST_PER_PAGE + 5)
    client = login(request.getfixturevalue(persona))

    first = client.get(LIST).content.decode()
    assert _links(first, sessions) == [True] * PAST_PER_PAGE + [False] * (PAST_PER_PAGE + 5)
    assert "?page=2#past-title" in first and "Older" in first and "Newer" not in first

    second = client.get(LIST, {"page": "2"}).content.decode()
    assert _links(second, sessions) == [False] * PAST_PER_PAGE + [True] * PAST_PER_PAGE + [False] * 5
    assert "?page=1#past-title" in second and "?page=3#past-title" in second

    last = client.get(LIST, {"page": "3"}).content.decode()
    assert _links(last, sessions) == [False] * (2 * PAST_PER_PAGE) + [True] * 5
    assert "Newer" in last and "Older" not in last


def test_a_short_history_has_no_pager(login, counselor, patient, family_member):
    _past_sessions(counselor, patient, family_member, 3)
    page = login(family_member).get(LIST).content.decode()
    assert "Pages of past sessions" not in page and "?page=" not in page


@pytest.mark.parametrize("raw", ["abc", "0", "-1", "2.5", "１", "²", "9" * 40, ""])
def test_a_malformed_page_number_shows_the_first_page(login, counselor, patient, family_member, raw):
    sessions = _past_sessions(counselor, patient, family_member, PAST_PER_PAGE + 1)
    response = login(family_member).get(LIST, {"page": raw})
    assert response.status_code == 200
    assert _links(response.content.decode(), sessions) == [True] * PAST_PER_PAGE + [False]


@pytest.mark.parametrize("persona", ["family_member", "counselor"])
def test_a_page_past_the_end_is_not_found(login, request, counselor, patient, family_member, persona):
    _past_sessions(counselor, patient, family_member, PAST_PER_PAGE + 1)
    client = login(request.getfixturevalue(persona))
    assert client.get(LIST, {"page": "2"}).status_code == 200
    assert client.get(LIST, {"page": "3"}).status_code == 404
    assert client.get(LIST, {"page": "999999"}).status_code == 404


@pytest.mark.parametrize("persona", ["family_member", "counselor", "patient"])
@pytest.mark.parametrize("page", ["1", "2"])
def test_query_count_is_the_same_however_long_the_history(
    login, request, django_assert_num_queries, counselor, patient, family_member, persona, page
):
    _past_sessions(counselor, patient, family_member, PAST_PER_PAGE + 1)
    book(counselor, None, starts_at=future_start(days=40))  # an education night in the mix
    client = login(request.getfixturevalue(persona))
    client.get(LIST, {"page": page})  # warm caches (content types, program row on the user)
    with CaptureQueriesContext(connection) as short:
        client.get(LIST, {"page": page})
    _past_sessions(counselor, patient, family_member, 2 * PAST_PER_PAGE, start_index=PAST_PER_PAGE + 1)
    with django_assert_num_queries(len(short)):
        response = client.get(LIST, {"page": page})
    assert response.content.decode().count("Record attendance" if persona == "counselor" else "Not recorded") >= (
        PAST_PER_PAGE
    )


def test_an_older_page_is_recorded_as_disclosed_like_the_first(login, counselor, patient, family_member):
    _past_sessions(counselor, patient, family_member, PAST_PER_PAGE + 1)
    client = login(family_member)
    before = Disclosure.objects.filter(recipient=family_member, patient=patient).count()
    client.get(LIST, {"page": "2"})
    assert Disclosure.objects.filter(recipient=family_member, patient=patient).count() == before + 1


def test_the_pager_is_in_spanish_for_a_spanish_reader(login, counselor, patient, family_member):
    _past_sessions(counselor, patient, family_member, PAST_PER_PAGE + 1)
    family_member.preferred_language = "es"
    family_member.save(update_fields=["preferred_language"])
    page = login(family_member).get(LIST, {"page": "2"}, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    for spanish in ('aria-label="Páginas de sesiones anteriores"', "Página 2", "Más recientes"):
        assert spanish in page, spanish
    for english in ("Pages of past sessions", "Page 2", "Newer"):
        assert english not in page, english


def test_an_ended_open_event_is_listed_only_if_the_family_answered_it(login, counselor, family_member):
    answered = book(counselor, None, starts_at=future_start(days=4))
    unanswered = book(counselor, None, starts_at=future_start(days=5))
    respond_rsvp(user=family_member, session=answered, response=Participant.Rsvp.ACCEPTED)
    shift = timedelta(days=30)
    FamilySession.objects.filter(pk__in=[answered.pk, unanswered.pk]).update(
        starts_at=F("starts_at") - shift, ends_at=F("ends_at") - shift
    )
    page = login(family_member).get(LIST).content.decode()
    assert _links(page, [answered, unanswered]) == [True, False]
