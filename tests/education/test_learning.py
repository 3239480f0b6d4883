"""Learning: lessons, knowledge checks (scoring, feedback, retry), certificates, and new versions."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from education import authoring, quizzes, services
from education.authoring import ChoiceData
from education.models import ModuleProgress
from tests.support.education_content import answers_for, published_module

pytestmark = pytest.mark.django_db


def _read_all_lessons(client, module, count=3):
    for position in range(1, count + 1):
        client.post(reverse("education:lesson", args=[module.slug, position]))


def _quiz_post(version, *, right=True):
    data: dict[str, list[str]] = {}
    for question_id, choice_ids in answers_for(version, right=right).items():
        data[f"q-{question_id}"] = choice_ids
    return data


def test_family_member_reads_lessons_and_progress_advances(client, login, family_member, shared_module):
    login(family_member)
    response = client.get(reverse("education:lesson", args=[shared_module.slug, 1]))
    assert response.status_code == 200
    assert b"Lesson 1 of 3" in response.content
    assert b"<progress" in response.content
    response = client.post(reverse("education:lesson", args=[shared_module.slug, 1]))
    assert response["Location"] == reverse("education:lesson", args=[shared_module.slug, 2])
    progress = ModuleProgress.objects.get(learner=family_member, module=shared_module)
    assert progress.completions.count() == 1
    assert progress.last_position == 2


def test_last_lesson_leads_to_the_knowledge_check(client, login, family_member, shared_module):
    login(family_member)
    client.post(reverse("education:lesson", args=[shared_module.slug, 1]))
    client.post(reverse("education:lesson", args=[shared_module.slug, 2]))
    response = client.post(reverse("education:lesson", args=[shared_module.slug, 3]))
    assert response["Location"] == reverse("education:quiz", args=[shared_module.slug])


def test_lesson_beyond_the_last_is_404(client, login, family_member, shared_module):
    login(family_member)
    assert client.get(reverse("education:lesson", args=[shared_module.slug, 4])).status_code == 404


def test_single_and_multiple_choice_scoring(family_member, shared_module):
    progress = services.start_module(learner=family_member, module=shared_module)
    version = progress.version
    single, multiple = list(version.questions.prefetch_related("choices"))
    s_right, s_wrong = single.choices.all()
    m_first, m_second, m_wrong = multiple.choices.all()

    def score(single_ids, multiple_ids):
        answers = {str(single.pk): [str(c.pk) for c in single_ids], str(multiple.pk): [str(c.pk) for c in multiple_ids]}
        return services.grade_answers(progress=progress, answers=answers)

    assert score([s_right], [m_first, m_second]).score == 100
    assert score([s_right], [m_first]).score == 50  # a partly right multiple-choice answer is not right
    assert score([s_right], [m_first, m_second, m_wrong]).score == 50  # nor is picking a wrong one too
    assert score([s_wrong], [m_first, m_second]).score == 50
    assert score([s_right, s_wrong], [m_first, m_second]).score == 50  # two answers to a choose-one question
    assert score([], []).score == 0
    result = score([s_right], [m_first])
    assert result.passed is False and result.pass_mark == 100
    # A failed check explains nothing, so it never shows which answers are right; a passed one explains every answer.
    assert not any(item.show_feedback for question in result.questions for item in question.choices)
    passed = score([s_right], [m_first, m_second])
    assert [item.choice.text for item in passed.questions[1].choices if item.show_feedback] == [
        "First right",
        "Second right",
    ]


def test_knowledge_check_gives_feedback_and_allows_retry(client, login, family_member, shared_module):
    login(family_member)
    version = shared_module.current_version
    quiz_url = reverse("education:quiz", args=[shared_module.slug])
    response = client.post(quiz_url, _quiz_post(version, right=False))
    assert response["Location"] == reverse("education:quiz_result", args=[shared_module.slug])
    page = client.get(response["Location"]).content.decode()
    assert "0%" in page and "Not quite yet" in page
    assert "Which one is right?" in page and "Pick all the right ones." in page
    assert "No, this one is wrong." not in page and "Yes, that is right." not in page  # a failed try explains nothing
    assert "Try again" in page
    response = client.post(quiz_url, _quiz_post(version, right=True))
    page = client.get(response["Location"]).content.decode()
    assert "100%" in page and "You passed" in page
    assert "Yes, that is right." in page  # a passed try explains every answer
    progress = ModuleProgress.objects.get(learner=family_member, module=shared_module)
    assert progress.attempts.filter(submitted_at__isnull=False).count() == 2
    assert progress.quiz_passed_at is not None and progress.best_score == 100


def test_unanswered_question_is_a_form_error_not_an_attempt(client, login, family_member, shared_module):
    login(family_member)
    response = client.post(reverse("education:quiz", args=[shared_module.slug]), {})
    assert response.status_code == 200
    assert b"Please answer question 1." in response.content
    assert not ModuleProgress.objects.get(learner=family_member).attempts.filter(submitted_at__isnull=False).exists()


def test_foreign_choice_ids_count_for_nothing(family_member, shared_module, overdose_module):
    progress = services.start_module(learner=family_member, module=shared_module)
    foreign = answers_for(overdose_module.current_version)
    assert services.grade_answers(progress=progress, answers=foreign).score == 0


def test_certificate_only_after_all_lessons_and_a_passed_check(client, login, family_member, shared_module):
    login(family_member)
    url = reverse("education:certificate", args=[shared_module.slug])
    assert client.get(url)["Location"] == reverse("education:module", args=[shared_module.slug])
    client.post(reverse("education:quiz", args=[shared_module.slug]), _quiz_post(shared_module.current_version))
    assert client.get(url).status_code == 302  # passed the check, lessons not read
    _read_all_lessons(client, shared_module)
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Certificate of completion" in page
    assert "Fran Rivera" in page and "How the brain changes" in page
    assert ModuleProgress.objects.get(learner=family_member).certificate_code in page


def test_lessons_read_without_passing_do_not_complete_the_module(client, login, family_member, shared_module):
    login(family_member)
    _read_all_lessons(client, shared_module)
    client.post(
        reverse("education:quiz", args=[shared_module.slug]), _quiz_post(shared_module.current_version, right=False)
    )
    assert ModuleProgress.objects.get(learner=family_member).completed_at is None
    assert client.get(reverse("education:certificate", args=[shared_module.slug])).status_code == 302


def test_certificate_of_another_learner_is_not_reachable(client, login, family_member, outsider, shared_module):
    login(family_member)
    client.post(reverse("education:quiz", args=[shared_module.slug]), _quiz_post(shared_module.current_version))
    _read_all_lessons(client, shared_module)
    fran = ModuleProgress.objects.get(learner=family_member)
    assert fran.completed_at is not None
    login(outsider)
    url = reverse("education:certificate", args=[shared_module.slug])
    response = client.get(url)
    # The URL names a module, not a learner: it can only ever mean "my certificate". The outsider has not finished
    # the module, so they get what any unfinished learner gets: the module overview, saying what is left to do.
    assert response.status_code == 302
    assert response["Location"] == reverse("education:module", args=[shared_module.slug])
    page = client.get(url, follow=True).content.decode()
    assert "Finish every lesson and pass the knowledge check to get your certificate." in page
    assert "Certificate of completion" not in page
    assert "Fran Rivera" not in page and fran.certificate_code not in page
    assert not ModuleProgress.objects.filter(learner=outsider).exists()


def test_new_version_keeps_progress_on_the_version_started(client, login, family_member, reviewer, shared_module):
    login(family_member)
    client.post(reverse("education:lesson", args=[shared_module.slug, 1]))
    v1 = shared_module.current_version
    draft = authoring.start_new_version(module=shared_module, author=reviewer)
    first = draft.lessons.get(position=1)
    authoring.update_lesson(lesson=first, title="Lesson 1, rewritten", body="New words for lesson one.")
    authoring.submit_for_review(version=draft, author=reviewer)
    authoring.publish_version(version=draft, publisher=reviewer)

    progress = ModuleProgress.objects.get(learner=family_member, module=shared_module)
    assert progress.version_id == v1.pk and progress.completions.count() == 1
    page = client.get(reverse("education:module", args=[shared_module.slug])).content.decode()
    assert "This module has been updated" in page
    assert "1 of 3 lessons read" in page
    lesson = client.get(reverse("education:lesson", args=[shared_module.slug, 1])).content.decode()
    assert "Lesson 1, rewritten" not in lesson  # still reading the version they started

    client.post(reverse("education:restart", args=[shared_module.slug]))
    progress.refresh_from_db()
    assert progress.version_id == draft.pk and progress.completions.count() == 0
    assert (
        "Lesson 1, rewritten" in client.get(reverse("education:lesson", args=[shared_module.slug, 1])).content.decode()
    )


def test_new_learners_start_the_newest_version(family_member, outsider, reviewer, shared_module):
    services.start_module(learner=family_member, module=shared_module)
    draft = authoring.start_new_version(module=shared_module, author=reviewer)
    authoring.submit_for_review(version=draft, author=reviewer)
    authoring.publish_version(version=draft, publisher=reviewer)
    assert services.start_module(learner=outsider, module=shared_module).version_id == draft.pk


def test_completed_learner_keeps_certificate_for_old_version(client, login, family_member, reviewer, shared_module):
    login(family_member)
    client.post(reverse("education:quiz", args=[shared_module.slug]), _quiz_post(shared_module.current_version))
    _read_all_lessons(client, shared_module)
    draft = authoring.start_new_version(module=shared_module, author=reviewer)
    authoring.submit_for_review(version=draft, author=reviewer)
    authoring.publish_version(version=draft, publisher=reviewer)
    page = client.get(reverse("education:certificate", args=[shared_module.slug])).content.decode()
    assert "version 1" in page


def test_module_without_questions_completes_after_reading(client, login, family_member, program):
    module = published_module("reading-only", questions=[], lessons=2)
    login(family_member)
    client.post(reverse("education:lesson", args=[module.slug, 1]))
    response = client.post(reverse("education:lesson", args=[module.slug, 2]))
    assert response["Location"] == reverse("education:module", args=[module.slug])
    assert client.get(reverse("education:certificate", args=[module.slug])).status_code == 200
    assert client.get(reverse("education:quiz", args=[module.slug])).status_code == 404


def test_catalogue_filters_by_topic_and_search(client, login, family_member, shared_module, overdose_module):
    login(family_member)
    url = reverse("education:catalogue")
    by_topic = client.get(url, {"topic": "overdose"}).content.decode()
    assert "Overdose basics" in by_topic and "How the brain changes" not in by_topic
    by_word = client.get(url, {"q": "brain"}).content.decode()
    assert "How the brain changes" in by_word and "Overdose basics" not in by_word
    nothing = client.get(url, {"q": "zzz-nothing"}).content.decode()
    assert "No module matches" in nothing
    assert client.get(url, {"topic": "not-a-topic", "_connector": "OR 1=1--"}).status_code == 200


def test_catalogue_shows_continue_where_you_left_off(client, login, family_member, shared_module):
    login(family_member)
    client.post(reverse("education:lesson", args=[shared_module.slug, 1]))
    page = client.get(reverse("education:catalogue")).content.decode()
    assert "Continue where you left off" in page


def test_my_progress_is_private_and_has_an_empty_state(client, login, learner, family_member, shared_module):
    login(family_member)
    client.post(reverse("education:lesson", args=[shared_module.slug, 1]))
    assert "How the brain changes" in client.get(reverse("education:my_progress")).content.decode()
    login(learner)
    page = client.get(reverse("education:my_progress")).content.decode()
    assert "You have not started a module yet" in page and "How the brain changes" not in page


def test_choice_rules_are_enforced(shared_module, reviewer):
    draft = authoring.start_new_version(module=shared_module, author=reviewer)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        authoring.save_question(
            version=draft,
            prompt="Two right?",
            kind="single",
            choices=[ChoiceData("a", True), ChoiceData("b", True)],
        )
    with pytest.raises(ValidationError):
        authoring.save_question(
            version=draft,
            prompt="None right?",
            kind="multiple",
            choices=[ChoiceData("a", False), ChoiceData("b", False)],
        )


def test_an_assigned_module_not_started_says_how_many_lessons_even_when_filtered_out(
    client, login, family_member, counselor, patient, shared_module, overdose_module
):
    services.assign_module(counselor=counselor, patient=patient, module=shared_module)
    lessons = shared_module.current_version.lessons.count()
    login(family_member)
    page = client.get(reverse("education:catalogue"), {"topic": "overdose"}).content.decode()
    assigned = page.split('id="assigned-heading"', 1)[1].split("</section>", 1)[0]
    assert "How the brain changes" in assigned
    assert f"{lessons} lesson" in assigned


def _pending_version(module, author, marker: str, source=None):
    """A newer, unpublished version whose every visible text carries ``marker``."""
    version = authoring.copy_version(source=source, author=author) if source else None
    version = version or authoring.start_new_version(module=module, author=author)
    authoring.update_version(version=version, title=f"{marker} title")
    authoring.update_lesson(lesson=version.lessons.get(position=1), title=f"{marker} lesson", body=f"{marker} words.")
    authoring.save_question(
        version=version,
        prompt=f"{marker} question?",
        kind="single",
        choices=[ChoiceData(f"{marker} yes", True), ChoiceData(f"{marker} no", False)],
    )
    return version


@pytest.mark.parametrize("pending", ["draft", "in_review", "in_review_and_a_newer_draft"])
def test_learner_reads_the_published_version_while_a_newer_one_is_pending(
    client, login, family_member, outsider, reviewer, shared_module, pending
):
    """Only the published version reaches learners: a newer draft or a version in review never does, whether the
    learner starts, reads, takes the check or restarts."""
    published = shared_module.current_version
    markers = ["Unpublished"]
    newer = _pending_version(shared_module, reviewer, "Unpublished")
    if pending != "draft":
        authoring.submit_for_review(version=newer, author=reviewer)
    if pending == "in_review_and_a_newer_draft":
        markers.append("Newest draft")
        _pending_version(shared_module, reviewer, "Newest draft", source=newer)

    def assert_published_only(page: str) -> None:
        shown = [marker for marker in markers if marker in page]
        assert shown == []

    login(family_member)
    catalogue = client.get(reverse("education:catalogue")).content.decode()
    assert "How the brain changes" in catalogue
    assert_published_only(catalogue)
    lesson = client.get(reverse("education:lesson", args=[shared_module.slug, 1]))
    assert lesson.status_code == 200
    assert_published_only(lesson.content.decode())
    assert "You can read this." in lesson.content.decode()
    progress = ModuleProgress.objects.get(learner=family_member, module=shared_module)
    assert progress.version_id == published.pk
    overview = client.get(reverse("education:module", args=[shared_module.slug])).content.decode()
    assert_published_only(overview)
    quiz = client.get(reverse("education:quiz", args=[shared_module.slug])).content.decode()
    assert_published_only(quiz)
    assert "Which one is right?" in quiz
    client.post(reverse("education:quiz", args=[shared_module.slug]), _quiz_post(published))
    assert progress.attempts.get(submitted_at__isnull=False).version_id == published.pk

    client.post(reverse("education:restart", args=[shared_module.slug]))
    progress.refresh_from_db()
    assert progress.version_id == published.pk
    assert_published_only(client.get(reverse("education:lesson", args=[shared_module.slug, 1])).content.decode())
    assert services.start_module(learner=outsider, module=shared_module).version_id == published.pk


def test_the_score_is_the_share_of_questions_right_rounded_down(family_member):
    questions = [
        {"prompt": f"Question {n}?", "kind": "single", "choices": [ChoiceData("Yes", True), ChoiceData("No", False)]}
        for n in (1, 2, 3)
    ]
    module = published_module("three-questions", questions=questions)
    progress = services.start_module(learner=family_member, module=module)
    answers = answers_for(progress.version, right=False)
    first = progress.version.questions.order_by("position").first()
    assert first is not None
    answers[str(first.pk)] = [str(first.choices.get(correct=True).pk)]
    result = services.grade_answers(progress=progress, answers=answers)
    assert (result.score, result.passed) == (33, False)  # 1 of 3, not 33.33…


def test_a_version_without_questions_grades_as_passed(family_member):
    module = published_module("reading-only", questions=[], lessons=1)
    progress = services.start_module(learner=family_member, module=module)
    result = services.grade_answers(progress=progress, answers={})
    assert (result.score, result.passed, result.questions) == (100, True, [])


def test_grading_costs_two_queries_whatever_the_number_of_questions(django_assert_num_queries, family_member):
    questions = [
        {"prompt": f"Question {n}?", "kind": "single", "choices": [ChoiceData("Yes", True), ChoiceData("No", False)]}
        for n in range(1, 6)
    ]
    module = published_module("five-questions", questions=questions)
    progress = services.start_module(learner=family_member, module=module)
    answers = answers_for(progress.version)
    with django_assert_num_queries(2):  # the questions, then all their choices
        assert services.grade_answers(progress=progress, answers=answers).score == 100


def test_starting_again_returns_the_learners_own_progress_of_that_module(
    django_assert_num_queries, family_member, learner, shared_module, overdose_module
):
    first = services.start_module(learner=family_member, module=shared_module)
    other = services.start_module(learner=family_member, module=overdose_module)
    someone_else = services.start_module(learner=learner, module=shared_module)
    assert len({first.pk, other.pk, someone_else.pk}) == 3
    again = services.start_module(learner=family_member, module=shared_module)
    assert again.pk == first.pk
    with django_assert_num_queries(0):  # the version comes with it: the lesson page reads it next
        assert again.version.pk == shared_module.current_version_id
    assert services.start_module(learner=family_member, module=overdose_module).pk == other.pk
    assert ModuleProgress.objects.count() == 3


def test_an_archived_module_cannot_be_started_or_restarted(family_member, learner, reviewer, shared_module):
    progress = services.start_module(learner=family_member, module=shared_module)
    authoring.archive_module(module=shared_module, actor=reviewer)
    with pytest.raises(ValidationError, match=r"^\['This module is not available\.'\]$"):
        services.start_module(learner=learner, module=shared_module)
    with pytest.raises(ValidationError, match=r"^\['This module is not available\.'\]$"):
        services.restart_module(progress=progress)
    assert not ModuleProgress.objects.filter(learner=learner).exists()
    progress.refresh_from_db()
    assert progress.version_id is not None


def test_a_lesson_of_another_module_is_refused(family_member, shared_module, overdose_module):
    progress = services.start_module(learner=family_member, module=shared_module)
    foreign = services.start_module(learner=family_member, module=overdose_module).version.lessons.get(position=1)
    with pytest.raises(ValidationError, match=r"^\['That lesson is not part of this module\.'\]$"):
        services.complete_lesson(progress=progress, lesson=foreign)
    progress.refresh_from_db()
    assert (progress.completions.count(), progress.last_position) == (0, 1)


def test_restart_clears_checkmarks_pass_and_bookmark_and_keeps_attempts(family_member, shared_module):
    progress = services.start_module(learner=family_member, module=shared_module)
    for lesson in progress.version.lessons.order_by("position"):
        services.complete_lesson(progress=progress, lesson=lesson)
    services.submit_quiz(progress=progress, answers=answers_for(progress.version))
    progress.refresh_from_db()
    assert progress.completed_at is not None and progress.last_position == 3
    services.restart_module(progress=progress)
    progress.refresh_from_db()
    assert (progress.last_position, progress.best_score, progress.quiz_passed_at, progress.completed_at) == (
        1,
        None,
        None,
        None,
    )
    assert progress.completions.count() == 0 and progress.attempts.count() == 1


def test_a_first_attempt_with_nothing_right_is_a_best_score_of_zero(family_member, shared_module):
    progress = services.start_module(learner=family_member, module=shared_module)
    assert services.submit_quiz(progress=progress, answers=answers_for(progress.version, right=False)).score == 0
    progress.refresh_from_db()
    assert progress.best_score == 0 and progress.quiz_passed_at is None


def test_submitting_and_restarting_cost_a_fixed_number_of_queries(django_assert_num_queries, family_member):
    """The learner's row is read with what the step needs (its version, its module) in the locking query."""
    module = published_module("counted", lessons=4)
    progress = services.start_module(learner=family_member, module=module)
    answers = answers_for(progress.version)
    quizzes.open_attempt(progress=progress)  # the page was shown: its draw is stored
    stale = ModuleProgress.objects.get(pk=progress.pk)  # a row without its version or module loaded
    with django_assert_num_queries(9):
        services.submit_quiz(progress=stale, answers=answers)
    with django_assert_num_queries(5):
        services.restart_module(progress=stale)
