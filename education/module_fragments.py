"""The parts of the module page that show program content only, rendered once per process for each set of values
they show (issue #17).

The module's title, topic, length and summary (``education/_module_about.html``), its sources
(``education/_sources.html``) and the education stylesheet's link (``education/_head.html``) read nothing of the
learner: each fragment is remembered under a key made of every value it reads, with the active language (its
words and number formats) and, for the review date, the time zone. A changed title, translation, language or zone
makes a new key and renders again, so nothing shown is ever stale. What is the learner's own (progress, read
lessons, prerequisites they finished) is rendered per request, never remembered. The page is byte for byte the
one the template wrote (``tests/education/test_module_page.py``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Hashable
from typing import Any

from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from education.models import ModuleVersion

MEMO_SIZE = 512  # fragments per template; a full memo starts again empty


class FragmentMemo:
    """``render(key, context)``: the template rendered with ``context``, remembered under ``key``, which must name
    every value of ``context`` the template reads (the memo cannot check that)."""

    def __init__(self, template_name: str) -> None:
        self.template_name = template_name
        self._memo: dict[Hashable, SafeString] = {}
        self._lock = threading.Lock()

    def render(self, key: Hashable, context: dict[str, Any]) -> SafeString:
        if (found := self._memo.get(key)) is not None:
            return found
        rendered = mark_safe(render_to_string(self.template_name, context))  # noqa: S308  (a template's output)
        with self._lock:
            if len(self._memo) >= MEMO_SIZE:
                self._memo.clear()
            self._memo[key] = rendered
        return rendered


_ABOUT = FragmentMemo("education/_module_about.html")
_SOURCES = FragmentMemo("education/_sources.html")
_HEAD = FragmentMemo("education/_head.html")


def about(version: ModuleVersion, lessons: list[Any], question_count: int, fallback_language: str | None) -> SafeString:
    """The breadcrumb, title, language note, facts and summary of the module page."""
    key = (
        translation.get_language(),
        get_script_prefix(),  # the catalogue's link
        version.title,
        version.topic_label,
        version.estimated_minutes,
        len(lessons),
        question_count,
        version.summary,
        fallback_language,
    )
    context = {
        "version": version,
        "lessons": lessons,
        "question_count": question_count,
        "fallback_language": fallback_language,
    }
    return _ABOUT.render(key, context)


def sources(version: ModuleVersion) -> SafeString:
    """The sources section: the version's sources (in the language shown) and the month it was published."""
    key = (
        translation.get_language(),
        timezone.get_current_timezone_name(),
        json.dumps(version.sources, sort_keys=True, default=str),
        version.published_at,
    )
    return _SOURCES.render(key, {"version": version})


def head() -> SafeString:
    """The education stylesheet's link (``{% static %}``: the same for every page of the process)."""
    return _HEAD.render(get_script_prefix(), {})
