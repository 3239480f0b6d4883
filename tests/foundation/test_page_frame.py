"""The page frame every signed-in page pays for (family_portal/chrome.py, templates/base.html, the staff MFA check):
the same links, current-page marks, badge and checks as before, for a fixed number of queries (issue #17)."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.models import Authenticator
from django.db import connection
from django.templatetags.static import static
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from family_portal import chrome
from messaging import services

pytestmark = pytest.mark.django_db


def _menu(page: str) -> list[tuple[str, str, bool]]:
    """The main menu's links: (address, label, marked as the current page), in order."""
    menu = page.split('<ul class="nav-list" id="main-menu">', 1)[1].split("</ul>", 1)[0]
    return [
        (href, re.sub(r"<[^>]+>.*", "", label, flags=re.S), current == ' aria-current="page"')
        for href, current, label in re.findall(r'<li><a href="([^"]+)"([^>]*)>(.*?)</a></li>', menu)
    ]


def _labels(page: str) -> list[str]:
    return [label for _, label, _ in _menu(page)]


def _current(page: str) -> list[str]:
    return [label for _, label, current in _menu(page) if current]


def test_a_family_members_menu_and_the_current_page(login, family_member):
    client = login(family_member)
    page = client.get(reverse("dashboard")).content.decode()
    assert _menu(page) == [
        (reverse("dashboard"), "Home", True),
        (reverse("education:catalogue"), "Learn", False),
        (reverse("scheduling:session_list"), "Sessions", False),
        (reverse("messaging:conversation_list"), "Messages", False),
        (reverse("summaries:index"), "Updates", False),
        (reverse("consent:what_you_can_see"), "What you can see", False),
        (reverse("accounts:checkin"), "My check-in", False),
        (reverse("accounts:profile"), "Account", False),
    ]
    assert _current(client.get(reverse("accounts:profile")).content.decode()) == ["Account"]
    assert _current(client.get(reverse("accounts:checkin")).content.decode()) == ["My check-in"]
    assert _current(client.get(reverse("messaging:conversation_list")).content.decode()) == ["Messages"]
    assert _current(client.get(reverse("crisis")).content.decode()) == []
    sign_out = page.split('<li class="nav-sign-out">', 1)[1].split("</li>", 1)[0]
    assert f'action="{reverse("account_logout")}"' in sign_out and 'name="csrfmiddlewaretoken"' in sign_out


def test_each_role_sees_its_own_links(login, patient, counselor, program_admin):
    common = ["Home", "Learn", "Sessions", "Messages"]
    patient_page = login(patient).get(reverse("dashboard")).content.decode()
    assert _labels(patient_page) == [*common, "Updates", "My sharing", "Account"]
    counselor_page = login(counselor).get(reverse("dashboard")).content.decode()
    assert _labels(counselor_page) == [*common, "Patients", "Reminders", "Insights", "Account"]
    admin_page = login(program_admin).get(reverse("consent:patient_list")).content.decode()
    assert _labels(admin_page) == [*common, "Patients", "Reminders", "Program", "Account"]
    assert _current(admin_page) == ["Patients"]


def test_staff_without_a_program_get_no_program_pages(login, counselor):
    counselor.program = None
    counselor.save(update_fields=["program"])
    assert "Insights" not in _labels(login(counselor).get(reverse("crisis")).content.decode())


def test_the_menu_is_in_the_persons_language(login, family_member):
    family_member.preferred_language = "es"
    family_member.save(update_fields=["preferred_language"])
    page = login(family_member).get(reverse("dashboard")).content.decode()
    assert _labels(page)[0] == "Inicio"
    assert "Home" not in _labels(page)


def test_the_badge_follows_a_new_message_and_a_read(login, patient, counselor, family_member):
    conversation = services.care_team_conversation(patient)
    client = login(family_member)

    def badge() -> str:
        """The badge inside the "Messages" link, as read: "2 unread messages"; "" when there is none."""
        page = client.get(reverse("crisis")).content.decode()
        link = re.search(rf'<a href="{reverse("messaging:conversation_list")}"[^>]*>(.*?)</a>', page, flags=re.S)
        assert link and link.group(1).startswith("Messages")
        found = re.search(r'data-unread-badge>(\d+)<span class="visually-hidden"> ([^<]+)</span>', link.group(1))
        assert page.count("data-unread-badge") == (1 if found else 0)
        return f"{found.group(1)} {found.group(2)}" if found else ""

    assert badge() == ""
    first = services.send_message(sender=counselor, conversation=conversation, body="One")
    assert badge() == "1 unread message"
    services.send_message(sender=counselor, conversation=conversation, body="Two")
    assert badge() == "2 unread messages"
    services.mark_read(user=family_member, conversation=conversation, up_to=first.pk)
    assert badge() == "1 unread message"


def test_the_frames_links_and_files(login, family_member):
    page = login(family_member).get(reverse("crisis")).content.decode()
    for url_name in ("manifest", "keep_alive", "home", "crisis", "javascript-catalog", "service_worker"):
        assert f'"{reverse(url_name)}"' in page, url_name
    for path in chrome.FRAME_STATIC_FILES.values():
        assert f'"{static(path)}"' in page, path
    assert f'action="{reverse("set_language")}"' in page


def test_the_frames_links_follow_a_settings_change(login, family_member, settings):
    login(family_member).get(reverse("crisis"))
    settings.STATIC_URL = "/assets/"
    page = login(family_member).get(reverse("crisis")).content.decode()
    assert f'<link rel="icon" href="{static("favicon.svg")}"' in page
    assert static("favicon.svg").startswith("/assets/")


def test_a_signed_in_page_frame_costs_the_user_and_the_badges_gate_question(login, family_member):
    """The crisis page reads nothing itself: its queries are the frame's (the request user with its program and
    phone; the gate's consents for the unread badge, whose count is then served from the cache)."""
    client = login(family_member)
    client.get(reverse("crisis"))
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("crisis")).status_code == 200
    tables = [re.search(r'FROM "(\w+)"', q["sql"]).group(1) for q in captured.captured_queries]  # type: ignore[union-attr]
    assert tables == ["accounts_user", "consent_consent"]


def test_staff_pay_one_query_for_the_mfa_check(login, counselor):
    client = login(counselor)
    client.get(reverse("crisis"))
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("crisis")).status_code == 200
    assert sum('FROM "mfa_authenticator"' in q["sql"] for q in captured.captured_queries) == 1


def test_an_authenticator_removed_mid_session_counts_at_once(login, counselor):
    client = login(counselor)
    assert client.get(reverse("crisis")).status_code == 200
    Authenticator.objects.filter(user=counselor).delete()
    response = client.get(reverse("crisis"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_recovery_codes_alone_are_no_second_step(login, counselor):
    client = login(counselor)
    Authenticator.objects.filter(user=counselor).delete()
    Authenticator.objects.create(user=counselor, type=Authenticator.Type.RECOVERY_CODES, data={})
    assert client.get(reverse("crisis"))["Location"] == reverse("mfa_activate_totp")


def test_the_frames_addresses_are_worked_out_once(login, family_member, monkeypatch):
    client = login(family_member)
    first = client.get(reverse("messaging:conversation_list")).content.decode()

    def no_more_reversing(*args, **kwargs):
        raise AssertionError("the frame reversed an address again")

    monkeypatch.setattr(chrome, "reverse", no_more_reversing)
    monkeypatch.setattr(chrome, "static", no_more_reversing)
    again = client.get(reverse("messaging:conversation_list")).content.decode()
    assert _menu(again) == _menu(first)
