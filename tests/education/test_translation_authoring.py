"""Counselors translate a module version: drafts, review, publishing with the version (or after it), new versions
carry the translation as a draft, and the Spanish reading-ease gate."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from education import authoring, translating
from education.models import ModuleTranslation, ModuleVersion
from tests.support.education_content import draft_module, published_module
from tests.support.translations import draft_translation, spanish_content

pytestmark = pytest.mark.django_db
TStatus = ModuleTranslation.Status
HARD_SPANISH = (
    "La implementación institucionalizada de intervenciones psicoterapéuticas interdisciplinarias, "
    "fundamentadas en evidencia epidemiológica contemporánea, constituye indudablemente una responsabilidad "
    "organizacional extraordinariamente significativa para administraciones sanitarias latinoamericanas."
)


def _form_data(version: ModuleVersion) -> dict[str, str]:
    content = spanish_content(version)
    data = {
        "title": content.title,
        "summary": content.summary,
        "sources": "NIDA | https://nida.nih.gov/",
    }
    for i, (title, body) in enumerate(content.lessons, 1):
        data[f"lesson-{i}-title"], data[f"lesson-{i}-body"] = title, body
    for i, question in enumerate(content.questions, 1):
        data[f"question-{i}-prompt"] = question.prompt
        for j, (text, feedback) in enumerate(question.choices, 1):
            data[f"question-{i}-choice-{j}-text"], data[f"question-{i}-choice-{j}-feedback"] = text, feedback
    return data


def test_counselor_translates_a_draft_on_one_page_and_it_is_published_with_the_version(
    client, login, counselor, reviewer, program
):
    version = draft_module("visiting-rules", program=program, author=counselor)
    url = reverse("education:translation", args=["visiting-rules", "es"])
    login(counselor)
    assert "Lesson 1" in client.get(url).content.decode()  # the English beside each field
    response = client.post(url, _form_data(version))
    assert response.status_code == 302
    translation = ModuleTranslation.objects.get(version=version, language="es")
    assert translation.status == TStatus.DRAFT and translation.created_by == counselor
    assert translation.lessons.count() == 3 and translation.choices.count() == 5
    client.post(reverse("education:translation_workflow", args=["visiting-rules", "es", "submit"]))
    translation.refresh_from_db()
    assert translation.status == TStatus.IN_REVIEW and translation.reading_ease is not None
    authoring.submit_for_review(version=version, author=counselor)
    login(reviewer)
    client.post(reverse("education:workflow", args=["visiting-rules", "publish"]))
    translation.refresh_from_db()
    version.refresh_from_db()
    assert version.status == ModuleVersion.Status.PUBLISHED
    assert translation.status == TStatus.PUBLISHED and translation.published_by == reviewer
    assert translation.published_at == version.published_at  # published together


def test_a_draft_translation_does_not_hold_the_english_back_and_is_published_later(counselor, reviewer, program):
    version = draft_module("visiting-rules", program=program)
    translation = draft_translation(version, author=counselor)
    authoring.submit_for_review(version=version, author=counselor)
    authoring.publish_version(version=version, publisher=reviewer)
    translation.refresh_from_db()
    assert translation.status == TStatus.DRAFT  # the English is out; Spanish readers get it with the note
    with pytest.raises(ValidationError, match="in review"):
        translating.publish_translation(translation=translation, publisher=reviewer)
    translating.submit_translation(translation=translation, author=counselor)
    with pytest.raises(PermissionDenied):
        translating.publish_translation(translation=translation, publisher=counselor)  # not a reviewer
    translating.publish_translation(translation=translation, publisher=reviewer)
    translation.refresh_from_db()
    assert translation.status == TStatus.PUBLISHED


def test_a_translation_in_review_cannot_be_published_before_its_version(counselor, reviewer, program):
    version = draft_module("visiting-rules", program=program)
    translation = translating.submit_translation(translation=draft_translation(version), author=counselor)
    with pytest.raises(ValidationError, match="Publish the version first"):
        translating.publish_translation(translation=translation, publisher=reviewer)


def test_an_incomplete_translation_cannot_go_to_review(counselor, program):
    version = draft_module("visiting-rules", program=program)
    content = spanish_content(version)
    content.lessons[1] = ("", "")
    translation = translating.start_translation(version=version, language="es", author=counselor)
    translating.save_translation(translation=translation, content=content)
    with pytest.raises(ValidationError) as excinfo:
        translating.submit_translation(translation=translation, author=counselor)
    assert excinfo.value.messages == ["Translate lesson 2."]


def test_hard_spanish_needs_a_reason_before_review(counselor, program):
    version = draft_module("visiting-rules", program=program)
    content = spanish_content(version)
    content.lessons = [(title, HARD_SPANISH) for title, _body in content.lessons]
    translation = translating.start_translation(version=version, language="es", author=counselor)
    translating.save_translation(translation=translation, content=content)
    with pytest.raises(ValidationError, match="reading ease"):
        translating.submit_translation(translation=translation, author=counselor)
    translating.submit_translation(translation=translation, author=counselor, reading_note="Legal wording.")
    translation.refresh_from_db()
    assert translation.status == TStatus.IN_REVIEW
    assert translation.reading_ease is not None and translation.reading_ease < 65


def test_published_translations_do_not_change_and_a_new_version_copies_them_as_drafts(counselor, reviewer):
    module = published_module("understanding-addiction")
    old = module.current_version
    assert old is not None
    translation = draft_translation(old)
    translating.publish_translation(translation=translation, publisher=None, skip_review=True)
    translation.refresh_from_db()
    with pytest.raises(ValidationError, match="draft"):
        translating.save_translation(translation=translation, content=spanish_content(old))
    new = authoring.start_new_version(module=module, author=counselor)
    copy = new.translations.get(language="es")
    assert copy.status == TStatus.DRAFT and copy.title == translation.title
    assert [row.lesson.version_id for row in copy.lessons.select_related("lesson")] == [new.pk] * 3
    assert copy.choices.count() == translation.choices.count() == 5
    assert translating.translation_problems(copy) == []


def test_translation_pages_are_for_care_staff_only(client, login, family_member, counselor, shared_module):
    url = reverse("education:translation", args=[shared_module.slug, "es"])
    login(family_member)
    assert client.get(url).status_code == 404
    login(counselor)
    assert client.get(url).status_code == 200
    assert client.get(reverse("education:translation", args=[shared_module.slug, "en"])).status_code == 404
    assert client.get(reverse("education:translation", args=[shared_module.slug, "xx"])).status_code == 404


def test_a_published_translation_is_read_only(client, login, counselor, shared_module):
    translation = draft_translation(shared_module.current_version)
    translating.publish_translation(translation=translation, publisher=None, skip_review=True)
    login(counselor)
    url = reverse("education:translation", args=[shared_module.slug, "es"])
    page = client.get(url).content.decode()
    assert "disabled" in page and "Save the translation" not in page
    assert client.post(url, _form_data(shared_module.current_version)).status_code == 404


def test_the_module_page_links_the_translation_and_says_it_is_published_with_the_version(
    client, login, counselor, reviewer, program
):
    version = draft_module("visiting-rules", program=program)
    translating.submit_translation(translation=draft_translation(version), author=counselor)
    authoring.submit_for_review(version=version, author=counselor)
    login(reviewer)
    page = client.get(reverse("education:manage_module", args=["visiting-rules"])).content.decode()
    assert reverse("education:translation", args=["visiting-rules", "es"]) in page
    assert "Spanish translation</a> (In review)" in page
    assert "Its Spanish translation is in review too: publishing the version publishes both." in page


def test_the_translation_statuses_read_in_spanish():
    from django.utils import translation

    with translation.override("es"):
        assert [str(label) for label in TStatus.labels] == ["Borrador", "En revisión", "Publicada"]
