"""The learner's pages in Spanish (issue 18): the page chrome is translated; the module's own text (a curriculum
written in English here) is left as written."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.urls import reverse
from django.utils import translation

from tests.support.education_content import answers_for

pytestmark = pytest.mark.django_db

SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es"}


@pytest.fixture(autouse=True)
def _english_afterwards() -> Iterator[None]:
    """A request activates its language for the rest of the thread: leave the next test in the default."""
    yield
    translation.deactivate()


@pytest.fixture
def spanish_reader(family_member):
    family_member.preferred_language = "es"
    family_member.save(update_fields=["preferred_language"])
    return family_member


def _page(client, url: str) -> str:
    response = client.get(url, **SPANISH)
    assert response.status_code == 200
    return response.content.decode()


def test_the_catalogue_speaks_spanish(client, login, spanish_reader, shared_module, overdose_module):
    login(spanish_reader)
    page = _page(client, reverse("education:catalogue"))
    for spanish in (
        "Aprender",
        "Módulos cortos para familiares y amigos",
        "Todos los temas",
        "Mostrar módulos",
        "Ver todo su progreso de aprendizaje",
        "Entender la adicción",
        "Qué hacer ante una sobredosis",
    ):
        assert spanish in page
    for english in ("Short modules for families", "Show modules", "All topics", "See all your learning progress"):
        assert english not in page
    assert "How the brain changes" in page  # the module's own title is content, not chrome


def test_the_module_overview_and_a_lesson_speak_spanish(client, login, spanish_reader, shared_module):
    login(spanish_reader)
    overview = _page(client, reverse("education:module", args=[shared_module.slug]))
    for spanish in (
        "Su progreso",
        "Hacer la prueba inicial",
        "3 lecciones",
        "Preguntas de repaso (2 preguntas)",
        "Fuentes",
        "Este módulo es información general",
    ):
        assert spanish in overview
    assert "Take the pre-check" not in overview and "Your progress" not in overview
    lesson = _page(client, reverse("education:lesson", args=[shared_module.slug, 1]))
    for spanish in ("Lección 1 de 3", "Marcar como leída y continuar", "0 de 3 lecciones leídas"):
        assert spanish in lesson
    assert "Mark as read and continue" not in lesson and "Lesson 1 of 3" not in lesson


def test_the_knowledge_check_and_its_feedback_speak_spanish(client, login, spanish_reader, shared_module):
    login(spanish_reader)
    version = shared_module.current_version
    quiz_url = reverse("education:quiz", args=[shared_module.slug])
    quiz = _page(client, quiz_url)
    for spanish in (
        "Preguntas de repaso",
        "Revisar mis respuestas",
        "Elija una respuesta.",
        "Elija todas las que correspondan.",
    ):
        assert spanish in quiz
    assert "Check my answers" not in quiz and "Choose one answer." not in quiz
    unanswered = client.post(quiz_url, {}, **SPANISH)
    assert "Por favor, responda la pregunta 1." in unanswered.content.decode()
    data = {f"q-{question}": choices for question, choices in answers_for(version, right=False).items()}
    client.post(quiz_url, data, **SPANISH)
    result = _page(client, reverse("education:quiz_result", args=[shared_module.slug]))
    for spanish in ("Sus resultados", "Todavía no.", "Intentar de nuevo", "Preguntas para repasar"):
        assert spanish in result
    assert "Try again" not in result and "Your results" not in result


def test_english_stays_the_default(client, login, family_member, shared_module):
    login(family_member)
    page = client.get(reverse("education:module", args=[shared_module.slug])).content.decode()
    assert "Take the pre-check" in page and "3 lessons" in page
