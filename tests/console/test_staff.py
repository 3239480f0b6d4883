"""The console's staff page: list, add (welcome email, allauth's set-password flow, MFA at first sign-in),
change, deactivate (signed out everywhere at once) and reactivate; every change audited with ids only."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User
from notifications.models import OutboxMessage
from notifications.rendering import clinical_words_in, render_email
from tests.console.conftest import console_audits
from tests.support import personas

pytestmark = pytest.mark.django_db

NEW = {"full_name": "Robin Reyes", "email": "Robin.Reyes@Example.org", "role": "counselor", "can_review_content": "on"}
CODE = re.compile(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", re.MULTILINE)
NEW_PASSWORD = "lanterns over the harbour"


# --- The list ------------------------------------------------------------------------------------------------------


def test_staff_page_lists_the_programs_counselors_and_admins_only(
    admin_client, program_admin, counselor, patient, other_counselor
):
    page = admin_client.get(reverse("console:staff")).content.decode()
    assert counselor.full_name in page and counselor.email in page
    assert program_admin.full_name in page
    assert patient.full_name not in page  # patients are not staff
    assert other_counselor.full_name not in page  # another program's staff
    assert reverse("console:staff_deactivate", args=[counselor.pk]) in page
    assert reverse("console:staff_deactivate", args=[program_admin.pk]) not in page  # not yourself


# --- Adding a staff member -----------------------------------------------------------------------------------------


def test_adding_a_counselor_creates_the_account_and_queues_the_welcome_email(admin_client, program_admin, program):
    response = admin_client.post(reverse("console:staff_new"), NEW)

    assert response.status_code == 302
    member = User.objects.get(email="robin.reyes@example.org")
    assert (member.role, member.program_id, member.full_name) == (User.Role.COUNSELOR, program.pk, "Robin Reyes")
    assert member.can_review_content and member.is_active
    assert not member.has_usable_password()  # they choose it
    assert EmailAddress.objects.filter(user=member, email=member.email, primary=True, verified=False).exists()
    [row] = OutboxMessage.objects.filter(recipient=member)
    assert (row.template_key, row.channel) == ("staff_welcome", OutboxMessage.Channel.EMAIL)
    subject, body = render_email(row.template_key, row.context)
    assert f"{settings.PORTAL_BASE_URL}{reverse('account_reset_password')}" in body
    assert clinical_words_in(f"{subject}\n{body}") == []
    [audit] = console_audits()
    assert audit == {"action": "staff_invited", "user": member.pk, "role": "counselor"}


def test_an_admin_added_as_admin_never_carries_the_counselor_review_flag(admin_client):
    admin_client.post(reverse("console:staff_new"), {**NEW, "role": "program_admin"})
    member = User.objects.get(email="robin.reyes@example.org")
    assert member.role == User.Role.PROGRAM_ADMIN and not member.can_review_content


def test_the_new_counselor_chooses_a_password_by_emailed_code_and_must_enrol_an_authenticator(admin_client):
    """The welcome email's page is allauth's reset by code: the code proves the address (verifying it), the
    password is set, and the first sign-in lands on authenticator setup (AUTH-05)."""
    admin_client.post(reverse("console:staff_new"), NEW)
    email = "robin.reyes@example.org"
    browser = Client()

    browser.post(reverse("account_reset_password"), {"email": email})
    [message] = mail.outbox
    code = CODE.search(str(message.body)).group(1)  # type: ignore[union-attr]
    assert browser.post(reverse("account_confirm_password_reset_code"), {"code": code}).status_code == 302
    done = browser.post(
        reverse("account_complete_password_reset"), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert done.status_code == 302
    assert EmailAddress.objects.get(email=email).verified

    signed_in = browser.post(reverse("account_login"), {"login": email, "password": NEW_PASSWORD})
    assert signed_in.status_code == 302
    assert browser.get(reverse("dashboard"))["Location"] == reverse("mfa_activate_totp")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "not an address"}, "email"),
        ({"email": "casey@example.org"}, "email"),  # the counselor's address: taken
        ({"full_name": "   "}, "full_name"),
        ({"full_name": "Robin\u202eReyes"}, "full_name"),  # a bidi override (AUTH-13)
        ({"role": "patient"}, "role"),
    ],
)
def test_adding_with_bad_input_shows_the_error_on_its_field_and_changes_nothing(admin_client, counselor, change, field):
    users_before = User.objects.count()

    response = admin_client.post(reverse("console:staff_new"), {**NEW, **change})

    assert response.status_code == 200
    assert response.context["form"].errors[field]
    page = response.content.decode()
    assert f'id="id_{field}_error"' in page
    assert re.search(rf'aria-describedby="[^"]*id_{field}_error', page)
    assert User.objects.count() == users_before
    assert not OutboxMessage.objects.filter(template_key="staff_welcome").exists()
    assert console_audits() == []


def test_adding_after_a_stale_sign_in_asks_for_the_password_first(program_admin):
    stale = personas.login(Client(), program_admin)  # signed in longer ago than the re-authentication window
    response = stale.post(reverse("console:staff_new"), NEW)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert not User.objects.filter(email="robin.reyes@example.org").exists()


# --- Changing a staff member ---------------------------------------------------------------------------------------


def test_changing_name_and_review_flag_saves_and_audits_the_field_names(admin_client, counselor):
    url = reverse("console:staff_edit", args=[counselor.pk])
    assert admin_client.get(url).status_code == 200

    response = admin_client.post(
        url, {"full_name": "Casey Morgan-Lee", "role": "counselor", "can_review_content": "on"}
    )

    assert response.status_code == 302
    counselor.refresh_from_db()
    assert counselor.full_name == "Casey Morgan-Lee" and counselor.can_review_content
    assert console_audits() == [
        {"action": "staff_changed", "user": counselor.pk, "fields": ["full_name", "can_review_content"]}
    ]


def test_a_counselor_with_patients_cannot_become_an_admin(admin_client, counselor):
    response = admin_client.post(
        reverse("console:staff_edit", args=[counselor.pk]), {"full_name": counselor.full_name, "role": "program_admin"}
    )
    assert response.status_code == 200
    assert "caseload" in str(response.context["form"].errors["role"])
    counselor.refresh_from_db()
    assert counselor.role == User.Role.COUNSELOR
    assert console_audits() == []


def test_an_admin_cannot_change_their_own_role(admin_client, program_admin):
    response = admin_client.post(
        reverse("console:staff_edit", args=[program_admin.pk]),
        {"full_name": program_admin.full_name, "role": "counselor"},
    )
    assert response.status_code == 200
    program_admin.refresh_from_db()
    assert program_admin.role == User.Role.PROGRAM_ADMIN
    assert console_audits() == []


# --- Deactivating and reactivating -----------------------------------------------------------------------------------


def test_deactivation_ends_every_session_of_the_counselor_at_once(admin_client, counselor, unassigned_counselor):
    """Both the sessions allauth lists (the phone) and those it never listed (the laptop) end; nobody else's."""
    phone, laptop = personas.login(Client(), counselor), personas.login(Client(), counselor)
    keys = [c.cookies[settings.SESSION_COOKIE_NAME].value for c in (phone, laptop)]
    UserSession.objects.create(user=counselor, session_key=keys[0], ip="127.0.0.1", user_agent="Phone")
    colleague = personas.login(Client(), unassigned_counselor)
    url = reverse("console:staff_deactivate", args=[counselor.pk])
    assert admin_client.get(url).status_code == 200  # the confirmation page

    response = admin_client.post(url)

    assert response.status_code == 302
    counselor.refresh_from_db()
    assert not counselor.is_active
    assert not Session.objects.filter(session_key__in=keys).exists()  # the rows are gone, not merely refused
    assert not UserSession.objects.filter(user=counselor).exists()
    for device in (phone, laptop):
        assert device.get(reverse("dashboard"))["Location"].startswith(reverse("account_login"))
    assert colleague.get(reverse("dashboard")).status_code == 200
    [audit] = console_audits()
    assert audit == {"action": "staff_deactivated", "user": counselor.pk, "sessions_ended": 2}


