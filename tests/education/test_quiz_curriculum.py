"""The curriculum's question bank keys (issue #20): ``[quiz] questions_per_attempt`` and each question's ``lesson``."""

from __future__ import annotations

from pathlib import Path

import pytest

from education.curriculum_loader import CurriculumError, load_curriculum, parse_file
from education.models import Module
from tests.education.test_curriculum import GOOD

QUESTION = """
[[quiz.questions]]
prompt = "Question {n}?"
kind = "single"
{lesson}
[[quiz.questions.choices]]
text = "Right {n}"
correct = true

[[quiz.questions.choices]]
text = "Wrong {n}"
correct = false
"""


def _bank_file(tmp_path: Path, *, per_attempt: str = "", lessons: tuple[int | None, ...] = (1, 2, None)) -> Path:
    """GOOD (three lessons) with a bank of one question per entry of ``lessons`` (its lesson number, or none)."""
    head = GOOD.split("[[quiz.questions]]")[0].replace("pass_mark = 70", f"pass_mark = 70\n{per_attempt}")
    questions = "".join(
        QUESTION.format(n=n, lesson=f"lesson = {lesson}" if lesson is not None else "")
        for n, lesson in enumerate(lessons, 1)
    )
    path = tmp_path / "01-sample.toml"
    path.write_text(head + questions, encoding="utf-8")
    return path


def test_defaults_draw_all_but_one_question_and_lesson_is_optional(tmp_path: Path) -> None:
    spec = parse_file(_bank_file(tmp_path))
    assert spec.fields["questions_per_attempt"] == 2
    assert [q["lesson"] for q in spec.questions] == [1, 2, None]
    assert parse_file(_bank_file(tmp_path, lessons=(1,))).fields["questions_per_attempt"] is None


@pytest.mark.parametrize(
    ("per_attempt", "lessons", "message"),
    [
        ("questions_per_attempt = 3", (1, 2, 3), "quiz.questions_per_attempt: must be from 1 to 2"),
        ("questions_per_attempt = 0", (1, 2, 3), "quiz.questions_per_attempt: must be from 1 to 2"),
        ('questions_per_attempt = "two"', (1, 2, 3), "quiz.questions_per_attempt"),
        ("questions_per_attempt = 1", (1,), "add at least two questions"),
        ("", (1, 4, 2), "quiz.questions[2].lesson: must be the number of a lesson, from 1 to 3"),
        ("", (0, 1, 2), "quiz.questions[1].lesson"),
    ],
)
def test_bad_bank_keys_are_clear_errors(tmp_path: Path, per_attempt: str, lessons, message: str) -> None:
    with pytest.raises(CurriculumError) as excinfo:
        parse_file(_bank_file(tmp_path, per_attempt=per_attempt, lessons=lessons))
    assert message in str(excinfo.value) and "01-sample.toml" in str(excinfo.value)


@pytest.mark.django_db
def test_loaded_bank_keeps_its_draw_size_and_lessons_through_a_new_version(tmp_path: Path, reviewer) -> None:
    from education.authoring import copy_version

    _bank_file(tmp_path, per_attempt="questions_per_attempt = 1", lessons=(3, 1, None))
    load_curriculum(tmp_path)
    version = Module.objects.get(slug="sample-module").current_version
    assert version is not None and version.questions_per_attempt == 1
    about = [q.lesson.position if q.lesson else None for q in version.questions.select_related("lesson")]
    assert about == [3, 1, None]
    copy = copy_version(source=version, author=reviewer)
    assert copy.questions_per_attempt == 1
    copied = [
        (q.lesson.version_id, q.lesson.position) if q.lesson else None for q in copy.questions.select_related("lesson")
    ]
    assert copied == [(copy.pk, 3), (copy.pk, 1), None]  # pointing at the copy's own lessons


@pytest.mark.django_db
def test_staff_tie_a_question_to_a_lesson_and_set_the_draw_size(client, login, counselor) -> None:
    from django.urls import reverse

    from tests.education.test_authoring import NEW_MODULE
    from tests.support.education_content import draft_module

    version = draft_module("staff-bank", author=counselor, questions=[], lessons=2)
    second = version.lessons.get(position=2)
    login(counselor)
    url = reverse("education:question_new", args=["staff-bank"])
    form = {"prompt": "What helps?", "kind": "single", "choice_1_text": "Listening", "choice_1_correct": "on"}
    form |= {"choice_2_text": "Shouting", "lesson": str(second.pk)}
    assert "2. Lesson 2" in client.get(url).content.decode()
    client.post(url, form)
    assert version.questions.get().lesson == second
    other = draft_module("other-bank", author=counselor, lessons=1)
    foreign = other.lessons.get().pk
    response = client.post(url, form | {"lesson": str(foreign)})  # another module's lesson: not a choice
    assert response.status_code == 200 and version.questions.count() == 1
    details = {k: v for k, v in NEW_MODULE.items() if k != "slug"} | {"questions_per_attempt": "3"}
    client.post(reverse("education:manage_module", args=["staff-bank"]), details)
    version.refresh_from_db()
    assert version.questions_per_attempt == 3
