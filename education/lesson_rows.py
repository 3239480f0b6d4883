"""The module page's list of lessons, each row's markup built in Python (issue #17).

A template loop with a ``{% url %}``, a ``{% blocktranslate %}`` and a badge per lesson cost more than these few
string operations: the lessons' links come from one ``reverse``, each lesson's position put in. The markup is what
the loop in ``templates/education/module_detail.html`` wrote (``tests/education/test_module_page.py`` compares the
page with the one the loop made).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

_SAMPLE = 987654321  # a position no module reaches, replaced by each lesson's own


def lesson_items(slug: str, lessons: Iterable[Any], done: set[Any]) -> SafeString:
    """The ``<li>`` of each of ``lessons`` (with ``pk``, ``position`` and ``title``) for the module at ``slug``:
    a "Done" badge for those in ``done``, else "Lesson N", and the link to the lesson."""
    head, _sample, tail = reverse("education:lesson", args=[slug, _SAMPLE]).rpartition(f"/{_SAMPLE}/")
    read = conditional_escape(_("Done"))
    rows = []
    for lesson in lessons:
        if lesson.pk in done:
            badge = f'<span class="badge badge-ok">{read}</span>'
        else:
            label = _("Lesson %(position)s") % {"position": conditional_escape(lesson.position)}
            badge = f'<span class="badge badge-neutral">{label}</span>'
        url = conditional_escape(f"{head}/{lesson.position}/{tail}")
        rows.append(
            f'\n    <li><span class="status">{badge}</span>\n'
            f'      <a href="{url}">{conditional_escape(lesson.title)}</a></li>\n    '
        )
    return mark_safe("".join(rows))  # noqa: S308  (every value is escaped above; the texts are the catalogue's)
