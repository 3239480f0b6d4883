"""Office hours and reminder policy in plain words: weekday checkboxes, a time zone list, "1 day before";
valid changes saved and audited with field names, bad input shown on its field and nothing changed."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time

import pytest
from django.urls import reverse

from accounts.models import Program
from tests.console.conftest import console_audits

pytestmark = pytest.mark.django_db

URL = reverse("console:program_settings")
VALID = {
    "office_days": ["0", "2", "4"],
    "office_opens": "08:30",
    "office_closes": "18:00",
    "time_zone": "America/Chicago",
    "help_phone": "(555) 010-2000",  # a landline is fine for the front desk
    "reminder_offsets_minutes": ["60", "1440"],
    "offline_notice_minutes": "30",
    "push_fallback_minutes": "20",
    "patients_join_care_team": "on",
    "summary_review_hours": "72",
}


def _settings(program: Program) -> tuple:
    program.refresh_from_db()
    return (
        program.office_days,
        program.office_opens,
        program.office_closes,
        program.time_zone,
        program.help_phone,
        program.reminder_offsets_minutes,
        program.offline_notice_minutes,
        program.push_fallback_minutes,
        program.patients_join_care_team,
        program.summary_review_hours,
    )


def test_the_page_shows_weekdays_and_reminder_times_in_words(admin_client):
    page = admin_client.get(URL).content.decode()
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"):
        assert re.search(rf'<label for="id_office_days_\d">\s*<input[^>]+>\s*{day}</label>', page), day
    assert re.search(r'value="0"[^>]*checked', page)  # Monday, the default
    assert re.search(r'value="6"(?![^>]*checked)', page)  # Sunday is not an office day by default
    assert re.search(r'value="1440"[^>]*checked[^>]*>\s*1 day before', page)
    assert re.search(r'value="120"[^>]*checked[^>]*>\s*2 hours before', page)
    assert "1 week before" in page and "30 minutes before" in page
    assert '<option value="America/New_York" selected>' in page


def test_saving_changes_the_program_and_audits_the_fields(admin_client, program):
    response = admin_client.post(URL, VALID)

    assert response.status_code == 302
    assert _settings(program) == (
        [0, 2, 4],
        time(8, 30),
        time(18),
        "America/Chicago",
        "+15550102000",
        [1440, 60],
        30,
        20,
        True,
        72,
    )
    [audit] = console_audits()
    assert audit["action"] == "program_settings_changed" and audit["program"] == program.pk
    assert set(audit["fields"]) == {
        "office_days",
        "office_opens",
        "office_closes",
        "time_zone",
        "help_phone",
        "reminder_offsets_minutes",
        "offline_notice_minutes",
        "push_fallback_minutes",
        "patients_join_care_team",
        "summary_review_hours",
    }


def test_no_reminders_at_all_is_a_choice(admin_client, program):
    data = {key: value for key, value in VALID.items() if key != "reminder_offsets_minutes"}
    assert admin_client.post(URL, data).status_code == 302
    program.refresh_from_db()
    assert program.reminder_offsets_minutes == []


def test_a_reminder_time_set_elsewhere_is_kept_and_described(admin_client, program):
    program.reminder_offsets_minutes = [90]
    program.save()
    page = admin_client.get(URL).content.decode()
    assert re.search(r'value="90"[^>]*checked[^>]*>\s*90 minutes before', page)


def test_saving_the_same_values_writes_nothing(admin_client, program):
    admin_client.post(URL, VALID)
    admin_client.post(URL, VALID)
    assert len(console_audits()) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"office_days": []}, "office_days"),
        ({"office_days": ["7"]}, "office_days"),
        ({"office_closes": "08:00"}, "office_closes"),  # before it opens
        ({"office_opens": "25:00"}, "office_opens"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"help_phone": "12"}, "help_phone"),
        ({"help_phone": "555-1234"}, "help_phone"),  # no area code
        ({"reminder_offsets_minutes": ["-5"]}, "reminder_offsets_minutes"),
        ({"offline_notice_minutes": "0"}, "offline_notice_minutes"),
        ({"offline_notice_minutes": "99999999999999999999"}, "offline_notice_minutes"),
        ({"summary_review_hours": "0"}, "summary_review_hours"),
        ({"summary_review_hours": "337"}, "summary_review_hours"),
        ({"push_fallback_minutes": "0"}, "push_fallback_minutes"),
    ],
)
def test_bad_input_is_shown_on_its_field_and_changes_nothing(admin_client, program, change, field):
    before = _settings(program)

    response = admin_client.post(URL, {**VALID, **change})

    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert f'id="id_{field}_error"' in response.content.decode()
    assert _settings(program) == before
    assert console_audits() == []


def test_changing_the_time_zone_moves_office_hours(admin_client, program):
    admin_client.post(URL, {**VALID, "office_days": [str(d) for d in range(7)], "time_zone": "Pacific/Honolulu"})
    program.refresh_from_db()
    assert program.is_open_at(datetime(2030, 1, 7, 20, 0, tzinfo=UTC))  # 10:00 in Honolulu
    assert not program.is_open_at(datetime(2030, 1, 7, 15, 0, tzinfo=UTC))  # 05:00 in Honolulu


def test_the_letterhead_address_and_phone_are_saved_for_attendance_letters(admin_client, program):
    data = {**VALID, "address": "  12 Main Street \n\n Springfield, IL 62701 ", "phone": "(555) 010-3000"}
    assert admin_client.post(URL, data).status_code == 302
    program.refresh_from_db()
    assert (program.address, program.phone) == ("12 Main Street\nSpringfield, IL 62701", "+15550103000")
    assert admin_client.post(URL, {**data, "phone": "12"}).status_code == 200  # refused, shown on its field
