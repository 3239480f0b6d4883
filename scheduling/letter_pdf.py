"""The attendance letter's sentences (shared by the printable page and the PDF) and its PDF, made with fpdf2.

The PDF uses DejaVu Sans when the system has it (any name prints as written); otherwise the core Helvetica font with
names transliterated to Latin-1 (``é`` stays, ``ł`` becomes ``l``), so no name can make the download fail.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext

from consent.ledger import STATEMENT_1
from consent.models import USE_RESTRICTION
from scheduling.services.letter_facts import LetterView

# fontTools logs each subset's glyph names at INFO: characters of the names in the letter. Keep them out of the logs.
logging.getLogger("fontTools").setLevel(logging.WARNING)

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
REGULAR, BOLD = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"


def verification_url() -> str:
    return f"{settings.PORTAL_BASE_URL}{reverse('letter_verify')}"


def _day(value: Any) -> str:
    return formats.date_format(value, "DATE_FORMAT")


@dataclass(frozen=True)
class LetterWords:
    """The letter's sentences in the active language."""

    title: str
    introduction: str
    consent_line: str
    totals_line: str
    hours_line: str
    verify_line: str
    validity_line: str
    use_restriction: str
    notice: str


def letter_words(view: LetterView, code: str = "") -> LetterWords:
    """The sentences of the letter; without ``code`` (shown only to whoever issued it) the verify line says where."""
    facts, totals = view.facts, view.totals
    if code:
        verify = gettext("To check this letter, go to %(url)s and type the code %(code)s.")
    else:
        verify = gettext("To check this letter, go to %(url)s and type the code printed on it.")
    recipient = facts["recipient"]["name"]
    if facts["recipient"]["organisation"]:
        recipient = f"{recipient}, {facts['recipient']['organisation']}"
    return LetterWords(
        title=gettext("Attendance letter"),
        introduction=gettext(
            "This letter reports the attendance of %(patient)s at sessions of %(program)s from %(start)s to %(end)s."
        )
        % {
            "patient": facts["patient"]["name"],
            "program": facts["program"]["name"],
            "start": _day(view.start),
            "end": _day(view.end),
        },
        consent_line=gettext(
            "It is sent to %(recipient)s under the patient's written consent signed on %(date)s (42 CFR § 2.35)."
        )
        % {"recipient": recipient, "date": _day(view.signed_on)},
        totals_line=gettext(
            "Sessions scheduled: %(scheduled)s. Attended: %(attended)s. Missed: %(missed)s. Excused: %(excused)s. "
            "Not recorded: %(not_recorded)s."
        )
        % totals,
        hours_line=gettext("Total hours attended: %(hours)s")
        % {"hours": formats.number_format(view.hours_attended, decimal_pos=2)},
        verify_line=verify % {"url": verification_url(), "code": code},
        validity_line=gettext(
            "The letter is valid while the patient's consent is in force and the program has not withdrawn it."
        ),
        use_restriction=str(USE_RESTRICTION),
        notice=str(STATEMENT_1),
    )


# Letters and marks outside Latin-1 that Unicode does not decompose into a base letter.
NO_DECOMPOSITION = {
    "Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Œ": "OE", "œ": "oe", "ı": "i", "Ħ": "H", "ħ": "h",
    "\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
}  # fmt: skip


def _latin1(text: str) -> str:
    """Text the core fonts can print: accents kept where Latin-1 has them, others stripped, the rest as "?"."""
    out = []
    for ch in str(text):
        try:
            ch.encode("latin-1")
            out.append(ch)
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
            out.append(base or NO_DECOMPOSITION.get(ch, "?"))
    return "".join(out)


def letter_pdf(view: LetterView, code: str, *, unicode_font: bool | None = None) -> bytes:
    """The letter as a PDF (A4/Letter-neutral margins); ``code`` is printed and set as the document's subject."""
    from fpdf import FPDF  # imported here: only the download needs it

    words = letter_words(view, code)
    facts = view.facts
    pdf = FPDF(format="Letter")
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(True, margin=18)
    use_unicode = REGULAR.exists() and BOLD.exists() if unicode_font is None else unicode_font
    if use_unicode:
        pdf.add_font("DejaVu", "", str(REGULAR))
        pdf.add_font("DejaVu", "B", str(BOLD))
        family = "DejaVu"

        def clean(text: str) -> str:
            return str(text)
    else:
        family = "Helvetica"
        clean = _latin1
    pdf.set_title(clean(words.title))
    pdf.set_subject(code)
    pdf.add_page()
    width = pdf.epw

    def para(text: str, size: float = 10.5, style: str = "", gap: float = 2) -> None:
        pdf.set_font(family, style, size)
        pdf.multi_cell(width, size * 0.5, clean(text), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

    program = facts["program"]
    para(program["name"], 14, "B", 0)
    for line in [program["public_name"], *program["address"].splitlines(), program["phone"]]:
        if line.strip():
            para(line.strip(), 10, "", 0)
    pdf.ln(6)
    para(_day(view.issued_on))
    para(words.title, 13, "B")
    for text in (words.introduction, words.consent_line, words.totals_line, words.hours_line):
        para(text)
    _table(pdf, view, family, clean)
    pdf.ln(10)
    para("_______________________________", 10.5, "", 0)
    counselor = facts["counselor"]
    name = counselor["name"] + (f", {counselor['credentials']}" if counselor["credentials"] else "")
    para(name, 10.5, "B", 0)
    para(program["name"], 10, "", 6)
    para(words.verify_line, 10.5, "B")
    para(words.validity_line, 9.5)
    para(words.use_restriction, 9)
    para(words.notice, 8)
    return bytes(pdf.output())


def _table(pdf: Any, view: LetterView, family: str, clean: Any) -> None:
    headings = [gettext("Date"), gettext("Start"), gettext("Session"), gettext("Hours"), gettext("Attendance")]
    pdf.set_font(family, "", 9.5)
    if not view.rows:
        pdf.multi_cell(pdf.epw, 5, clean(gettext("No sessions were scheduled in this period.")), new_x="LMARGIN")
        pdf.ln(4)
        return
    with pdf.table(col_widths=(24, 14, 38, 14, 22), text_align="LEFT", line_height=5.5) as table:
        table.row([clean(text) for text in headings])
        for row in view.rows:
            hours = formats.number_format(row.hours, decimal_pos=2)
            table.row([clean(text) for text in (_day(row.day), row.start, row.kind, hours, row.mark)])
