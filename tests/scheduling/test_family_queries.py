"""The family schedule's compiled queries (``scheduling.family_queries``) return exactly the ORM's rows, are used
only for a gate answer of their shape, and never outlive a consent: a revoked consent empties the next page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from consent import request_memo
from scheduling.models import FamilySession, SessionNotice, SessionRequest
from scheduling.views import sessions
from tests.scheduling.conftest import book, future_start
from tests.support import personas

pytestmark = pytest.mark.django_db

LIST = reverse("scheduling:session_list")


def _schedule(counselor: User, patient: User, member: User) -> None:
    """An upcoming session led by two counselors, a past one, an open event, a request and its notice."""
    assert counselor.program is not None
    upcoming = book(counselor, patient, [member], starts_at=future_start(days=2))
    upcoming.counselors.add(personas.make_staff("co@example.org", counselor.program, full_name="Co Lead"))
    ended = book(counselor, patient, [member], starts_at=future_start(days=4))
    shift = timedelta(days=30)
    FamilySession.objects.filter(pk=ended.pk).update(starts_at=F("starts_at") - shift, ends_at=F("ends_at") - shift)
    book(counselor, None, starts_at=future_start(days=5))
    asked = SessionRequest.objects.create(
        patient=patient, requested_by=member, counselor=counselor, proposed_times=[], status="declined"
    )
    SessionNotice.objects.create(recipient=member, request=asked, kind=SessionNotice.Kind.REQUEST_DECLINED)


def _loaded(row: object) -> object:
    """Everything a row was loaded with: its fields and annotations, and its related objects, the same way."""
    if row is None:
        return None
    state = row._state  # type: ignore[attr-defined]
    fields = {name: value for name, value in vars(row).items() if name != "_state"}
    return fields, {name: _loaded(related) for name, related in state.fields_cache.items()}


def _compiled_and_orm(query: sessions.FamilyQuery, user: User) -> tuple[list | None, list]:
    now = timezone.now()
    with request_memo.opened():  # as in a GET request: the gate's answer is remembered
        return query.rows(user, now), list(query.build(user, now))


@pytest.mark.parametrize("query", ["_FIRST_PAGE", "_REQUESTS", "_NOTICES"])
def test_compiled_rows_equal_the_orms(counselor, patient, family_member, other_patient, outsider, query):
    _schedule(counselor, patient, family_member)
    personas.assign(counselor, other_patient)
    book(counselor, other_patient, [outsider], starts_at=future_start(days=3))  # another family's: never listed
    compiled, orm = _compiled_and_orm(getattr(sessions, query), family_member)
    assert compiled is not None  # one patient of one program: the compiled SQL answers
    assert orm  # and there is something to compare
    assert [_loaded(row) for row in compiled] == [_loaded(row) for row in orm]


def test_other_answers_use_the_orm(counselor, patient, family_member, program):
    _schedule(counselor, patient, family_member)
    second = personas.make_user("second@example.org", User.Role.PATIENT, program, full_name="Sam Second")
    personas.consent_for(second, family_member, scopes=["schedule"])
    compiled, orm = _compiled_and_orm(sessions._FIRST_PAGE, family_member)  # two patients: not the compiled shape
    assert compiled is None and orm
    assert _compiled_and_orm(sessions._FIRST_PAGE, counselor)[0] is None  # staff: the ORM, as before


def test_a_revoked_consent_empties_the_next_page(login, counselor, patient, family_member, consent):
    _schedule(counselor, patient, family_member)
    client = login(family_member)
    before = client.get(LIST).content.decode()
    assert "Family session" in before and "Request from" in before and "About your request" in before
    personas.revoke(consent)
    after = client.get(LIST).content.decode()
    assert "Family session" not in after and "Request from" not in after and "About your request" not in after
    compiled, orm = _compiled_and_orm(sessions._FIRST_PAGE, family_member)
    assert compiled is None and orm == []
