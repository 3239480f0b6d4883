"""ROB-01: bad input is a clear error that changes nothing, never a 500.

Every query parameter and every date, date-time or number field a user types (found by grepping the views and
forms for ``request.GET``, ``DateField``, ``DateTimeField``, ``fromisoformat`` and ``timedelta`` arithmetic on
user dates), plus the integer URL segments, is fed extreme dates (year 1, year 9999, days past Python's range),
malformed strings and huge numbers by Hypothesis. Each answer must be below 500 and leave the data as it was.
Each target also has a control: the same request with a good value succeeds, so a refusal was the bad field's
doing, not a broken request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django import forms
from django.apps import apps
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accounts.models import User
from consent.models import Consent, PersonalRepresentative
from education.models import Assignment
from scheduling.models import AvailabilityException, FamilySession, SessionRequest
from tests.consent.conftest import mark_reauthenticated
from tests.support import personas
from tests.support.portal_world import World, build_world

pytestmark = pytest.mark.django_db

EXAMPLES = 8
LOGS = {"consent.Disclosure", "consent.AuditEvent"}  # reads and refusals are recorded, by design
APPS = ("accounts", "consent", "education", "scheduling", "messaging", "notifications")


# --- bad values -------------------------------------------------------------------------------------------------


def _parses_in_range(text: str) -> bool:
    """True when Django's own parsing would read ``text`` as a day the portal accepts (not a bad value)."""
    for parse in (forms.DateField().to_python, forms.DateTimeField().to_python):
        try:
            parsed = parse(text)
        except Exception:  # noqa: S112  (any refusal means: not a good value)
            continue
        if parsed is not None and 1900 <= parsed.year <= 2200:
            return True
    return False


_far_days = st.one_of(st.dates(max_value=date(1899, 12, 31)), st.dates(min_value=date(2201, 1, 1)))
_malformed = st.one_of(
    st.sampled_from(["2026-02-30", "2026-13-01", "0000-00-00", "10000-01-01", "-0001-01-01", "9999-99-99", "now"]),
    st.text(max_size=24).filter(str.strip),  # blank is "not given", which optional fields accept
).filter(lambda text: not _parses_in_range(text))
HUGE_INTS = st.one_of(
    st.integers(min_value=2**31), st.integers(max_value=-1), st.sampled_from(["1e999", "NaN", "0x10", "1.5", "-0"])
).map(str)
BAD_DATES = st.one_of(_far_days.map(date.isoformat), _malformed, HUGE_INTS)
BAD_DATETIMES = st.one_of(
    _far_days.map(lambda day: f"{day.isoformat()}T23:59"),
    st.sampled_from(["9999-12-31T23:59", "0001-01-01T00:00", "9999-12-31 23:59", "2026-01-01T25:00"]),
    _malformed,
    HUGE_INTS,
)


def _day(days: int) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def _moment(days: int, hour: int = 12) -> str:
    return f"{_day(days)}T{hour:02d}:00"


# --- targets ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One input: who sends it, where, the parameter under test, the other (good) fields, and a good value for it."""

    name: str
    persona: str
    method: str
    url: Callable[[World], str]
    param: str
    values: st.SearchStrategy[str]
    good: Callable[[World], str]
    base: Callable[[World], dict[str, Any]] = lambda world: {}
    good_changes: Callable[[World], Any] | None = None  # for POSTs: what the good value creates or moves

    def send(self, client: Client, world: World, value: str) -> Any:
        url = self.url(world)
        data = {**self.base(world), self.param: value}
        if self.method == "get":
            return client.get(url, data)
        return client.post(url, data)


def _pid(world: World) -> int:
    return world.people["patient"].pk


def _upcoming(world: World) -> FamilySession:
    return world.sessions["upcoming"]


def _session_fields(world: World) -> dict[str, Any]:
    return {
        "kind": "family_therapy",
        "title": "Family night",
        "duration": 60,
        "modality": "in_person",
        "location": "Room 2",
    }


def _consent_details(world: World) -> dict[str, Any]:
    return {
        "recipient_name": "Robin Rivera",
        "recipient_email": "robin@example.org",
        "scopes": ["schedule"],
        "purpose": Consent.Purpose.FAMILY_INVOLVEMENT.value,
        "expires_on": _day(30),
    }


