"""Spanish translations of test modules, written through the real translation services."""

from __future__ import annotations

from typing import Any

from education import translating
from education.models import ModuleTranslation, ModuleVersion
from education.translating import TranslatedQuestion, TranslationContent

SPANISH_SOURCES = [{"title": "NIDA: Drugs, Brains, and Behavior", "url": "https://nida.nih.gov/"}]


def spanish_content(version: ModuleVersion, **overrides: Any) -> TranslationContent:
    """A complete, easy-to-read Spanish text for every lesson, question and answer of ``version``."""
    content = TranslationContent(
        title=f"ES {version.title}",
        summary="Un resumen corto.",
        sources=SPANISH_SOURCES,
        lessons=[
            (f"Lección {lesson.position}", f"### Parte {lesson.position}\n\nUsted puede leer esto. Es corto.")
            for lesson in version.lessons.order_by("position")
        ],
        questions=[
            TranslatedQuestion(
                prompt=f"Pregunta {question.position}",
                choices=[(f"Respuesta {c.position}", f"Comentario {c.position}") for c in question.choices.all()],
            )
            for question in version.questions.prefetch_related("choices")
        ],
    )
    for name, value in overrides.items():
        setattr(content, name, value)
    return content


def draft_translation(version: ModuleVersion, author: Any = None, **overrides: Any) -> ModuleTranslation:
    translation = translating.start_translation(version=version, language="es", author=author)
    return translating.save_translation(translation=translation, content=spanish_content(version, **overrides))


def publish_spanish(version: ModuleVersion | None) -> ModuleTranslation:
    """Translate a published version into Spanish and publish the translation (as the curriculum loader does)."""
    assert version is not None, "a published module has a current version"
    translation = draft_translation(version)
    translating.publish_translation(translation=translation, publisher=None, skip_review=True)
    translation.refresh_from_db()
    return translation