def test_a_deactivated_counselor_cannot_sign_in_until_reactivated(admin_client, counselor):
    admin_client.post(reverse("console:staff_deactivate", args=[counselor.pk]))
    assert not Client().login(email=counselor.email, password=personas.PASSWORD)

    response = admin_client.post(reverse("console:staff_reactivate", args=[counselor.pk]))

    assert response.status_code == 302
    counselor.refresh_from_db()
    assert counselor.is_active
    assert Client().login(email=counselor.email, password=personas.PASSWORD)
    assert [a["action"] for a in console_audits()] == ["staff_deactivated", "staff_reactivated"]


def test_an_admin_cannot_deactivate_themself(admin_client, program_admin):
    response = admin_client.post(reverse("console:staff_deactivate", args=[program_admin.pk]))
    assert response.status_code == 302
    program_admin.refresh_from_db()
    assert program_admin.is_active
    assert console_audits() == []
    assert admin_client.get(reverse("console:staff")).status_code == 200  # still signed in


def test_deactivating_twice_changes_nothing_the_second_time(admin_client, counselor):
    url = reverse("console:staff_deactivate", args=[counselor.pk])
    admin_client.post(url)
    admin_client.post(url)
    assert [a["action"] for a in console_audits()] == ["staff_deactivated"]


def test_the_admin_sets_a_counselors_credentials_for_their_letters(admin_client, counselor):
    url = reverse("console:staff_edit", args=[counselor.pk])
    data = {"full_name": counselor.full_name, "role": "counselor", "credentials": " LCSW,  CADC "}
    assert admin_client.post(url, data).status_code == 302
    counselor.refresh_from_db()
    assert counselor.credentials == "LCSW, CADC"
    assert 'value="LCSW, CADC"' in admin_client.get(url).content.decode()
