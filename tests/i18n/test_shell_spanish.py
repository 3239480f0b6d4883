"""The portal's shell in Spanish (issue #18): the page frame (header, nav, footer, idle warning), the home page, the
dashboard's empty states, the crisis page, the account page and the program console, chosen by the browser's
Accept-Language. English stays the default and the crisis numbers are the same in both languages."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from accounts.validators import MaximumLengthValidator
from tests.support import personas

pytestmark = pytest.mark.django_db

ES = {"HTTP_ACCEPT_LANGUAGE": "es"}


def visible_text(response) -> str:
    """The page's text as a reader sees it: no tags, scripts or styles, whitespace collapsed."""
    body = re.sub(r"(?s)<(script|style|head)\b.*?</\1>", " ", response.content.decode())
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", body)))


def nav_links(response) -> list[str]:
    """The words of the header's menu, one per item (the unread badge's number left out)."""
    menu = response.content.decode().split('id="main-menu"', 1)[1].split("</ul>", 1)[0]
    items = re.findall(r"(?s)<li\b.*?</li>", menu)
    return [re.sub(r"\s+", " ", unescape(re.sub(r"<span\b.*?</span>|<[^>]+>", " ", item))).strip() for item in items]


def tel_links(response) -> list[str]:
    return re.findall(r'href="tel:([^"]+)"', response.content.decode())


def assert_spanish(text: str, present: list[str], absent: list[str]) -> None:
    missing = [phrase for phrase in present if phrase not in text]
    left = [phrase for phrase in absent if phrase in text]
    assert not missing and not left, f"missing Spanish: {missing}; English left: {left}"


FRAME_ES = ["Ir al contenido principal", "¿En crisis?", "para español, oprima 2", "Más ayuda"]
FRAME_EN = ["Skip to main content", "In crisis?", "More help", "not read around the clock"]
SIGNED_IN_FRAME_ES = ["Menú", "Cerrar sesión ahora", "¿Sigue ahí?", "Mantener la sesión abierta"]
SIGNED_IN_FRAME_EN = ["Menu", "Sign out now", "Are you still there?", "Stay signed in", "To protect your privacy"]


def test_the_home_page_and_its_frame_are_in_spanish_before_sign_in(client):
    response = client.get(reverse("home"), **ES)
    assert '<html lang="es">' in response.content.decode()
    assert_spanish(
        visible_text(response),
        [*FRAME_ES, "Apoyo para familias, a su propio ritmo", "Iniciar sesión", "Crear una cuenta", "Su privacidad"],
        [*FRAME_EN, "Support for families", "Create an account", "Your privacy"],
    )


def test_the_crisis_page_is_in_spanish_with_the_spanish_options_and_the_same_numbers(client):
    spanish = client.get(reverse("crisis"), **ES)
    english = client.get(reverse("crisis"))
    assert_spanish(
        visible_text(spanish),
        [
            "Ayuda ahora mismo",
            "Emergencia o posible sobredosis",
            "naloxona (Narcan)",
            "Línea 988 de Prevención del Suicidio y Crisis",
            "oprima 2 para español",
            "escriba AYUDA",
            "Línea Nacional de Ayuda de SAMHSA",
            "Atienden en español",
        ],
        ["Help right now", "Emergency or suspected overdose", "Free, private and open", "treatment referral"],
    )
    assert tel_links(spanish) == tel_links(english) == ["911", "988", "18006624357", "988", "911"]
    assert "1-800-662-4357" in visible_text(spanish) and "988lifeline.org" in visible_text(spanish)


def test_english_stays_the_default_without_accept_language(client):
    response = client.get(reverse("crisis"))
    assert '<html lang="en">' in response.content.decode()
    text = visible_text(response)
    assert "Help right now" in text and "SAMHSA National Helpline" in text and "Ayuda ahora mismo" not in text


def reads_spanish(*users: User) -> None:
    """Signed in, a person reads their own language (accounts.languages.PreferredLanguageMiddleware), whatever
    the browser's Accept-Language says."""
    User.objects.filter(pk__in=[user.pk for user in users]).update(preferred_language="es")


def test_a_learners_dashboard_and_nav_are_in_spanish_at_the_same_query_count(login, learner):
    client = login(learner)
    client.get(reverse("dashboard"))  # warm per-process caches so the two counts compare like with like
    with CaptureQueriesContext(connection) as english_queries:
        client.get(reverse("dashboard"))
    reads_spanish(learner)
    client.get(reverse("dashboard"), **ES)  # the language cookie follows the new preference once
    with CaptureQueriesContext(connection) as spanish_queries:
        response = client.get(reverse("dashboard"), **ES)
    assert len(spanish_queries) == len(english_queries)
    assert_spanish(
        visible_text(response),
        [*FRAME_ES, *SIGNED_IN_FRAME_ES, "Le damos la bienvenida, Lee Learner"],
        [*FRAME_EN, *SIGNED_IN_FRAME_EN, "Welcome, Lee Learner"],
    )
    assert nav_links(response) == [
        "Inicio", "Aprender", "Sesiones", "Mensajes", "Novedades", "Lo que puede ver", "Mi chequeo", "Cuenta",
        "Cerrar sesión",
    ]  # fmt: skip


def test_each_roles_nav_is_in_spanish(login, patient, counselor, program_admin):
    common = ["Inicio", "Aprender", "Sesiones", "Mensajes"]
    expected = {
        patient: [*common, "Novedades", "Lo que comparto", "Cuenta", "Cerrar sesión"],
        counselor: [*common, "Pacientes", "Recordatorios", "Estadísticas", "Cuenta", "Cerrar sesión"],
        program_admin: [*common, "Pacientes", "Recordatorios", "Programa", "Cuenta", "Cerrar sesión"],
    }
    reads_spanish(patient, counselor, program_admin)
    for user, links in expected.items():
        client = login(user, Client())
        assert nav_links(client.get(reverse("dashboard"), **ES)) == links


