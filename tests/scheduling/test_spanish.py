"""Scheduling in Spanish: the family's schedule, a session page and its RSVP, the counselor's booking and attendance
pages, and the calendar feed (in its owner's preferred language, whoever's calendar app fetches it)."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from icalendar import Calendar

from accounts.models import User
from scheduling.models import Participant
from scheduling.services import issue_calendar_feed

pytestmark = pytest.mark.django_db

SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es"}

# Spanish words that would make a calendar entry reveal treatment (consent-and-privacy § 12), as the English list does.
SPANISH_CLINICAL_WORDS = [
    "terapia", "consejer", "clínica", "tratamiento", "recuperación", "adicción", "sustancia", "paciente",
    "sesión familiar", "educación", "alcohol", "droga", "salud mental", "psic",
]  # fmt: skip


def prefers_spanish(*people: User) -> None:
    """Spanish both ways a page can learn it: the browser's Accept-Language and the person's own preference."""
    for person in people:
        person.preferred_language = "es"
        person.save(update_fields=["preferred_language"])


def assert_translated(page: str, spanish: list[str], english: list[str]) -> None:
    for text in spanish:
        assert text in page, text
    for text in english:
        assert text not in page, text


def spanish_day(moment, zone: str = "America/New_York") -> str:
    """'10 de diciembre': the day and month as the Spanish pages write them."""
    with translation.override("es"):
        return date_format(moment.astimezone(ZoneInfo(zone)), r"j \d\e F")


def test_family_schedule_is_in_spanish(login, family_session, family_member):
    prefers_spanish(family_member)
    page = login(family_member).get(reverse("scheduling:session_list"), **SPANISH).content.decode()
    assert '<html lang="es"' in page
    assert_translated(
        page,
        ["Sus sesiones", "Próximas", "Por favor, responda", "Los horarios se muestran en", "Sesiones anteriores"],
        ["Your sessions", "Coming up", "Please reply", "Times are shown in", "Past sessions"],
    )
    assert spanish_day(family_session.starts_at) in page


def test_session_page_and_rsvp_are_in_spanish(login, family_session, family_member):
    prefers_spanish(family_member)
    client = login(family_member)
    page = client.get(family_session.get_absolute_url(), **SPANISH).content.decode()
    assert_translated(
        page,
        ["Cuándo y dónde", "¿Asistirá?", ">Asistiré<", ">Tal vez<", ">No asistiré<", "Agregar a su calendario"],
        ["When and where", "Will you come?", ">Going<", ">Maybe<", ">Not going<", "Add to your calendar"],
    )
    assert spanish_day(family_session.starts_at) in page

    answered = client.post(
        reverse("scheduling:rsvp", args=[family_session.pk]), {"response": "accepted"}, follow=True, **SPANISH
    ).content.decode()
    assert "Gracias. Su respuesta quedó guardada: Asistiré." in answered
    assert "Usted asistirá" in answered
    assert Participant.objects.get(session=family_session, user=family_member).rsvp == "accepted"


def test_counselor_session_form_and_its_errors_are_in_spanish(login, counselor, patient, family_member):
    prefers_spanish(counselor)
    client = login(counselor)
    url = reverse("scheduling:session_create") + f"?patient={patient.pk}"
    page = client.get(url, **SPANISH).content.decode()
    assert_translated(
        page,
        ["Programar una sesión para la familia de", "Tipo de sesión", "Comienza", "Duración", "1 hora",
         "Sesión familiar", "En persona", "Invitar a familiares", "Programar e invitar"],
        ["Book a session for", "Kind of session", "Length", "1 hour", "In person", "Book and invite"],
    )  # fmt: skip

    refused = client.post(
        url, {"kind": "family_therapy", "starts_at": "", "duration": "60", "modality": "in_person"}, **SPANISH
    ).content.decode()
    assert "Indique dónde se realiza la sesión." in refused
    assert "Add where the session takes place." not in refused


def test_counselor_attendance_page_is_in_spanish(login, counselor, family_session, time_machine):
    prefers_spanish(counselor)
    time_machine.move_to(family_session.starts_at + timedelta(minutes=70))
    client = login(counselor)
    url = reverse("scheduling:session_attendance", args=[family_session.pk])
    page = client.get(url, **SPANISH).content.decode()
    assert_translated(
        page,
        ["Asistencia", "Asistió", "Llegó tarde", "Ausente", "Justificado", "Guardar asistencia", "respondió:"],
        ["Attended", "Absent", "Excused", "Save attendance", "replied:"],
    )
    marks = {f"attendance_{p.pk}": "late" for p in family_session.participants.all()}
    saved = client.post(url, marks, follow=True, **SPANISH).content.decode()
    assert "La asistencia quedó guardada." in saved


def test_counselor_hours_page_and_its_selects_are_in_spanish(login, counselor):
    prefers_spanish(counselor)
    page = login(counselor).get(reverse("scheduling:availability"), **SPANISH).content.decode()
    assert_translated(
        page,
        ["Mi horario para sesiones familiares", "Día de la semana", ">lunes<", ">domingo<", "- Elija una opción -",
         "Agregar horario", "Agregar tiempo libre"],
        [">Monday<", "Weekday", "Select an option", "Add hours", "Add time off"],
    )  # fmt: skip


def feed_event(body: bytes):
    calendar = Calendar.from_ical(body)
    (event,) = [c for c in calendar.walk() if c.name == "VEVENT"]
    (alarm,) = [c for c in event.walk() if c.name == "VALARM"]
    return calendar, event, alarm


def test_calendar_feed_speaks_its_owners_language_not_the_fetchers(client, family_session, family_member):
    prefers_spanish(family_member)
    token = issue_calendar_feed(user=family_member)
    body = client.get(reverse("scheduling:calendar_feed", args=[token]), HTTP_ACCEPT_LANGUAGE="en").content
    calendar, event, alarm = feed_event(body)
    assert str(calendar["X-WR-CALNAME"]) == "Citas"
    assert str(event["SUMMARY"]) == "Cita"
    assert str(event["DESCRIPTION"]).startswith("Detalles (requiere iniciar sesión): ")
    assert family_session.get_absolute_url() in str(event["DESCRIPTION"])
    assert str(alarm["DESCRIPTION"]) == "Cita"
    text = body.decode().lower()
    for word in SPANISH_CLINICAL_WORDS:
        assert not re.search(rf"\b{re.escape(word)}", text), word


def test_an_english_owners_feed_stays_english_when_fetched_in_spanish(client, family_session, family_member):
    token = issue_calendar_feed(user=family_member)
    body = client.get(reverse("scheduling:calendar_feed", args=[token]), **SPANISH).content
    _calendar, event, alarm = feed_event(body)
    assert str(event["SUMMARY"]) == "Appointment"
    assert str(event["DESCRIPTION"]).startswith("Details (sign-in required): ")
    assert str(alarm["DESCRIPTION"]) == "Appointment"


def test_session_choices_read_in_spanish():
    """The labels families and counselors read on every page come from the model choices."""
    with translation.override("es"):
        assert [str(label) for _value, label in Participant.Rsvp.choices] == [
            "Aún sin responder",
            "Asistiré",
            "Tal vez",
            "No asistiré",
            "En la lista de espera",
        ]
