"""Who may read which modules: public for everyone, the rest for consented families and staff, drafts for nobody."""

from __future__ import annotations

import pytest
from django.urls import reverse

from education import authoring
from education.models import Module
from tests.education.factories import draft_module, published_module
from tests.support import personas

pytestmark = pytest.mark.django_db


def _module_url(module: Module) -> str:
    return reverse("education:module", kwargs={"slug": module.slug})


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("family_member", 200),
        ("outsider", 200),  # consented for another patient: any effective consent opens shared content
        ("counselor", 200),
        ("program_admin", 200),
        ("learner", 404),
        ("revoked_member", 404),
        ("patient", 404),
    ],
)
def test_non_public_module_access(client, login, request, shared_module, persona, status):
    login(request.getfixturevalue(persona))
    assert client.get(_module_url(shared_module)).status_code == status
    assert client.get(reverse("education:lesson", args=[shared_module.slug, 1])).status_code == status


@pytest.mark.parametrize("persona", ["family_member", "learner", "revoked_member", "patient", "counselor", "outsider"])
def test_public_module_is_open_to_everyone_signed_in(client, login, request, public_module, persona):
    login(request.getfixturevalue(persona))
    assert client.get(_module_url(public_module)).status_code == 200


def test_anonymous_visitor_is_sent_to_sign_in(client, public_module):
    response = client.get(_module_url(public_module))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_learner_catalogue_lists_public_modules_only(client, login, learner, shared_module, public_module):
    login(learner)
    html = client.get(reverse("education:catalogue")).content.decode()
    assert "Overdose basics" in html
    assert "How the brain changes" not in html


@pytest.mark.parametrize("persona", ["family_member", "learner", "counselor", "program_admin", "patient"])
def test_nobody_reads_a_draft_or_a_version_in_review_as_a_learner(client, login, request, program, persona):
    draft = draft_module("draft-only", public=True, program=program)
    review = draft_module("in-review", public=True)
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


def test_program_module_is_for_that_programs_families_and_staff(
    client, login, program, family_member, counselor, other_program, other_program_counselor
):
    module = published_module("riverside-only", program=program)
    hill_patient = personas.make_user("hp@example.org", "patient", other_program)
    hill_member = personas.make_user("hm@example.org", "family", None)
    personas.consent_for(hill_patient, hill_member)
    url = _module_url(module)
    for viewer, status in ((family_member, 200), (counselor, 200), (hill_member, 404), (other_program_counselor, 404)):
        login(viewer)
        assert client.get(url).status_code == status, viewer


def test_family_member_loses_non_public_content_when_consent_is_revoked(
    client, login, family_member, consent, shared_module
):
    login(family_member)
    assert client.get(_module_url(shared_module)).status_code == 200
    personas.revoke(consent)
    assert client.get(_module_url(shared_module)).status_code == 404


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


def test_personal_representative_reads_shared_modules(client, login, patient, counselor, learner, shared_module):
    from consent.models import PersonalRepresentative

    PersonalRepresentative.objects.create(
        representative=learner,
        patient=patient,
        authority=PersonalRepresentative.Authority.GUARDIAN,
        document_reference="Court order 12",
        verified_by=counselor,
    )
    login(learner)
    assert client.get(_module_url(shared_module)).status_code == 200
