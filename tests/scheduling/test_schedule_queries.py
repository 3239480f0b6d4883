"""The family's schedule page within its query budget: six queries, however many sessions, counselors, requests and
notices; the counselors' names come with the sessions (display names, in the users' order)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from consent.models import Disclosure
from scheduling.models import FamilySession, SessionNotice, SessionRequest
from tests.scheduling.conftest import book, future_start
from tests.support import personas

pytestmark = pytest.mark.django_db

LIST = reverse("scheduling:session_list")
# The signed-in user; the gate's consents; upcoming sessions and the page of past ones with the counselors' names;
# the ledger row; the requests; the notices.
FAMILY_SCHEDULE_QUERIES = 6


def _counselor(program, patient, email: str, **names: str) -> User:
    user = personas.make_staff(email, program, **names)
    personas.assign(user, patient)
    return user


def _more(counselor, program, patient, member, *, index: int) -> None:
    """Another upcoming session led by two counselors, a past one, an open event, a request and its notice."""
    other = _counselor(program, patient, f"co{index}@example.org", full_name=f"Co Lead {index}")
    upcoming = book(counselor, patient, [member], starts_at=future_start(days=2 + index))
    upcoming.counselors.add(other)
    ended = book(counselor, patient, [member], starts_at=future_start(days=100 + index))
    shift = timedelta(days=200)
    FamilySession.objects.filter(pk=ended.pk).update(starts_at=F("starts_at") - shift, ends_at=F("ends_at") - shift)
    book(counselor, None, starts_at=future_start(days=50 + index))
    asked = SessionRequest.objects.create(
        patient=patient, requested_by=member, counselor=counselor, proposed_times=[], status="declined"
    )
    SessionNotice.objects.create(recipient=member, request=asked, kind=SessionNotice.Kind.REQUEST_DECLINED)


def _page_queries(client, page: str = "1") -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(LIST, {"page": page})
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries]


@pytest.mark.parametrize("page", ["1", "2"])
def test_the_family_schedule_takes_six_queries_however_much_there_is(
    login, program, counselor, patient, family_member, page
):
    for index in range(21 if page == "2" else 1):  # a second page of past sessions exists
        _more(counselor, program, patient, family_member, index=index)
    client = login(family_member)
    client.get(LIST, {"page": page})  # warm caches (content types, program row on the user)
    assert len(_page_queries(client, page)) == FAMILY_SCHEDULE_QUERIES

    for index in range(21, 26):
        _more(counselor, program, patient, family_member, index=index)
    queries = _page_queries(client, page)
    assert len(queries) == FAMILY_SCHEDULE_QUERIES, "\n".join(queries)
    assert sum("INSERT" in sql for sql in queries) == 1  # the ledger row is still written


def test_the_counselors_are_named_as_before_in_the_users_order(login, program, counselor, patient, family_member):
    session = book(counselor, patient, [family_member])
    session.counselors.add(
        _counselor(program, patient, "zed@example.org", full_name="Aaron Zed", preferred_name="Zee"),
        _counselor(program, patient, "nameless@example.org", full_name=""),
        _counselor(program, patient, "bea@example.org", full_name="Bea Adams"),
    )
    User.objects.filter(email="nameless@example.org").update(full_name="")
    book(counselor, None, starts_at=future_start(days=9))
    page = login(family_member).get(LIST).content.decode()
    # full name then email: "" (nameless) < "Aaron Zed" < "Bea Adams" < "Casey Morgan"; shown as display names
    assert "With nameless@example.org, Zee, Bea Adams, Casey Morgan</p>" in page
    assert "With Casey Morgan</p>" in page  # the open event


def test_a_session_without_counselors_names_nobody(login, counselor, patient, family_member):
    session = book(counselor, patient, [family_member])
    session.counselors.clear()
    page = login(family_member).get(LIST).content.decode()
    assert session.get_absolute_url() in page and "· With" not in page


def test_upcoming_and_past_keep_their_order_and_the_ledger_its_row(login, counselor, patient, family_member):
    later = book(counselor, patient, [family_member], starts_at=future_start(days=6))
    sooner = book(counselor, patient, [family_member], starts_at=future_start(days=4))
    older, newer = (book(counselor, patient, [family_member], starts_at=future_start(days=d)) for d in (20, 22))
    FamilySession.objects.filter(pk__in=[older.pk, newer.pk]).update(
        starts_at=F("starts_at") - timedelta(days=40), ends_at=F("ends_at") - timedelta(days=40)
    )
    before = Disclosure.objects.filter(recipient=family_member, patient=patient).count()
    page = login(family_member).get(LIST).content.decode()
    upcoming, past = page.split('id="upcoming-title"', 1)[1].split('id="past-title"', 1)
    assert upcoming.index(sooner.get_absolute_url()) < upcoming.index(later.get_absolute_url())
    assert older.get_absolute_url() not in upcoming and later.get_absolute_url() not in past
    assert past.index(newer.get_absolute_url()) < past.index(older.get_absolute_url())
    assert Disclosure.objects.filter(recipient=family_member, patient=patient).count() == before + 1