TARGETS = [
    # query parameters
    Target("week view", "counselor", "get", lambda w: "/sessions/week/", "week", BAD_DATES, lambda w: _day(0)),
    Target(
        "attendance report (GET)",
        "counselor",
        "get",
        lambda w: "/sessions/attendance-report/",
        "start",
        BAD_DATES,
        lambda w: _day(-30),
        base=lambda w: {"patient": _pid(w), "end": _day(0)},
    ),
    Target(
        "attendance report patient",
        "counselor",
        "get",
        lambda w: "/sessions/attendance-report/",
        "patient",
        HUGE_INTS,
        lambda w: str(_pid(w)),
        base=lambda w: {"start": _day(-30), "end": _day(0)},
    ),
    Target("booking patient", "counselor", "get", lambda w: "/sessions/new/", "patient", HUGE_INTS, lambda w: ""),
    Target(
        "request patient",
        "family_member",
        "get",
        lambda w: "/sessions/requests/new/",
        "patient",
        HUGE_INTS,
        lambda w: "",
    ),
    Target(
        "older messages",
        "family_member",
        "get",
        lambda w: f"/messages/{w.conversations['care_team'].pk}/",
        "before",
        HUGE_INTS,
        lambda w: "",
    ),
    Target("outbox page", "counselor", "get", lambda w: "/notifications/outbox/", "page", HUGE_INTS, lambda w: "1"),
    Target("outbox state", "counselor", "get", lambda w: "/notifications/outbox/", "state", BAD_DATES, lambda w: ""),
    Target(
        "history page", "patient", "get", lambda w: "/consent/my-sharing/history/", "page", HUGE_INTS, lambda w: "1"
    ),
    Target("catalogue topic", "family_member", "get", lambda w: "/learn/", "topic", BAD_DATES, lambda w: ""),
    # form fields
    Target(
        "book a session",
        "counselor",
        "post",
        lambda w: f"/sessions/new/?patient={_pid(w)}",
        "starts_at",
        BAD_DATETIMES,
        lambda w: _moment(30),
        base=_session_fields,
        good_changes=lambda w: FamilySession.objects.count(),
    ),
    Target(
        "book an open event",
        "counselor",
        "post",
        lambda w: "/sessions/new/?open=1",
        "starts_at",
        BAD_DATETIMES,
        lambda w: _moment(31),
        base=lambda w: {**_session_fields(w), "kind": "education_night"},
        good_changes=lambda w: FamilySession.objects.count(),
    ),
    Target(
        "booking capacity",
        "counselor",
        "post",
        lambda w: "/sessions/new/?open=1",
        "capacity",
        HUGE_INTS,
        lambda w: "12",
        base=lambda w: {**_session_fields(w), "kind": "education_night", "starts_at": _moment(32)},
        good_changes=lambda w: FamilySession.objects.count(),
    ),
    Target(
        "booking length",
        "counselor",
        "post",
        lambda w: "/sessions/new/?open=1",
        "duration",
        HUGE_INTS,
        lambda w: "90",
        base=lambda w: {**_session_fields(w), "kind": "education_night", "starts_at": _moment(33)},
        good_changes=lambda w: FamilySession.objects.count(),
    ),
    Target(
        "reschedule",
        "counselor",
        "post",
        lambda w: f"/sessions/{_upcoming(w).pk}/reschedule/",
        "starts_at",
        BAD_DATETIMES,
        lambda w: _moment(40),
        base=lambda w: {"duration": 60},
        good_changes=lambda w: FamilySession.objects.get(pk=_upcoming(w).pk).starts_at,
    ),
    Target(
        "time off start",
        "counselor",
        "post",
        lambda w: "/sessions/availability/",
        "off-starts_at",
        BAD_DATETIMES,
        lambda w: _moment(50, 9),
        base=lambda w: {"action": "add_time_off", "off-ends_at": _moment(50, 17)},
        good_changes=lambda w: AvailabilityException.objects.count(),
    ),
    Target(
        "time off end",
        "counselor",
        "post",
        lambda w: "/sessions/availability/",
        "off-ends_at",
        BAD_DATETIMES,
        lambda w: _moment(51, 17),
        base=lambda w: {"action": "add_time_off", "off-starts_at": _moment(51, 9)},
        good_changes=lambda w: AvailabilityException.objects.count(),
    ),
    Target(
        "remove weekly hours",
        "counselor",
        "post",
        lambda w: "/sessions/availability/",
        "id",
        HUGE_INTS,
        lambda w: str(w.people["counselor"].availability.get().pk),
        base=lambda w: {"action": "delete_hours"},
        good_changes=lambda w: w.people["counselor"].availability.count(),
    ),
    Target(
        "suggest a time",
        "family_member",
        "post",
        lambda w: "/sessions/requests/new/",
        "proposed_1",
        BAD_DATETIMES,
        lambda w: _moment(60),
        base=lambda w: {"modality": "in_person"},
        good_changes=lambda w: SessionRequest.objects.count(),
    ),
    Target(
        "confirm at another time",
        "counselor",
        "post",
        lambda w: f"/sessions/requests/{w.session_request.pk}/confirm/",  # type: ignore[union-attr]
        "other_time",
        BAD_DATETIMES,
        lambda w: _moment(61),
        base=lambda w: {"modality": "in_person", "location": "Room 2"},
        good_changes=lambda w: FamilySession.objects.count(),
    ),
    Target(
        "attendance report (release)",
        "counselor",
        "post",
        lambda w: "/sessions/attendance-report/",
        "end",
        BAD_DATES,
        lambda w: _day(0),
        base=lambda w: {"patient": _pid(w), "start": _day(-30)},
    ),
    Target(
        "places of a group",
        "counselor",
        "post",
        lambda w: f"/sessions/{w.sessions['open_event'].pk}/places/",
        "capacity",
        HUGE_INTS,
        lambda w: str((FamilySession.objects.get(pk=w.sessions["open_event"].pk).capacity or 10) + 1),
        good_changes=lambda w: FamilySession.objects.get(pk=w.sessions["open_event"].pk).capacity,
    ),
    Target(
        "remove a participant",
        "counselor",
        "post",
        lambda w: f"/sessions/{_upcoming(w).pk}/remove-participant/",
        "participant",
        HUGE_INTS,
        lambda w: str(_upcoming(w).participants.get(user=w.people["family_member"]).pk),
        good_changes=lambda w: _upcoming(w).participants.current().count(),
    ),
    Target(
        "consent expiry",
        "patient",
        "post",
        lambda w: "/consent/my-sharing/new/",
        "expires_on",
        BAD_DATES,
        lambda w: _day(30),
        base=_consent_details,
    ),
    Target(
        "paper consent signed on",
        "counselor",
        "post",
        lambda w: f"/consent/patients/{_pid(w)}/paper/",
        "signed_on",
        BAD_DATES,
        lambda w: _day(-2),
        base=lambda w: {
            **_consent_details(w),
            "signer_role": Consent.SignerRole.PATIENT.value,
            "signature": "Pat Rivera",
            "paper_form_reference": "Paper form 9",
            "attested": "on",
        },
        good_changes=lambda w: Consent.objects.count(),
    ),
    Target(
        "paper consent expiry",
        "counselor",
        "post",
        lambda w: f"/consent/patients/{_pid(w)}/paper/",
        "expires_on",
        BAD_DATES,
        lambda w: _day(60),
        base=lambda w: {
            **_consent_details(w),
            "recipient_email": "sky@example.org",
            "signer_role": Consent.SignerRole.PATIENT.value,
            "signature": "Pat Rivera",
            "signed_on": _day(-2),
            "paper_form_reference": "Paper form 10",
            "attested": "on",
        },
        good_changes=lambda w: Consent.objects.count(),
    ),
    Target(
        "representative until",
        "counselor",
        "post",
        lambda w: f"/consent/patients/{_pid(w)}/representative/",
        "expires_on",
        BAD_DATES,
        lambda w: _day(365),
        base=lambda w: {
            "email": w.people["learner"].email,
            "authority": PersonalRepresentative.Authority.HEALTH_CARE_POA.value,
            "document_reference": "POA 3",
        },
        good_changes=lambda w: PersonalRepresentative.objects.count(),
    ),
    Target(
        "assignment due date",
        "counselor",
        "post",
        lambda w: "/learn/assignments/",
        "due_on",
        BAD_DATES,
        lambda w: _day(14),
        base=lambda w: {"patient": w.people["other_patient"].pk, "module": w.module.pk},  # type: ignore[union-attr]
        good_changes=lambda w: Assignment.objects.count(),
    ),
]

