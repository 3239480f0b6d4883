"""Content review: the modules waiting for review, with links to the authoring pages that review them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from education import authoring
from tests.support.education_content import draft_module

pytestmark = pytest.mark.django_db


def test_the_queue_lists_versions_in_review_of_the_program_and_shared_content_only(
    admin_client, program, other_program, counselor
):
    ours = authoring.submit_for_review(version=draft_module("ours", program=program), author=counselor)
    shared = authoring.submit_for_review(version=draft_module("shared"), author=counselor)
    theirs = authoring.submit_for_review(version=draft_module("theirs", program=other_program), author=None)
    draft_module("still-a-draft", program=program)

    response = admin_client.get(reverse("console:review_queue"))

    assert [v.pk for v in response.context["versions"]] == [ours.pk, shared.pk]
    page = response.content.decode()
    assert reverse("education:manage_module", args=["ours"]) in page
    assert reverse("education:version_preview", args=["shared", shared.number]) in page
    assert reverse("education:manage_module", args=[theirs.module.slug]) not in page
    assert "still-a-draft" not in page


def test_the_review_link_leads_to_the_existing_publish_action(admin_client, program, counselor):
    version = authoring.submit_for_review(version=draft_module("ours", program=program), author=counselor)
    page = admin_client.get(reverse("education:manage_module", args=["ours"])).content.decode()
    assert reverse("education:workflow", args=["ours", "publish"]) in page
    assert version.module.slug == "ours"
