"""Every SMS and email template, in every language the portal offers: neutral (no names, program name or clinical
words) and, for SMS, one GSM-7 segment (SMS-08, consent-and-privacy §12)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import translation

from accounts.models import Program, User
from notifications.rendering import (
    CLINICAL_WORDS,
    SMS_TEMPLATES,
    UnsafeMessageError,
    clinical_words_in,
    fold_to_gsm7,
    gsm7_length,
    is_single_gsm7_segment,
    render_email,
    render_sms,
)
from notifications.wording import describe_fully, describe_moment, describe_when

pytestmark = pytest.mark.django_db

TEMPLATE_DIR = Path(settings.BASE_DIR) / "templates" / "notifications"
LONGEST_LINK = "https://family-portal.example-health.org/notifications/go/AbCd1234"  # 67 characters

FIXTURE_CONTEXT: dict[str, Any] = {
    "when": "on Wed Sep 24 at 12:30 PM",  # the longest wording describe_when produces
    "link": LONGEST_LINK,
    "code": "123456",
    "minutes": 10,
    "help_phone": "(555) 010-2000",
    "starts_at": "2030-09-24T16:30:00+00:00",
    "when_full": "Wednesday, September 24, 2030 at 12:30 PM EDT",
    "url": "https://family-portal.example-health.org/sessions/7f8e9d0c-1b2a-4c3d-9e8f-7a6b5c4d3e2f/",
    "revision": 2,
}


LANGUAGES = [code for code, _name in settings.LANGUAGES]
NEW_YORK = ZoneInfo("America/New_York")


def _longest(language: str, describe: Callable[[datetime], str]) -> str:
    """The longest wording ``describe`` gives in ``language`` for 12:30 PM on any day of a year (two-digit days,
    every weekday and month name)."""
    first = datetime(2030, 1, 1, 12, 30, tzinfo=NEW_YORK)
    with translation.override(language):
        return max((describe(first + timedelta(days=n)) for n in range(365)), key=len)


def _context_in(language: str, key: str) -> dict[str, Any]:
    """The fixture context with the longest time wordings ``key`` can get in ``language``."""
    if key == "session_reminder":
        when = _longest(language, lambda start: describe_when(start, start - timedelta(days=3), NEW_YORK))
    else:
        when = _longest(language, lambda start: describe_moment(start, NEW_YORK))
    when_full = _longest(language, lambda start: describe_fully(start, NEW_YORK))
    return {**FIXTURE_CONTEXT, "when": when, "when_full": when_full}


def _forbidden(patient: User, family_member: User, counselor: User, program: Program) -> list[str]:
    names = [patient.full_name, family_member.full_name, counselor.full_name, program.name]
    return [part.lower() for name in names for part in name.split() if len(part) > 2]


def test_template_list_matches_files() -> None:
    files = {p.stem for p in (TEMPLATE_DIR / "sms").glob("*.txt")}
    assert files == set(SMS_TEMPLATES)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("key", SMS_TEMPLATES)
def test_sms_template_is_neutral_and_one_gsm7_segment(
    key: str, language: str, patient: User, family_member: User, counselor: User, program: Program
) -> None:
    # Hostile fixture data: even if a caller slipped names into the context, no template may print them.
    context = {**_context_in(language, key), "patient": patient, "user": family_member, "program": program}
    with translation.override(language):
        body = render_sms(key, context)
    assert is_single_gsm7_segment(body), (key, len(body), body)
    assert len(body) <= 160
    assert clinical_words_in(body) == [], body
    lowered = body.lower()
    for word in _forbidden(patient, family_member, counselor, program):
        assert word not in lowered, (key, word)


@pytest.mark.parametrize(
    "key",
    [
        "session_reminder",
        "new_message",
        "phone_code",
        "session_invited",
        "session_rescheduled",
        "session_cancelled",
        "session_place_confirmed",
        "assignment_new",
        "consent_granted",
        "access_changed",
        "sharing_changed",
        "checkin_shared",
        "staff_welcome",
        "summary_review",
        "summary_update",
    ],
)
@pytest.mark.parametrize("language", LANGUAGES)
def test_email_template_is_neutral(
    key: str, language: str, patient: User, family_member: User, program: Program
) -> None:
    with translation.override(language):
        subject, body = render_email(key, {**_context_in(language, key), "patient": patient, "program": program})
    text = f"{subject}\n{body}"
    assert clinical_words_in(text) == [], text
    for word in _forbidden(patient, family_member, family_member, program):
        assert word not in text.lower()
    assert "\n" not in subject


def test_reminder_matches_the_documented_wording() -> None:
    body = render_sms("session_reminder", {"when": "tomorrow at 6:00 PM", "link": "https://p.example/go/7Kq2"})
    assert body == (
        "Reminder: you have an appointment tomorrow at 6:00 PM. Details: https://p.example/go/7Kq2 "
        "Reply STOP to opt out."
    )


def test_new_message_notice_wording() -> None:
    body = render_sms("new_message", {"link": "https://p.example/go/x"})
    assert body.startswith("You have a new secure message in the portal.")


def test_rendering_refuses_non_gsm7_or_long_bodies() -> None:
    with pytest.raises(UnsafeMessageError):
        render_sms("new_message", {"link": "https://p.example/go/\u2019x"})  # curly quote → UCS-2
    with pytest.raises(UnsafeMessageError):
        render_sms("new_message", {"link": "https://p.example/" + "x" * 150})
    with pytest.raises(UnsafeMessageError):
        render_sms("session_reminder", {"link": "https://p.example/x"})  # missing the time


def test_gsm7_counts_extension_characters_twice() -> None:
    assert gsm7_length("abc") == 3
    assert gsm7_length("[x]") == 5
    assert gsm7_length("€") == 2
    assert gsm7_length("🙂") is None
    assert is_single_gsm7_segment("a" * 160) and not is_single_gsm7_segment("a" * 161)


def test_clinical_word_list_covers_the_documented_words() -> None:
    for word in (
        "addiction",
        "substance",
        "recovery",
        "detox",
        "relapse",
        "rehab",
        "treatment",
        "therapy",
        "counseling",
    ):
        assert word in CLINICAL_WORDS
    assert clinical_words_in("Your Recovery group") == ["recovery"]


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != settings.LANGUAGE_CODE])
@pytest.mark.parametrize("key", SMS_TEMPLATES)
def test_every_text_is_translated(key: str, language: str) -> None:
    english = render_sms(key, _context_in(settings.LANGUAGE_CODE, key))
    with translation.override(language):
        assert render_sms(key, _context_in(language, key)) != english


def test_spanish_texts_fold_the_vowels_gsm7_lacks_and_keep_the_rest() -> None:
    assert fold_to_gsm7("Volverá a recibir más códigos: sí, Ú") == "Volvera a recibir mas codigos: si, U"
    assert fold_to_gsm7("mañana, mié, pingüino, ¿ayuda? ¡sí!") == "mañana, mié, pingüino, ¿ayuda? ¡si!"
    assert gsm7_length("mañana mié ¿ü? ¡Ñ!") == len("mañana mié ¿ü? ¡Ñ!")  # these are GSM-7 already
    with translation.override("es"):
        body = render_sms("stop_reply", {})
    assert "recibira" in body and gsm7_length(body) == len(body)


def test_spanish_clinical_words_are_caught_with_or_without_accents() -> None:
    assert clinical_words_in("Su tratamiento de adicción") == ["adiccion", "tratamiento"]
    assert clinical_words_in("Grupo de RECUPERACIÓN y sobredosis") == ["recuperacion", "sobredosis"]
    assert clinical_words_in("Tiene una cita nueva el martes") == []


def test_spanish_times_say_a_la_for_one_oclock_and_a_las_otherwise() -> None:
    one = datetime(2030, 9, 24, 13, 5, tzinfo=NEW_YORK)
    with translation.override("es"):
        assert describe_when(one, one, NEW_YORK) == "hoy a la 1:05 p.m."
        assert describe_when(one + timedelta(hours=5), one - timedelta(days=1), NEW_YORK) == "mañana a las 6:05 p.m."
        assert describe_moment(one, NEW_YORK) == "mar 24 de sep a la 1:05 p.m."
        assert describe_fully(one, NEW_YORK) == "martes 24 de septiembre de 2030 a la 1:05 p.m. (EDT)"
    assert describe_fully(one, NEW_YORK) == "Tuesday, September 24, 2030 at 1:05 PM EDT"