@pytest.mark.parametrize(
    ("persona", "sentence"),
    [
        ("learner", "Puede empezar a aprender ahora mismo."),
        ("patient", "Cuando esté listo/a, puede elegir qué familiares pueden ver información sobre su atención."),
        ("counselor", "Sus pacientes y tareas aparecerán aquí cuando un administrador del programa le asigne"),
    ],
)
def test_the_dashboard_empty_states_are_in_spanish(rf, request, persona, sentence):
    """No card app contributes nothing today, so the empty state is rendered directly, as the view would."""
    user = request.getfixturevalue(persona)
    page = rf.get(reverse("dashboard"))
    page.user = user
    with translation.override("es"):
        html = render_to_string("dashboard.html", {"cards": []}, request=page)
    text = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))
    assert "Todavía no hay nada aquí" in text and sentence in text
    assert "Nothing here yet" not in text


def test_the_account_page_is_in_spanish_and_says_so_when_saved(login, learner):
    reads_spanish(learner)
    client = login(learner)
    page = visible_text(client.get(reverse("accounts:profile"), **ES))
    assert_spanish(
        page,
        ["Su cuenta", "Sus datos", "Nombre completo", "¿Cómo quiere que le llamemos?", "Zona horaria"]
        + ["Hora del Este (Nueva York)", "Guardar", "Seguridad", "Verificación en dos pasos", "Correo electrónico"],
        ["Your account", "Your details", "Time zone", "Eastern (New York)", "Security", "Change your password"],
    )
    saved = client.post(
        reverse("accounts:profile"),
        {"full_name": "Lee Learner", "preferred_name": "Lee", "time_zone": "America/Chicago"},
        follow=True,
        **ES,
    )
    assert "Sus datos se guardaron." in visible_text(saved)


def test_a_staff_name_is_refused_in_spanish(login, family_member, counselor):
    reads_spanish(family_member)
    response = login(family_member).post(
        reverse("accounts:profile"),
        {"full_name": counselor.full_name, "preferred_name": "", "time_zone": ""},
        **ES,
    )
    assert response.status_code == 200
    assert "Este es el nombre de un miembro del equipo de atención" in visible_text(response)
    family_member.refresh_from_db()
    assert family_member.full_name == "Fran Rivera"


CONSOLE_PAGES = {
    "console:home": ["Resumen", "Personal", "Pacientes asignados", "Horario y recordatorios", "1 día antes"],
    "console:staff": ["Agregar un miembro del personal", "Consejero/a", "Verificación en dos pasos"],
    "console:caseloads": ["Asignar un paciente", "Elija un paciente", "Terminar"],
    "console:program_settings": ["Días de atención", "lunes", "domingo", "La oficina abre a las", "2 horas antes"],
    "console:consent_forms": ["Formularios de consentimiento", "Publicar una versión nueva", "Vigente"],
    "console:consent_form_new": ["Nombre de la versión", "Texto completo del formulario", "Publicar", "Cancelar"],
    "console:review_queue": ["Revisión de contenido", "No hay nada pendiente de revisión."],
    "console:staff_new": ["Correo electrónico del trabajo", "Rol", "Agregar y enviar el correo"],
}
CONSOLE_EN = ["Overview", "Caseloads", "Hours and reminders", "Add a staff member", "Office days", "Monday"]


@pytest.mark.parametrize("page", sorted(CONSOLE_PAGES))
def test_the_console_is_in_spanish(login, program_admin, counselor, page):
    reads_spanish(program_admin)
    response = login(program_admin).get(reverse(page), **ES)
    assert response.status_code == 200
    assert_spanish(visible_text(response), CONSOLE_PAGES[page], CONSOLE_EN)


def test_a_console_change_is_confirmed_in_spanish(client, program_admin):
    reads_spanish(program_admin)
    client = personas.login(client, program_admin, signed_in_ago=0)
    program = program_admin.program
    unchanged = {
        "office_days": program.office_days,
        "office_opens": program.office_opens.strftime("%H:%M"),
        "office_closes": program.office_closes.strftime("%H:%M"),
        "time_zone": program.time_zone,
        "help_phone": program.help_phone,
        "reminder_offsets_minutes": program.reminder_offsets_minutes,
        "offline_notice_minutes": program.offline_notice_minutes,
        "push_fallback_minutes": program.push_fallback_minutes,
        "patients_join_care_team": "on" if program.patients_join_care_team else "",
        "summary_review_hours": program.summary_review_hours,
    }
    response = client.post(reverse("console:program_settings"), unchanged, follow=True, **ES)
    assert "No se cambió nada." in visible_text(response)


def test_the_idle_sign_out_says_why_in_spanish(client, family_member):
    reads_spanish(family_member)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        personas.login(client, family_member, signed_in_ago=0)
        assert client.get(reverse("dashboard")).status_code == 200
        clock.shift(timedelta(seconds=settings.PORTAL_IDLE_TIMEOUT_S + 1))
        page = client.get(reverse("dashboard"), follow=True, **ES)
    assert "Cerramos su sesión para proteger su privacidad." in visible_text(page)


def test_roles_and_password_rules_read_in_spanish():
    with translation.override("es"):
        assert [str(role.label) for role in User.Role] == [
            "Paciente",
            "Familiar",
            "Consejero/a",
            "Administrador/a del programa",
        ]
        assert MaximumLengthValidator().get_help_text() == "Su contraseña puede tener hasta 128 caracteres."
    with translation.override("en"):
        assert MaximumLengthValidator().get_help_text() == "Your password can be up to 128 characters long."
