"""A person edits their own name and time zone; bad input changes nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_family_member_updates_time_zone(login, family_member):
    client = login(family_member)
    response = client.post(
        reverse("accounts:profile"),
        {"full_name": "Fran Rivera", "preferred_name": "Fran", "time_zone": "America/Chicago"},
    )
    assert response.status_code == 302
    family_member.refresh_from_db()
    assert (family_member.preferred_name, family_member.time_zone) == ("Fran", "America/Chicago")


def test_unknown_time_zone_is_rejected_and_nothing_changes(login, family_member):
    client = login(family_member)
    response = client.post(
        reverse("accounts:profile"), {"full_name": "Changed", "preferred_name": "", "time_zone": "Mars/Olympus"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    family_member.refresh_from_db()
    assert family_member.full_name == "Fran Rivera"


def test_profile_links_to_security_settings(login, patient):
    body = login(patient).get(reverse("accounts:profile")).content.decode()
    assert reverse("mfa_index") in body and reverse("account_change_password") in body


def test_family_member_without_zone_or_program_sees_the_deployment_default(settings, family_member):
    settings.PORTAL_DEFAULT_TIME_ZONE = "America/Chicago"
    assert family_member.program is None and not family_member.time_zone
    assert str(family_member.tz) == "America/Chicago"
