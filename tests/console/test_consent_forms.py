"""Consent form versions: listed, read in full, and published as new versions; a published text never changes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from consent.models import ConsentFormVersion
from tests.console.conftest import console_audits

pytestmark = pytest.mark.django_db

NEW_URL = reverse("console:consent_form_new")
TEXT = "CONSENT FOR THE RELEASE OF INFORMATION\n\nMy right to revoke. I may revoke this consent at any time."


def _versions() -> list[tuple[str, str]]:
    return list(ConsentFormVersion.objects.order_by("pk").values_list("version", "text"))


def test_the_list_shows_every_version_and_which_is_in_effect(admin_client):
    current = ConsentFormVersion.current()
    response = admin_client.get(reverse("console:consent_forms"))
    page = response.content.decode()
    assert response.context["current_pk"] == current.pk
    assert f"Version {current.version}" in page and "In effect" in page
    detail = admin_client.get(reverse("console:consent_form", args=[current.pk])).content.decode()
    assert "My right to revoke." in detail


def test_the_new_version_form_starts_from_the_text_in_effect(admin_client):
    response = admin_client.get(NEW_URL)
    assert response.context["form"].initial["text"] == ConsentFormVersion.current().text


def test_publishing_now_makes_the_new_version_current_and_leaves_the_old_text_alone(admin_client):
    old = ConsentFormVersion.current()
    old_text = old.text

    response = admin_client.post(NEW_URL, {"version": "2026-2", "text": TEXT, "effective_from": ""})

    assert response.status_code == 302
    new = ConsentFormVersion.current()
    assert (new.version, new.text) == ("2026-2", TEXT)
    old.refresh_from_db()
    assert old.text == old_text
    assert console_audits() == [{"action": "consent_form_published", "consent_form": new.pk, "languages": ["en"]}]


def test_a_version_is_published_with_its_spanish_text_which_spanish_readers_sign(admin_client):
    current = ConsentFormVersion.current()
    spanish_now = current.text_in("es")
    form = admin_client.get(NEW_URL).context["form"]
    assert form.initial["text_es"] == ("" if spanish_now.is_fallback else spanish_now.text)
    texto = "CONSENTIMIENTO PARA DIVULGAR INFORMACIÓN\n\nMi derecho a revocar."

    response = admin_client.post(NEW_URL, {"version": "2026-4", "text": TEXT, "text_es": texto})

    assert response.status_code == 302
    new = ConsentFormVersion.current()
    assert (new.text_in("es").text, new.text_in("es").is_fallback) == (texto, False)
    assert console_audits()[-1]["languages"] == ["en", "es"]
    assert "English and Spanish" in admin_client.get(reverse("console:consent_forms")).content.decode()
    detail = admin_client.get(reverse("console:consent_form", args=[new.pk])).content.decode()
    assert "Mi derecho a revocar." in detail and 'lang="es"' in detail


def test_a_version_without_spanish_text_says_spanish_readers_see_english(admin_client):
    admin_client.post(NEW_URL, {"version": "2026-5", "text": TEXT, "text_es": "  "})
    new = ConsentFormVersion.current()
    assert new.text_in("es").is_fallback
    detail = admin_client.get(reverse("console:consent_form", args=[new.pk])).content.decode()
    assert "no Spanish text" in detail


def test_a_version_published_for_later_is_scheduled_not_current(admin_client):
    with timezone.override("America/New_York"):
        later = timezone.localtime() + timedelta(days=7)
    response = admin_client.post(
        NEW_URL, {"version": "2026-3", "text": TEXT, "effective_from": later.strftime("%Y-%m-%dT%H:%M")}
    )
    assert response.status_code == 302
    scheduled = ConsentFormVersion.objects.get(version="2026-3")
    assert abs(scheduled.effective_from - later) < timedelta(minutes=1)  # read in the program's time zone
    assert ConsentFormVersion.current().version != "2026-3"
    assert "Scheduled" in admin_client.get(reverse("console:consent_forms")).content.decode()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"version": "2026-1", "text": TEXT}, "version"),  # the label of the version in effect
        ({"version": "  ", "text": TEXT}, "version"),
        ({"version": "2026-2", "text": "   "}, "text"),
        ({"version": "2026-2", "text": TEXT, "effective_from": "2020-01-01T09:00"}, "effective_from"),  # the past
        ({"version": "2026-2", "text": TEXT, "effective_from": "9999-12-31T23:59"}, "effective_from"),
        ({"version": "2026-2", "text": TEXT, "effective_from": "next tuesday"}, "effective_from"),
        ({"version": "x" * 21, "text": TEXT}, "version"),
    ],
)
def test_bad_input_is_shown_on_its_field_and_publishes_nothing(admin_client, data, field):
    before = _versions()

    response = admin_client.post(NEW_URL, data)

    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert f'id="id_{field}_error"' in response.content.decode()
    assert _versions() == before
    assert console_audits() == []


def test_a_published_version_has_no_way_to_be_edited(admin_client):
    current = ConsentFormVersion.current()
    before = _versions()
    response = admin_client.post(reverse("console:consent_form", args=[current.pk]), {"text": "Changed"})
    assert response.status_code == 405
    assert _versions() == before