# integer URL segments, fuzzed in the path itself
PATH_TARGETS = [
    ("counselor", lambda w, n: f"/consent/patients/{n}/"),
    ("counselor", lambda w, n: f"/consent/patients/{n}/disclosures.csv"),
    ("representative", lambda w, n: f"/consent/for/{n}/"),
    ("representative", lambda w, n: f"/consent/for/{n}/history/"),
    ("family_member", lambda w, n: f"/learn/m/{w.module.slug}/lessons/{n}/"),  # type: ignore[union-attr]
    ("counselor", lambda w, n: f"/learn/manage/{w.module.slug}/v/{n}/"),  # type: ignore[union-attr]
    ("family_member", lambda w, n: f"/messages/{w.conversations['care_team'].pk}/messages/{n}/edit/"),
    ("family_member", lambda w, n: f"/messages/{w.conversations['care_team'].pk}/messages/{n}/history/"),
]


# --- fixtures and checks ------------------------------------------------------------------------------------------


@pytest.fixture
def world(patient, counselor, program_admin, family_member, other_patient, learner) -> World:
    personas.assign(counselor, other_patient)
    representative = personas.make_user("gwen@example.org", User.Role.FAMILY, None, full_name="Gwen Guardian")
    return build_world(
        {
            "patient": patient,
            "counselor": counselor,
            "program_admin": program_admin,
            "family_member": family_member,
            "representative": representative,
            "other_patient": other_patient,
            "learner": learner,
        }
    )


