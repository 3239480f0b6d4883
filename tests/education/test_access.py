"""Who may read which modules (issue 15): general education for everyone signed in, a program's enrolled-only
modules for its staff and linked families, drafts for nobody."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from education import authoring
from education.models import Module
from tests.education import idor
from tests.support import personas
from tests.support.education_content import SOURCES, draft_module, published_module

pytestmark = pytest.mark.django_db

DETAILS = {"title": "Limited", "summary": "Short.", "topic": "other", "sources": SOURCES}


def _module_url(module: Module) -> str:
    return reverse("education:module", kwargs={"slug": module.slug})


EVERYONE = (
    "family_member",
    "outsider",
    "counselor",
    "unassigned_counselor",
    "program_admin",
    "learner",
    "revoked_member",
    "patient",
    "other_program_counselor",
    "other_program_member",
)


@pytest.fixture
def other_program_member(other_program):
    """A family member linked (by consent) to a patient of the other program only."""
    hill_patient = personas.make_user("hp@example.org", "patient", other_program)
    member = personas.make_user("hm@example.org", "family", None, full_name="Hana Hill")
    personas.consent_for(hill_patient, member)
    return member


@pytest.fixture
def general_modules(program, other_program):
    """General education of every kind: shared, this program's own and another program's own (not marked)."""
    return [
        published_module("understanding-addiction", title="How the brain changes"),
        published_module("riverside-welcome", title="Welcome to Riverside", program=program),
        published_module("hillside-welcome", title="Welcome to Hillside", program=other_program),
    ]


@pytest.mark.parametrize("persona", EVERYONE)
def test_general_modules_open_for_everyone_signed_in(client, login, request, general_modules, persona):
    """Issue 15: general education is not patient information; no consent is needed to learn."""
    login(request.getfixturevalue(persona))
    for module in general_modules:
        assert idor.opens(client, module), (persona, module.slug, idor.walk(client, module))


def test_learner_with_no_consent_sees_every_general_module_in_the_catalogue(
    client, login, learner, general_modules, overdose_module, enrolled_module
):
    login(learner)
    html = client.get(reverse("education:catalogue")).content.decode()
    for title in ("How the brain changes", "Welcome to Riverside", "Welcome to Hillside", "Overdose basics"):
        assert title in html
    assert "Visiting Riverside" not in html


@pytest.mark.parametrize(
    ("persona", "opens"),
    [
        ("counselor", True),
        ("unassigned_counselor", True),  # staff of the program, caseload or not: content is not patient data
        ("program_admin", True),
        ("family_member", True),
        ("outsider", True),  # consented for another patient of the same program
        ("learner", False),
        ("revoked_member", False),
        ("patient", False),
        ("other_program_counselor", False),
        ("other_program_member", False),
    ],
)
def test_enrolled_only_module_is_for_the_programs_staff_and_linked_families(
    client, login, request, enrolled_module, persona, opens
):
    login(request.getfixturevalue(persona))
    if opens:
        assert idor.opens(client, enrolled_module), idor.walk(client, enrolled_module)
    else:
        assert idor.closed(client, enrolled_module), idor.walk(client, enrolled_module)
        assert "Visiting Riverside" not in client.get(reverse("education:catalogue")).content.decode()


def test_consent_of_any_scope_links_a_family_to_the_program(client, login, patient, enrolled_module):
    member = personas.make_user("min@example.org", "family", None)
    personas.consent_for(patient, member, scopes=["messaging"])
    login(member)
    assert idor.opens(client, enrolled_module)


def test_anonymous_visitor_is_sent_to_sign_in(client, shared_module):
    response = client.get(_module_url(shared_module))
    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.parametrize("persona", ["family_member", "learner", "counselor", "program_admin", "patient"])
def test_nobody_reads_a_draft_or_a_version_in_review_as_a_learner(client, login, request, program, persona):
    draft = draft_module("draft-only", program=program)
    review = draft_module("in-review")
    authoring.submit_for_review(version=review, author=None)
    login(request.getfixturevalue(persona))
    for version in (draft, review):
        assert client.get(reverse("education:module", args=[version.module.slug])).status_code == 404
        assert client.get(reverse("education:lesson", args=[version.module.slug, 1])).status_code == 404
        assert client.get(reverse("education:quiz", args=[version.module.slug])).status_code == 404
    html = client.get(reverse("education:catalogue")).content.decode()
    assert "Draft only" not in html and "In review" not in html


def test_archived_module_is_gone_for_learners(client, login, family_member, reviewer, shared_module):
    authoring.archive_module(module=shared_module, actor=reviewer)
    login(family_member)
    assert client.get(_module_url(shared_module)).status_code == 404


def test_other_programs_unpublished_content_is_404_for_its_learners_and_other_staff(
    client, login, family_member, counselor, other_program, other_program_counselor
):
    draft = draft_module("hillside-draft", program=other_program, author=other_program_counselor)
    for viewer in (family_member, counselor):
        login(viewer)
        assert client.get(reverse("education:module", args=[draft.module.slug])).status_code == 404
        assert client.get(reverse("education:manage_module", args=[draft.module.slug])).status_code == 404
        assert client.get(reverse("education:version_preview", args=[draft.module.slug, 1])).status_code == 404
    login(other_program_counselor)
    assert client.get(reverse("education:manage_module", args=[draft.module.slug])).status_code == 200


def test_family_member_loses_enrolled_only_content_but_not_general_when_consent_is_revoked(
    client, login, family_member, consent, shared_module, enrolled_module
):
    login(family_member)
    assert idor.opens(client, enrolled_module)
    personas.revoke(consent)
    assert idor.closed(client, enrolled_module)
    assert idor.opens(client, shared_module)


@pytest.mark.parametrize("persona", ["family_member", "learner", "patient", "outsider"])
def test_authoring_pages_are_404_for_non_staff(client, login, request, shared_module, persona):
    login(request.getfixturevalue(persona))
    for url in (
        reverse("education:manage"),
        reverse("education:module_new"),
        reverse("education:manage_module", args=[shared_module.slug]),
        reverse("education:history", args=[shared_module.slug]),
        reverse("education:assignments"),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("education:markdown_preview"), {"body": "x"}).status_code == 404


def test_personal_representative_reads_enrolled_only_modules(
    client, login, patient, counselor, learner, enrolled_module
):
    from consent.models import PersonalRepresentative

    login(learner)
    assert idor.closed(client, enrolled_module)
    PersonalRepresentative.objects.create(
        representative=learner,
        patient=patient,
        authority=PersonalRepresentative.Authority.GUARDIAN,
        document_reference="Court order 12",
        verified_by=counselor,
    )
    assert idor.opens(client, enrolled_module)


def test_a_shared_module_cannot_be_enrolled_only(counselor):
    with pytest.raises(ValidationError, match="Shared modules are general"):
        authoring.create_module(author=counselor, slug="shared-limited", enrolled_only=True, **DETAILS)
    version = authoring.create_module(author=counselor, slug="shared-open", **DETAILS)
    with pytest.raises(ValidationError, match="Shared modules are general"):
        authoring.update_version(version=version, enrolled_only=True)
    version.refresh_from_db()
    assert version.enrolled_only is False
