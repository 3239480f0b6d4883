"""Every scheduling page that says "Times are shown in …" names the zone its times are in (never "()")."""

from __future__ import annotations

import re
from datetime import time

import pytest
from django.urls import reverse

from scheduling.models import Availability
from scheduling.services import request_session
from scheduling.slots import open_slots

pytestmark = pytest.mark.django_db

NOTE = re.compile(r"Times are shown in ([^(<]*) \(([^)]*)\)")


def zone_named(page: str) -> tuple[str, str]:
    found = NOTE.search(page)
    assert found, "no time-zone note"
    return found.group(1).strip(), found.group(2)


def test_every_staff_page_with_the_note_names_the_counselors_zone(login, counselor, family_session):
    client = login(counselor)
    pk = family_session.pk
    for url in (
        reverse("scheduling:session_list"),
        reverse("scheduling:week"),
        reverse("scheduling:availability"),
        reverse("scheduling:session_create") + f"?patient={family_session.patient_id}",
        reverse("scheduling:session_detail", args=[pk]),
        reverse("scheduling:session_reschedule", args=[pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert zone_named(response.content.decode()) == ("New York time", "America/New_York"), url


def test_session_request_pages_name_the_family_members_own_zone(login, counselor, patient, family_member):
    family_member.time_zone = "Europe/London"
    family_member.save(update_fields=["time_zone"])
    Availability.objects.create(
        counselor=counselor, weekday=2, start_time=time(10), end_time=time(12), time_zone="America/New_York"
    )
    client = login(family_member)
    page = client.get(reverse("scheduling:request_create")).content.decode()
    assert zone_named(page) == ("London time", "Europe/London")
    asked = request_session(
        requester=family_member,
        patient=patient,
        slot_key=open_slots(counselor_ids=[counselor.pk])[0].key,
        proposed_times=[],
        modality="in_person",
        message="",
    )
    assert zone_named(client.get(asked.get_absolute_url()).content.decode()) == ("London time", "Europe/London")
    assert zone_named(login(counselor).get(asked.get_absolute_url()).content.decode()) == (
        "New York time",
        "America/New_York",
    )