@pytest.fixture
def clients(world: World) -> dict[str, Client]:
    signed_in = {}
    for persona in {target.persona for target in TARGETS} | {persona for persona, _ in PATH_TARGETS}:
        client = personas.login(Client(raise_request_exception=False), world.people[persona])
        mark_reauthenticated(client)  # the consent wizard asks for the password again (AUTH-08)
        signed_in[persona] = client
    return signed_in


def snapshot() -> dict[str, Any]:
    """Row counts of every model of the portal's apps (the read and refusal logs aside), and the session times."""
    counts: dict[str, Any] = {
        model._meta.label: model._default_manager.count()
        for app in APPS
        for model in apps.get_app_config(app).get_models()
        if model._meta.label not in LOGS
    }
    counts["session times"] = sorted(FamilySession.objects.values_list("pk", "starts_at", "ends_at", "status"))
    return counts


def _refused_cleanly(response: Any, target: str, value: str) -> None:
    assert response.status_code < 500, f"{target}: {value!r} → {response.status_code}"
    location = response.headers.get("Location", "")
    assert not location.startswith("/accounts/"), f"{target}: {value!r} sent the client to {location}"


_hypothesis = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _bad_values_change_nothing(target: Target, client: Client, world: World) -> Callable[[], None]:
    @_hypothesis
    @given(value=target.values)
    @example(value="9999-12-31")
    @example(value="0001-01-01")
    @example(value="9999-12-31T23:59")
    @example(value="99999999999999999999999")
    def check(value: str) -> None:
        before = snapshot()
        response = target.send(client, world, value)
        _refused_cleanly(response, target.name, value)
        assert snapshot() == before, f"{target.name}: {value!r} changed the data"

    return check


def test_bad_dates_and_numbers_are_refused_without_a_server_error_or_a_change(world, clients) -> None:
    for target in TARGETS:
        client = clients[target.persona]
        _bad_values_change_nothing(target, client, world)()

        # Control: the same request with a good value goes through, so the refusals above were the field's doing.
        before = target.good_changes(world) if target.good_changes else None
        response = target.send(client, world, target.good(world))
        assert response.status_code in (200, 302), f"{target.name}: good value → {response.status_code}"
        if target.good_changes:
            assert target.good_changes(world) != before, f"{target.name}: the good value changed nothing"


def _huge_numbers_are_not_found(url: Callable[[World, int], str], client: Client, world: World) -> Callable[[], None]:
    @_hypothesis
    @given(number=st.integers(min_value=2**31))
    @example(number=2**63)
    @example(number=10**30)
    def check(number: int) -> None:
        path = url(world, number)
        response = client.get(path)
        assert response.status_code == 404, f"{path} → {response.status_code}"

    return check


def test_huge_numbers_in_url_paths_are_not_found(world, clients) -> None:
    for persona, url in PATH_TARGETS:
        _huge_numbers_are_not_found(url, clients[persona], world)()


def test_week_view_far_from_today_answers_with_the_reason(world, clients) -> None:
    for week in ("9999-12-31", "0001-01-01", "2200-12-31", "1900-01-01"):
        response = clients["counselor"].get("/sessions/week/", {"week": week})
        assert response.status_code == (200 if week[:4] in ("2200", "1900") else 400), week
    refused = clients["counselor"].get("/sessions/week/", {"week": "9999-12-31"})
    assert "Enter a date between" in refused.content.decode()


def test_booking_far_in_the_future_is_a_form_error(world, clients) -> None:
    before = FamilySession.objects.count()
    response = clients["counselor"].post(
        f"/sessions/new/?patient={_pid(world)}", {**_session_fields(world), "starts_at": "9999-12-31T23:59"}
    )
    assert response.status_code == 200
    # The dates in LONG_DATE_FORMAT (family_portal/formats/en/formats.py).
    expected = "Enter a date between January 1, 1900 and December 31, 2200."
    assert response.context["form"].errors["starts_at"] == [expected]
    assert FamilySession.objects.count() == before
