"""ROB-01: signed in as each persona, every page reachable by following links from the dashboard answers without
a server error. The crawl lists each failing page with the page that linked it."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from messaging.summaries.models import ProgressSummary
from tests.support import personas
from tests.support.crawler import crawl
from tests.support.portal_world import World, build_world

pytestmark = pytest.mark.django_db

PAGE_LIMIT = 400


@pytest.fixture
def representative(program) -> User:
    return personas.make_user("gwen@example.org", User.Role.FAMILY, None, full_name="Gwen Guardian")


@pytest.fixture
def world(patient, counselor, program_admin, family_member, representative) -> World:
    return build_world(
        {
            "patient": patient,
            "counselor": counselor,
            "program_admin": program_admin,
            "family_member": family_member,
            "representative": representative,
        }
    )


def must_reach(world: World, persona: str) -> set[str]:
    """Pages each crawl has to find, so a crawl that stops early (a broken dashboard, a lost session) fails."""
    upcoming = world.sessions["upcoming"].get_absolute_url()
    pages = {"/accounts/sessions/", "/account/"}
    if persona in ("counselor", "program_admin"):
        pages |= {"/sessions/week/", "/notifications/outbox/", "/consent/patients/", upcoming}
    if persona == "program_admin":
        pages |= {
            "/console/",
            "/console/staff/",
            "/console/staff/new/",
            f"/console/staff/{world.people['counselor'].pk}/deactivate/",
            "/console/caseloads/",
            "/console/hours/",
            "/console/consent-forms/",
            "/console/consent-forms/new/",
            "/console/review/",
        }
    summary = f"/summaries/{ProgressSummary.objects.get(patient=world.people['patient']).pk}/"
    if persona in ("counselor", "program_admin"):
        pages |= {f"/summaries/patient/{world.people['patient'].pk}/", f"{summary}edit/"}
    if persona != "program_admin":
        pages |= {"/summaries/", summary}
    if persona == "counselor":
        pages |= {"/sessions/availability/", f"/messages/{world.conversations['direct'].pk}/"}
    if persona == "family_member":
        pages |= {upcoming, f"/messages/{world.conversations['care_team'].pk}/", "/learn/"}
    if persona == "patient":
        pages |= {"/consent/my-sharing/", upcoming}
    if persona == "representative":
        pages |= {f"/consent/for/{world.people['patient'].pk}/"}
    return pages


@pytest.mark.parametrize("persona", ["family_member", "patient", "counselor", "program_admin", "representative"])
def test_every_linked_page_answers_without_a_server_error(world: World, persona: str) -> None:
    client = personas.login(Client(raise_request_exception=False), world.people[persona])

    result = crawl(client, "/dashboard/", limit=PAGE_LIMIT)

    assert not result.server_errors(), "\n".join(result.server_errors())
    missing = {page for page in must_reach(world, persona) if page not in result.visited}
    assert not missing, f"{persona} never reached {sorted(missing)} in {len(result.visited)} pages"
    # Still signed in at the end: the crawl saw the pages, not the sign-in form.
    assert client.get("/dashboard/").status_code == 200
