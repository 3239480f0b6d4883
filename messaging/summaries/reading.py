"""The reading-level hint shown while a counselor writes a summary (``education.readability``): the Flesch-Kincaid
grade for English (aim: grade 8 or below), the Fernández-Huerta reading ease for Spanish (aim: 65 or more)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from education.readability import EASE_MINIMUM, GRADE_LIMIT, reading_ease, reading_grade

MAX_TEXT = 6000  # three fields of 1,500 characters and some slack; longer input is cut, never measured whole


@dataclass(frozen=True)
class ReadingHint:
    """What the form shows beside the text: a sentence, and whether it is plain enough."""

    message: str
    plain: bool | None  # None: nothing to measure yet, or no formula for the language


def reading_hint(parts: list[str], language: str) -> ReadingHint:
    """The hint for the text of ``parts`` written in ``language``."""
    text = "\n\n".join(part.strip() for part in parts if part and part.strip())[:MAX_TEXT]
    if not text:
        return ReadingHint(_("Write something to see its reading level."), None)
    if language == "es":
        ease = reading_ease([text], "es")
        if ease is None:
            return ReadingHint(_("The reading level could not be measured."), None)
        plain, ease = ease >= EASE_MINIMUM, min(ease, Decimal(100))  # the scale tops out at 100 for the reader
        return ReadingHint(
            _("Reading ease %(score)s (aim for %(aim)s or more).")
            % {"score": _number(ease), "aim": _number(EASE_MINIMUM)},
            plain,
        )
    if language != "en":
        return ReadingHint(_("The reading level is measured for English and Spanish only."), None)
    grade = reading_grade([text])
    if grade is None:
        return ReadingHint(_("The reading level could not be measured."), None)
    plain, grade = grade <= GRADE_LIMIT, max(grade, Decimal(1))  # very short text measures below grade 1
    return ReadingHint(
        _("Reading level: grade %(grade)s (aim for grade %(aim)s or below).")
        % {"grade": _number(grade), "aim": _number(GRADE_LIMIT)},
        plain,
    )


def _number(value: Decimal) -> str:
    from django.utils.formats import number_format

    return number_format(value, decimal_pos=0 if value == value.to_integral() else 1)
