"""A misconfigured Jitsi is reported by ``manage.py check`` (and at every start), not by a family member's "Join";
the secret may come from a file (``JITSI_APP_SECRET_FILE``, Docker/systemd credentials)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from family_portal.env import env_secret
from scheduling.video_checks import video_settings_check
from tests.scheduling.video import configure_jitsi


def ids() -> set[str | None]:
    return {message.id for message in video_settings_check()}


def test_no_provider_means_pasted_links_and_nothing_to_report(settings) -> None:
    settings.VIDEO_PROVIDER = ""
    settings.JITSI_BASE_URL = settings.JITSI_APP_ID = settings.JITSI_APP_SECRET = ""
    assert video_settings_check() == []


def test_a_complete_jitsi_configuration_passes(settings) -> None:
    configure_jitsi(settings)
    assert video_settings_check() == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"VIDEO_PROVIDER": "zoom"}, {"scheduling.E101"}),
        ({"JITSI_BASE_URL": ""}, {"scheduling.E102"}),
        ({"JITSI_BASE_URL": "http://meet.example.org", "DEBUG": False}, {"scheduling.E103"}),
        ({"JITSI_BASE_URL": "https://meet.example.org/rooms?x=1"}, {"scheduling.E104"}),
        ({"JITSI_APP_ID": ""}, {"scheduling.E105"}),
        ({"JITSI_APP_SECRET": ""}, {"scheduling.E106"}),
        ({"JITSI_APP_SECRET": "short-secret"}, {"scheduling.E107"}),
    ],
    ids=["unknown-provider", "no-base-url", "not-https", "path-in-base-url", "no-app-id", "no-secret", "weak-secret"],
)
def test_each_misconfiguration_is_an_error(settings, change: dict[str, Any], expected: set[str]) -> None:
    configure_jitsi(settings)
    for name, value in change.items():
        setattr(settings, name, value)
    assert ids() == expected


def test_plain_http_is_allowed_for_a_local_jitsi_in_debug(settings) -> None:
    configure_jitsi(settings, base_url="http://127.0.0.1:8443")
    settings.DEBUG = True
    assert video_settings_check() == []


@pytest.mark.django_db
def test_manage_py_check_fails_on_a_misconfigured_jitsi(settings) -> None:
    configure_jitsi(settings)
    settings.JITSI_APP_SECRET = ""
    with pytest.raises(SystemCheckError, match="JITSI_APP_SECRET"):
        call_command("check")


def test_the_secret_may_come_from_a_file_and_an_unreadable_file_stops_startup(tmp_path, monkeypatch) -> None:
    secret_file = tmp_path / "jitsi_secret"
    secret_file.write_text("from-a-file-" + "x" * 40 + "\n")
    monkeypatch.delenv("JITSI_APP_SECRET", raising=False)
    monkeypatch.setenv("JITSI_APP_SECRET_FILE", str(secret_file))
    assert env_secret("JITSI_APP_SECRET") == "from-a-file-" + "x" * 40
    monkeypatch.setenv("JITSI_APP_SECRET_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="JITSI_APP_SECRET_FILE"):
        env_secret("JITSI_APP_SECRET")
