"""The counselor roster (``consent:patient_list``): each consent's status badge, "Ends …" for an active consent ending
within two weeks and "Not connected" for an active family consent nobody has joined under, and neither for a consent
that is no longer active; the page makes the same exact number of queries for one patient or twenty."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Program, User
from consent.models import Consent
from tests.support import personas

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cache_of_its_own(settings: Any) -> None:
    """Exact counts need a warm cache only this test writes: a Redis cache is shared with other test processes,
    whose writes under the same ids can turn a cached unread count cold (one query more)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "counts"}}


# The signed-in user (with program), the MFA check, the gate's grants, the patients (each with the counselor's
# break-glass grant and the count of paper consents to review), their consents.
ROSTER_QUERIES = 5


def _items(body: str, names: list[str]) -> dict[str, str]:
    """The list item of each of ``names`` on the roster, its tags stripped and its spaces collapsed."""
    items = [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in re.findall(r"<li>(.*?)</li>", body, re.S)]
    return {name: next(item for item in items if item.startswith(name)) for name in names}


def test_each_consent_reads_its_status_and_only_active_ones_their_warnings(
    program: Program, counselor: User, patient: User
) -> None:
    names = ["Soon Ending", "Long Lasting", "Never Joined", "Ended Already"]
    members = {
        name: personas.make_user(f"{name.split()[0].lower()}@example.org", User.Role.FAMILY, None, full_name=name)
        for name in names
    }
    personas.consent_for(patient, members["Soon Ending"], days=7)
    personas.consent_for(patient, members["Long Lasting"], days=100)
    unjoined = personas.consent_for(patient, members["Never Joined"], days=7)
    Consent.objects.filter(pk=unjoined.pk).update(recipient=None)
    ended = personas.consent_for(patient, members["Ended Already"], days=7)
    Consent.objects.filter(pk=ended.pk).update(expires_at=timezone.now())

    body = personas.login(Client(), counselor).get(reverse("consent:patient_list")).content.decode()
    items = _items(body, names)

    assert re.match(r"Soon Ending Active Ends \w+ \d+$", items["Soon Ending"])
    assert items["Long Lasting"] == "Long Lasting Active"
    assert re.match(r"Never Joined Active Ends \w+ \d+ Not connected$", items["Never Joined"])
    assert items["Ended Already"] == "Ended Already Expired"
    assert '<span class="badge badge-ok">Active</span>' in body
    assert '<span class="badge badge-neutral">Expired</span>' in body


def _caseload(counselor: User, program: Program, count: int, prefix: str) -> None:
    for n in range(count):
        patient = personas.make_user(f"{prefix}p{n}@example.org", User.Role.PATIENT, program)
        personas.assign(counselor, patient)
        member = personas.make_user(f"{prefix}f{n}@example.org", User.Role.FAMILY, None)
        personas.consent_for(patient, member, days=7 if n % 2 else 100)


def _queries(client: Client) -> list[dict[str, Any]]:
    url = reverse("consent:patient_list")
    client.get(url)  # warm: cached unread counts (messaging.unread) for this caseload
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return captured.captured_queries


def test_the_roster_makes_the_same_seven_queries_for_one_patient_or_twenty(program: Program, counselor: User) -> None:
    client = personas.login(Client(), counselor)
    _caseload(counselor, program, 1, "a")
    one = _queries(client)
    _caseload(counselor, program, 19, "b")
    twenty = _queries(client)
    assert len(one) == len(twenty) == ROSTER_QUERIES, [q["sql"] for q in twenty]
