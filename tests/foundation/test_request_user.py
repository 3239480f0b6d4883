"""The signed-in user is loaded with program and SMS phone in one query (accounts/backends.py), on pages and
sockets alike, so the dashboard's text card and the staff pages' program reads cost no query of their own."""

from __future__ import annotations

import pytest
from django.conf import settings

from accounts.backends import PortalAuthenticationBackend, PortalModelBackend
from notifications.models import SmsPhone
from notifications.views import phone_status

pytestmark = pytest.mark.django_db


def test_only_the_portal_backends_are_listed():
    assert settings.AUTHENTICATION_BACKENDS == [
        "accounts.backends.PortalModelBackend",
        "accounts.backends.PortalAuthenticationBackend",
    ]


@pytest.mark.parametrize("backend", [PortalModelBackend, PortalAuthenticationBackend])
def test_the_request_user_comes_with_program_and_phone_in_one_query(
    backend, family_member, counselor, django_assert_num_queries
):
    SmsPhone.objects.create(user=family_member, e164="+15555550123")
    for user in (family_member, counselor):
        with django_assert_num_queries(1):
            loaded = backend().get_user(user.pk)
            assert loaded is not None
            program = loaded.program
            phone = getattr(loaded, "sms_phone", None)
        assert loaded.pk == user.pk
        assert program == user.program
        assert (phone is not None) is (user == family_member)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_sockets_load_the_user_the_same_way(family_member):
    loaded = await PortalAuthenticationBackend().aget_user(family_member.pk)
    assert loaded is not None
    assert "sms_phone" in loaded._state.fields_cache and "program" in loaded._state.fields_cache


def test_an_inactive_user_is_not_loaded(family_member):
    family_member.is_active = False
    family_member.save()
    assert PortalModelBackend().get_user(family_member.pk) is None


def test_the_settings_page_reads_the_phone_fresh_the_card_reads_the_loaded_one(family_member):
    loaded = PortalModelBackend().get_user(family_member.pk)
    assert loaded is not None
    SmsPhone.objects.create(user=family_member, e164="+15555550123")
    assert phone_status(loaded)["state"] == "none"  # the card: what the request loaded
    assert phone_status(loaded, fresh=True)["state"] == "unconfirmed"  # the settings page: the database now
