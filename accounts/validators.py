"""Validators Django lacks: a password's maximum length (AUTH-02, no composition rules) and the characters a
display name may hold (AUTH-13)."""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class MaximumLengthValidator:
    """Reject absurdly long passwords (hashing cost) while allowing long passphrases."""

    def __init__(self, max_length: int = 128) -> None:
        self.max_length = max_length

    def validate(self, password: str, user: object = None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                ngettext(
                    "Use at most %(max_length)d character.", "Use at most %(max_length)d characters.", self.max_length
                ),
                code="password_too_long",
                params={"max_length": self.max_length},
            )

    def get_help_text(self) -> str:
        return ngettext(
            "Your password can be up to %(max_length)d character long.",
            "Your password can be up to %(max_length)d characters long.",
            self.max_length,
        ) % {"max_length": self.max_length}


# --- Display names (AUTH-13) ---------------------------------------------------------------------------------------

# Categories no name needs: controls (Cc), format characters (Cf: bidi overrides and isolates, zero-width space,
# word joiner, soft hyphen, byte-order mark, tags...), surrogates, private use, unassigned, line/paragraph separators.
_REJECTED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
# Characters outside those categories that print as nothing: Hangul fillers, the braille blank, the combining
# grapheme joiner, Khmer inherent vowels, Mongolian and other variation selectors, the object replacement character.
_INVISIBLE = frozenset(
    [0x115F, 0x1160, 0x3164, 0xFFA0, 0x2800, 0x034F, 0x17B4, 0x17B5, 0x180B, 0x180C, 0x180D, 0x180F, 0xFFFC]
    + list(range(0xFE00, 0xFE10))
    + list(range(0xE0100, 0xE01F0))
)
ZWNJ, ZWJ = "\u200c", "\u200d"
VIRAMA = 9  # canonical combining class


def _joiner_is_part_of_the_spelling(value: str, index: int) -> bool:
    """ZWJ/ZWNJ spell some names: after a virama (Indic scripts, RFC 5892 A.1/A.2), and ZWNJ between two Arabic
    letters (Persian). Anywhere else they are invisible padding."""
    before = value[index - 1] if index > 0 else ""
    if before and unicodedata.combining(before) == VIRAMA:
        return True
    after = value[index + 1] if index + 1 < len(value) else ""
    return value[index] == ZWNJ and _is_arabic_letter(before) and _is_arabic_letter(after)


def _is_arabic_letter(char: str) -> bool:
    return bool(char) and unicodedata.name(char, "").startswith("ARABIC LETTER")


def hidden_characters(value: str) -> list[str]:
    """The code points (``U+202E``...) in ``value`` that are control, formatting or invisible characters."""
    found = []
    for index, char in enumerate(value):
        if char in (ZWJ, ZWNJ) and _joiner_is_part_of_the_spelling(value, index):
            continue
        if unicodedata.category(char) in _REJECTED_CATEGORIES or ord(char) in _INVISIBLE:
            found.append(f"U+{ord(char):04X}")
    return list(dict.fromkeys(found))


def validate_display_name(value: str) -> None:
    """A name shown to others has no control, bidi-override or invisible characters (AUTH-13): they can make one
    name look like another, or reorder the text around it."""
    found = hidden_characters(value)
    if found:
        raise ValidationError(
            _("This name contains hidden or formatting characters (%(chars)s). Please type it again by hand."),
            code="hidden_characters",
            params={"chars": ", ".join(found[:5])},
        )
