"""Counselor authoring: drafts, live preview, reordering, questions, review, publishing and version history."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from education import authoring
from education.forms import slug_from_title
from education.models import Module, ModuleVersion
from tests.support.education_content import draft_module

pytestmark = pytest.mark.django_db
Status = ModuleVersion.Status

NEW_MODULE = {
    "title": "Talking with teens",
    "slug": "talking-with-teens",
    "summary": "How to talk so a teen can listen.",
    "topic": "teens",
    "audience": "parents",
    "estimated_minutes": "15",
    "pass_mark": "80",
    "sources": "NIDA for Teens | https://nida.nih.gov/research-topics/parents-educators",
}


def test_counselor_creates_a_module_with_lessons_and_a_question(client, login, counselor, program):
    login(counselor)
    response = client.post(reverse("education:module_new"), NEW_MODULE)
    module = Module.objects.get(slug="talking-with-teens")
    assert response["Location"] == reverse("education:manage_module", args=[module.slug])
    assert module.program == program
    version = module.versions.get()
    assert version.status == Status.DRAFT and version.created_by == counselor
    assert version.sources == [
        {"title": "NIDA for Teens", "url": "https://nida.nih.gov/research-topics/parents-educators"}
    ]

    client.post(
        reverse("education:lesson_new", args=[module.slug]), {"title": "Listen first", "body": "You **listen**."}
    )
    lesson = version.lessons.get()
    assert lesson.body_html == "<p>You <strong>listen</strong>.</p>\n"

    client.post(
        reverse("education:question_new", args=[module.slug]),
        {
            "prompt": "What helps?",
            "kind": "single",
            "choice_1_text": "Listening",
            "choice_1_correct": "on",
            "choice_1_feedback": "Yes.",
            "choice_2_text": "Shouting",
            "choice_2_feedback": "No.",
        },
    )
    question = version.questions.get()
    assert [(c.text, c.correct) for c in question.choices.all()] == [("Listening", True), ("Shouting", False)]


def test_bad_module_input_is_a_form_error(client, login, counselor):
    login(counselor)
    bad = NEW_MODULE | {"sources": "no separator here"}
    response = client.post(reverse("education:module_new"), bad)
    assert response.status_code == 200
    page = response.content.decode()
    assert "write the title, a | and the address" in page
    assert not Module.objects.exists()


def test_new_module_form_asks_for_no_slug_and_makes_it_from_the_title(client, login, counselor):
    login(counselor)
    page = client.get(reverse("education:module_new")).content.decode()
    assert 'name="slug"' not in page and "Slug" not in page
    typed = {key: value for key, value in NEW_MODULE.items() if key != "slug"}
    for _ in range(3):
        assert client.post(reverse("education:module_new"), typed).status_code == 302
    assert sorted(Module.objects.values_list("slug", flat=True)) == [
        "talking-with-teens",
        "talking-with-teens-2",
        "talking-with-teens-3",
    ]
    # A posted slug is ignored: the address always comes from the title.
    client.post(reverse("education:module_new"), typed | {"title": "Sleep and stress", "slug": "../admin"})
    assert Module.objects.filter(slug="sleep-and-stress").exists()


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Talking with Teens: What Helps?", "talking-with-teens-what-helps"),
        ("  Cómo   hablar  ", "como-hablar"),
        ("New", "new-2"),  # "new" and "preview" are taken by the authoring pages' own addresses
        ("Preview", "preview-2"),
        ("🙂 — ✓", "module"),
        ("x" * 160, "x" * 72),
    ],
)
def test_slug_from_title(title, slug):
    assert slug_from_title(title) == slug


def test_slug_from_title_skips_taken_slugs_but_not_mere_prefixes(counselor):
    draft_module("sleep", author=counselor)
    draft_module("sleep-2", author=counselor)
    draft_module("sleep-hygiene", author=counselor)
    assert slug_from_title("Sleep") == "sleep-3"
    assert slug_from_title("Sleep hygiene") == "sleep-hygiene-2"


def test_question_with_two_right_answers_to_a_choose_one_is_refused(client, login, counselor):
    version = draft_module("q-rules", author=counselor, questions=[])
    login(counselor)
    response = client.post(
        reverse("education:question_new", args=[version.module.slug]),
        {
            "prompt": "?",
            "kind": "single",
            "choice_1_text": "a",
            "choice_1_correct": "on",
            "choice_2_text": "b",
            "choice_2_correct": "on",
        },
    )
    assert response.status_code == 200
    assert "exactly one right answer" in response.content.decode()
    assert not version.questions.exists()


def test_preview_button_without_javascript_shows_sanitised_html_and_saves_nothing(client, login, counselor):
    version = draft_module("preview-me", author=counselor, lessons=0)
    login(counselor)
    response = client.post(
        reverse("education:lesson_new", args=[version.module.slug]),
        {"title": "T", "body": "**Hi** <script>alert(1)</script>", "preview": "1"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "<strong>Hi</strong>" in page and "alert(1)" not in page.split("lesson-preview")[1]
    assert not version.lessons.exists()


def test_live_preview_endpoint_returns_sanitised_html(client, login, counselor):
    login(counselor)
    response = client.post(
        reverse("education:markdown_preview"), {"body": "# Hi\n\n<img src=x onerror=alert(1)>[x](javascript:alert(1))"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith("<h2>Hi</h2>")
    assert "onerror" not in html and "javascript:" not in html
    assert client.get(reverse("education:markdown_preview")).status_code == 405


def test_lesson_page_loads_the_preview_script_as_a_static_file(client, login, counselor):
    version = draft_module("script-check", author=counselor)
    login(counselor)
    page = client.get(reverse("education:lesson_new", args=[version.module.slug])).content.decode()
    assert "js/education-preview.js" in page
    assert "onclick" not in page and "<script>" not in page


def test_lessons_move_up_and_down(client, login, counselor):
    version = draft_module("reorder", author=counselor)
    first, second, third = version.lessons.order_by("position")
    login(counselor)
    client.post(reverse("education:lesson_move", args=[version.module.slug, third.pk]), {"direction": "up"})
    assert list(version.lessons.order_by("position").values_list("title", flat=True)) == [
        "Lesson 1",
        "Lesson 3",
        "Lesson 2",
    ]
    client.post(reverse("education:lesson_move", args=[version.module.slug, first.pk]), {"direction": "down"})
    assert list(version.lessons.order_by("position").values_list("title", flat=True)) == [
        "Lesson 3",
        "Lesson 1",
        "Lesson 2",
    ]
    client.post(
        reverse("education:lesson_move", args=[version.module.slug, third.pk]), {"direction": "up"}
    )  # already first
    assert list(version.lessons.order_by("position").values_list("position", flat=True)) == [1, 2, 3]


def test_deleting_a_lesson_renumbers_the_rest(counselor):
    version = draft_module("renumber", author=counselor)
    authoring.delete_lesson(lesson=version.lessons.get(position=2))
    assert list(version.lessons.values_list("title", "position")) == [("Lesson 1", 1), ("Lesson 3", 2)]


def test_workflow_draft_review_publish(client, login, counselor, reviewer):
    version = draft_module("workflow", author=counselor)
    module = version.module
    login(counselor)
    client.post(reverse("education:workflow", args=[module.slug, "submit"]))
    version.refresh_from_db()
    assert version.status == Status.IN_REVIEW and version.submitted_by == counselor
    assert version.reading_grade is not None
    client.post(reverse("education:workflow", args=[module.slug, "publish"]))  # counselor may not publish
    version.refresh_from_db()
    assert version.status == Status.IN_REVIEW
    login(reviewer)
    client.post(reverse("education:workflow", args=[module.slug, "publish"]))
    version.refresh_from_db()
    module.refresh_from_db()
    assert version.status == Status.PUBLISHED and version.published_by == reviewer
    assert module.current_version == version


def test_program_admin_may_publish(counselor, program_admin):
    version = draft_module("admin-publish", author=counselor)
    authoring.submit_for_review(version=version, author=counselor)
    authoring.publish_version(version=version, publisher=program_admin)
    version.refresh_from_db()
    assert version.status == Status.PUBLISHED


def test_counselor_without_review_right_cannot_publish_or_return(counselor):
    version = draft_module("no-right", author=counselor)
    authoring.submit_for_review(version=version, author=counselor)
    with pytest.raises(PermissionDenied):
        authoring.publish_version(version=version, publisher=counselor)
    with pytest.raises(PermissionDenied):
        authoring.return_to_draft(version=version, reviewer=counselor)


def test_a_draft_cannot_skip_review(reviewer, counselor):
    version = draft_module("skip", author=counselor)
    with pytest.raises(ValidationError):
        authoring.publish_version(version=version, publisher=reviewer)


def test_reviewer_sends_a_version_back_for_changes(client, login, counselor, reviewer):
    version = draft_module("send-back", author=counselor)
    authoring.submit_for_review(version=version, author=counselor)
    login(reviewer)
    client.post(reverse("education:workflow", args=[version.module.slug, "return"]))
    version.refresh_from_db()
    assert version.status == Status.DRAFT


def test_incomplete_draft_cannot_go_to_review(counselor):
    version = draft_module("empty", author=counselor, lessons=0)
    with pytest.raises(ValidationError) as excinfo:
        authoring.submit_for_review(version=version, author=counselor)
    assert "Add at least one lesson." in excinfo.value.messages


def test_hard_reading_level_needs_a_written_reason(counselor):
    version = draft_module("dense", author=counselor, lessons=0)
    authoring.add_lesson(
        version=version,
        title="Dense",
        body=(
            "Pharmacological interventions for comorbid psychiatric manifestations necessitate individualized "
            "multidisciplinary evaluation incorporating longitudinal neuropsychological assessment."
        ),
    )
    with pytest.raises(ValidationError, match="grade"):
        authoring.submit_for_review(version=version, author=counselor)
    authoring.submit_for_review(
        version=version, author=counselor, reading_note="Clinical terms are defined in a glossary."
    )
    version.refresh_from_db()
    assert version.reading_grade is not None and version.reading_grade > 8 and version.reading_note


def test_published_version_is_immutable(client, login, counselor, reviewer, shared_module):
    version = shared_module.current_version
    lesson = version.lessons.first()
    with pytest.raises(ValidationError):
        authoring.update_lesson(lesson=lesson, title="Changed", body="Changed")
    with pytest.raises(ValidationError):
        authoring.add_lesson(version=version, title="New", body="New")
    login(counselor)
    assert client.get(reverse("education:lesson_edit", args=[shared_module.slug, lesson.pk])).status_code == 404
    assert (
        client.post(
            reverse("education:lesson_edit", args=[shared_module.slug, lesson.pk]), {"title": "x", "body": "y"}
        ).status_code
        == 404
    )


def test_starting_a_new_version_copies_content_and_keeps_history(client, login, counselor, reviewer, shared_module):
    login(counselor)
    client.post(reverse("education:workflow", args=[shared_module.slug, "new-version"]))
    draft = shared_module.versions.get(number=2)
    assert draft.status == Status.DRAFT and draft.created_by == counselor
    assert draft.lessons.count() == 3 and draft.questions.count() == 2
    assert draft.questions.first().choices.count() == 2
    client.post(reverse("education:workflow", args=[shared_module.slug, "new-version"]))  # returns the open draft
    assert shared_module.versions.count() == 2
    authoring.submit_for_review(version=draft, author=counselor)
    authoring.publish_version(version=draft, publisher=reviewer)
    assert shared_module.versions.get(number=1).status == Status.ARCHIVED
    page = client.get(reverse("education:history", args=[shared_module.slug])).content.decode()
    assert "Casey Morgan" in page and "Rae Reviewer" in page and "Starter curriculum" in page


def test_manage_home_groups_modules_by_state(client, login, counselor, shared_module):
    draft_module("my-draft", author=counselor, title="My draft module")
    login(counselor)
    page = client.get(reverse("education:manage")).content.decode()
    assert "My draft module" in page and "How the brain changes" in page


def test_archive_is_for_reviewers(client, login, counselor, reviewer, shared_module):
    login(counselor)
    client.post(reverse("education:workflow", args=[shared_module.slug, "archive"]))
    shared_module.refresh_from_db()
    assert shared_module.archived_at is None
    login(reviewer)
    client.post(reverse("education:workflow", args=[shared_module.slug, "archive"]))
    shared_module.refresh_from_db()
    assert shared_module.archived_at is not None and shared_module.current_version is None


def test_unknown_workflow_action_is_404(client, login, counselor, shared_module):
    login(counselor)
    assert client.post(f"/learn/manage/{shared_module.slug}/explode/").status_code == 404


def test_version_preview_shows_answers_to_staff(client, login, counselor, shared_module):
    login(counselor)
    page = client.get(reverse("education:version_preview", args=[shared_module.slug, 1])).content.decode()
    assert "Right answer" in page and "Lesson 3" in page


def test_program_module_form_offers_enrolled_only_with_help_and_shared_module_form_does_not(
    client, login, counselor, shared_module
):
    login(counselor)
    page = client.get(reverse("education:module_new")).content.decode()
    assert "For enrolled families only" in page
    assert "Leave this off for general education" in page
    assert "Place on the “Start here” path" in page
    authoring.start_new_version(module=shared_module, author=counselor)
    page = client.get(reverse("education:manage_module", args=[shared_module.slug])).content.decode()
    assert "For enrolled families only" not in page
    assert "Place on the “Start here” path" in page


def test_author_limits_a_program_module_to_enrolled_families_and_places_it_on_the_path(
    client, login, counselor, reviewer, learner, family_member
):
    login(counselor)
    client.post(reverse("education:module_new"), NEW_MODULE | {"enrolled_only": "on", "path_position": "3"})
    module = Module.objects.get(slug="talking-with-teens")
    assert module.versions.get().enrolled_only is True and module.path_position == 3
    version = module.versions.get()
    authoring.add_lesson(version=version, title="One", body="Short.")
    authoring.submit_for_review(version=version, author=counselor)
    authoring.publish_version(version=version, publisher=reviewer)
    for viewer, status in ((learner, 404), (family_member, 200)):
        login(viewer)
        assert client.get(reverse("education:module", args=[module.slug])).status_code == status
    new = authoring.start_new_version(module=module, author=counselor)
    assert new.enrolled_only is True  # a new version keeps the audience until an author unticks it
    login(counselor)
    details = NEW_MODULE | {"path_position": ""}
    del details["slug"]
    client.post(reverse("education:manage_module", args=[module.slug]), details)
    new.refresh_from_db()
    module.refresh_from_db()
    assert new.enrolled_only is False and module.path_position is None


@pytest.mark.parametrize("position", ["0", "100", "first"])
def test_bad_path_position_is_a_form_error_and_changes_nothing(client, login, counselor, position):
    login(counselor)
    response = client.post(reverse("education:module_new"), NEW_MODULE | {"path_position": position})
    assert response.status_code == 200
    assert 'id="id_path_position_error"' in response.content.decode()
    assert not Module.objects.exists()


def test_a_posted_enrolled_only_box_on_a_shared_module_is_ignored(client, login, counselor, shared_module):
    version = authoring.start_new_version(module=shared_module, author=counselor)
    login(counselor)
    details = NEW_MODULE | {"enrolled_only": "on"}
    del details["slug"]
    client.post(reverse("education:manage_module", args=[shared_module.slug]), details)
    version.refresh_from_db()
    assert version.title == "Talking with teens" and version.enrolled_only is False
