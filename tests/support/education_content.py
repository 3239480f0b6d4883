"""Build education content through the real authoring services (style guide 2.8)."""

from __future__ import annotations

from typing import Any

from education import authoring
from education.authoring import ChoiceData
from education.models import Module, ModuleVersion

SOURCES = [{"title": "NIDA: Drugs, Brains, and Behavior", "url": "https://nida.nih.gov/"}]


def default_questions() -> list[dict[str, Any]]:
    return [
        {
            "prompt": "Which one is right?",
            "kind": "single",
            "choices": [
                ChoiceData("Right answer", True, "Yes, that is right."),
                ChoiceData("Wrong answer", False, "No, this one is wrong."),
            ],
        },
        {
            "prompt": "Pick all the right ones.",
            "kind": "multiple",
            "choices": [
                ChoiceData("First right", True, "Yes."),
                ChoiceData("Second right", True, "Yes, this too."),
                ChoiceData("Wrong", False, "Not this one."),
            ],
        },
    ]


def draft_module(
    slug: str,
    *,
    lessons: int = 3,
    questions: list[dict[str, Any]] | None = None,
    program: Any = None,
    author: Any = None,
    enrolled_only: bool = False,
    topic: str = "addiction",
    title: str | None = None,
) -> ModuleVersion:
    version = authoring.create_module(
        author=author,
        slug=slug,
        program=program,
        title=title or slug.replace("-", " ").capitalize(),
        summary=f"A short summary of {slug}.",
        topic=topic,
        enrolled_only=enrolled_only,
        pass_mark=100,
        sources=SOURCES,
    )
    for i in range(1, lessons + 1):
        authoring.add_lesson(
            version=version, title=f"Lesson {i}", body=f"### Part {i}\n\nYou can read this. It is short."
        )
    for question in default_questions() if questions is None else questions:
        authoring.save_question(version=version, **question)
    return version


def published_module(slug: str, **kwargs: Any) -> Module:
    version = draft_module(slug, **kwargs)
    authoring.publish_version(version=version, publisher=None, skip_review=True)
    return Module.objects.get(pk=version.module_id)


def answers_for(version: ModuleVersion, *, right: bool = True) -> dict[str, list[str]]:
    """All-right (or all-wrong) answers for every question of ``version``."""
    answers = {}
    for question in version.questions.prefetch_related("choices"):
        choices = list(question.choices.all())
        picked = [c for c in choices if c.correct] if right else [next(c for c in choices if not c.correct)]
        answers[str(question.pk)] = [str(c.pk) for c in picked]
    return answers
