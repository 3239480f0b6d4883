"""Learners read a module in their language when its translation is published, else English with a note;
progress and knowledge-check results are kept per module, whatever language they were done in."""

from __future__ import annotations

import pytest
from django.urls import reverse

from education import services
from education.models import LessonCompletion, ModuleProgress, QuizAttempt
from tests.support.education_content import answers_for, published_module
from tests.support.translations import publish_spanish

pytestmark = pytest.mark.django_db
SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es"}
FALLBACK_NOTE = "Este módulo aún no está disponible en español"


@pytest.fixture
def spanish_reader(learner):
    learner.preferred_language = "es"
    learner.save(update_fields=["preferred_language"])
    return learner


@pytest.fixture
def translated_module(db):
    module = published_module("understanding-addiction", title="How the brain changes")
    publish_spanish(module.current_version)
    return module


def test_a_spanish_reader_sees_the_published_translation(client, login, spanish_reader, translated_module):
    login(spanish_reader)
    page = client.get(reverse("education:module", args=[translated_module.slug]), **SPANISH).content.decode()
    assert "ES How the brain changes" in page and "Lección 1" in page
    assert "<h1>How the brain changes</h1>" not in page and FALLBACK_NOTE not in page
    lesson = client.get(reverse("education:lesson", args=[translated_module.slug, 1]), **SPANISH).content.decode()
    assert "Usted puede leer esto." in lesson and 'lang="es"' in lesson
    assert "You can read this." not in lesson
    quiz = client.get(reverse("education:quiz", args=[translated_module.slug]), **SPANISH).content.decode()
    assert "Pregunta 1" in quiz and "Respuesta 2" in quiz and "Which one is right?" not in quiz


def test_an_english_reader_sees_english_even_when_a_translation_exists(client, login, learner, translated_module):
    login(learner)
    page = client.get(reverse("education:module", args=[translated_module.slug])).content.decode()
    assert "How the brain changes" in page and "ES How the brain changes" not in page


def test_without_a_translation_a_spanish_reader_gets_english_with_a_note(client, login, spanish_reader, shared_module):
    login(spanish_reader)
    for url in (
        reverse("education:module", args=[shared_module.slug]),
        reverse("education:lesson", args=[shared_module.slug, 1]),
        reverse("education:quiz", args=[shared_module.slug]),
    ):
        page = client.get(url, **SPANISH).content.decode()
        assert FALLBACK_NOTE in page, url
        assert "se muestra en inglés" in page
    lesson = client.get(reverse("education:lesson", args=[shared_module.slug, 1]), **SPANISH).content.decode()
    assert "You can read this." in lesson and 'lang="en"' in lesson  # the English text is marked as English


def test_an_unpublished_translation_is_not_shown(client, login, spanish_reader, shared_module):
    from tests.support.translations import draft_translation

    draft_translation(shared_module.current_version)
    login(spanish_reader)
    page = client.get(reverse("education:module", args=[shared_module.slug]), **SPANISH).content.decode()
    assert FALLBACK_NOTE in page and "ES How the brain changes" not in page


def reads_english(user) -> None:
    """A signed-in person reads their preferred language (accounts.languages), so switch it to read in English."""
    type(user).objects.filter(pk=user.pk).update(preferred_language="en")


def test_a_lesson_read_in_spanish_counts_in_english_too(client, login, spanish_reader, translated_module):
    login(spanish_reader)
    client.post(reverse("education:lesson", args=[translated_module.slug, 1]), **SPANISH)
    progress = ModuleProgress.objects.get(learner=spanish_reader, module=translated_module)
    assert LessonCompletion.objects.filter(progress=progress).count() == 1
    reads_english(spanish_reader)
    page = client.get(reverse("education:module", args=[translated_module.slug])).content.decode()
    assert "Continue: Lesson 2" in page  # lesson 1 is read, whatever the language it was read in


def test_a_knowledge_check_passed_in_spanish_completes_the_module(client, login, spanish_reader, translated_module):
    login(spanish_reader)
    for position in (1, 2, 3):
        client.post(reverse("education:lesson", args=[translated_module.slug, position]), **SPANISH)
    answers = answers_for(translated_module.current_version)
    data = {f"q-{question}": choices for question, choices in answers.items()}
    client.post(reverse("education:quiz", args=[translated_module.slug]), data, **SPANISH)
    progress = ModuleProgress.objects.get(learner=spanish_reader, module=translated_module)
    assert progress.completed_at is not None and progress.best_score == 100
    assert QuizAttempt.objects.get(progress=progress).passed
    result = client.get(reverse("education:quiz_result", args=[translated_module.slug]), **SPANISH).content.decode()
    assert "Comentario 1" in result and "Yes, that is right." not in result
    reads_english(spanish_reader)
    english = client.get(reverse("education:module", args=[translated_module.slug])).content.decode()
    assert "You finished this module" in english
    assert services.start_module(learner=spanish_reader, module=translated_module).pk == progress.pk


def test_the_catalogue_lists_translated_titles_and_finds_them(client, login, spanish_reader, translated_module):
    published_module("overdose-basics", title="Overdose basics", topic="overdose")
    login(spanish_reader)
    page = client.get(reverse("education:catalogue"), **SPANISH).content.decode()
    assert "ES How the brain changes" in page and "Overdose basics" in page
    found = client.get(reverse("education:catalogue"), {"q": "ES How"}, **SPANISH).content.decode()
    assert "ES How the brain changes" in found and "Overdose basics" not in found


def test_translated_pages_cost_a_fixed_number_of_extra_queries(
    client, login, spanish_reader, translated_module, django_assert_max_num_queries
):
    """One query finds the translations of every card, whatever the number of modules."""
    login(spanish_reader)
    client.get(reverse("education:catalogue"), **SPANISH)  # warm the session and the gate
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(reverse("education:catalogue"), **SPANISH)
    for n in range(4):
        publish_spanish(published_module(f"more-{n}", title=f"More {n}").current_version)
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(reverse("education:catalogue"), **SPANISH).content.decode()
    assert "ES More 3" in page


def test_the_dashboard_card_names_modules_in_the_learners_language(client, login, spanish_reader, translated_module):
    from education import services as learning

    learning.start_module(learner=spanish_reader, module=translated_module)
    login(spanish_reader)
    page = client.get("/", **SPANISH).content.decode()
    assert "ES How the brain changes" in page
