"""Staff must use MFA (AUTH-05): until enrolled they reach only MFA setup and sign-out."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from accounts.models import User
from tests.support import personas

pytestmark = pytest.mark.django_db


@pytest.fixture
def new_counselor(program):
    return personas.make_user("newbie@example.org", User.Role.COUNSELOR, program)


@pytest.mark.parametrize("path", ["/", "/dashboard/", "/accounts/email/", "/staff-admin/"])
def test_counselor_without_mfa_is_sent_to_mfa_setup(client, new_counselor, path):
    client.force_login(new_counselor)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_counselor_without_mfa_is_led_to_mfa_setup_after_password_login(client, new_counselor):
    response = client.post(reverse("account_login"), {"login": new_counselor.email, "password": personas.PASSWORD})
    chain = client.get(response["Location"], follow=True).redirect_chain
    # The password was typed moments ago, so the setup page opens without asking for it again.
    assert chain[-1][0] == reverse("mfa_activate_totp")
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    assert b"otpauth" in page.content or b"svg" in page.content


def test_counselor_without_mfa_can_sign_out(client, new_counselor):
    client.force_login(new_counselor)
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_enrolled_counselor_signed_in_by_password_only_goes_back_through_mfa(client, counselor):
    client.force_login(counselor)  # a session with no MFA record
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session
    page = client.get(response["Location"]).content.decode()
    assert "Please sign in again and enter the code from your authenticator app." in page


def test_counselor_who_passed_mfa_reaches_dashboard(login, counselor):
    assert login(counselor).get("/dashboard/").status_code == 200


def test_password_login_of_enrolled_counselor_asks_for_the_code(client, counselor):
    response = client.post(reverse("account_login"), {"login": counselor.email, "password": personas.PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")


@pytest.mark.parametrize("persona", ["patient", "family_member"])
def test_families_and_patients_are_not_forced_into_mfa(client, request, persona):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    assert not Authenticator.objects.filter(user=user).exists()
    assert client.get("/dashboard/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_staff_who_just_enrolled_keep_their_session(client, new_counselor):
    from allauth.mfa.totp.internal.auth import (
        SECRET_SESSION_KEY,
        format_hotp_value,
        hotp_value,
        yield_hotp_counters_from_time,
    )

    client.post(reverse("account_login"), {"login": new_counselor.email, "password": personas.PASSWORD})
    client.post(reverse("account_reauthenticate"), {"password": personas.PASSWORD})
    client.get(reverse("mfa_activate_totp"))
    secret = client.session[SECRET_SESSION_KEY]
    code = format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))
    # Real commits: allauth announces the new authenticator on commit, inside the same request.
    response = client.post(reverse("mfa_activate_totp"), {"code": code})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=new_counselor, type=Authenticator.Type.TOTP).exists()
    assert client.get("/dashboard/").status_code == 200
