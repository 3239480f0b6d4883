"""A program's own support groups for families: staff add, edit, hide and show them again (audited, 404 to everyone
else); families linked to the program see the active ones at the end of "Finding support for yourself"."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Program, User
from consent.models import AuditEvent
from education.curriculum_loader import CURRICULUM_DIR, load_curriculum, parse_directory
from education.models import LocalSupportGroup, Module
from education.support_groups import SUPPORT_MODULE_SLUG, add_group, set_active
from tests.support import personas
from tests.support.education_content import published_module

pytestmark = pytest.mark.django_db

GOOD = {
    "name": "Riverside family circle",
    "description": "A weekly group for parents, partners and friends.",
    "meeting_times": "Tuesdays, 6 to 7 pm, in person and online",
    "how_to_join": "Call the front desk at 555-0100 and ask for the family circle.",
    "url": "https://example.org/family-circle",
}


def _group(staff: User, **changes: str) -> LocalSupportGroup:
    return add_group(actor=staff, **{**GOOD, **changes})


def _audit_actions() -> list[str]:
    return [
        event.data.get("action", "")
        for event in AuditEvent.objects.filter(kind=AuditEvent.Kind.ADMIN_CHANGE).order_by("seq")
    ]


@pytest.fixture
def support_module(tmp_path: Path) -> Module:
    """The real starter module, loaded on its own from its curriculum file."""
    source = next(path for path in CURRICULUM_DIR.glob("*.toml") if path.stem.endswith(SUPPORT_MODULE_SLUG))
    shutil.copy(source, tmp_path / source.name)
    load_curriculum(tmp_path)
    return Module.objects.get(slug=SUPPORT_MODULE_SLUG)


def _last_lesson_url(module: Module) -> str:
    assert module.current_version is not None
    return reverse("education:lesson", args=[module.slug, module.current_version.lessons.count()])


# --- Staff pages -------------------------------------------------------------------------------------------------


def test_the_starter_curriculum_has_the_module_the_groups_are_shown_in() -> None:
    spec = next(spec for spec in parse_directory() if spec.slug == SUPPORT_MODULE_SLUG)
    assert spec.path_position is not None  # on the "Start here" path, open to families without a consent too
    text = " ".join(lesson["body"] for lesson in spec.lessons)
    for site in ("al-anon.org", "nar-anon.org", "smartrecovery.org", "nami.org"):
        assert site in text


def test_staff_add_edit_hide_and_show_a_group_and_every_change_is_audited(login, counselor: User) -> None:
    client = login(counselor)
    assert client.get(reverse("education:support_groups")).status_code == 200
    response = client.post(reverse("education:support_group_new"), GOOD)
    assert response.status_code == 302
    group = LocalSupportGroup.objects.get()
    assert (group.program_id, group.name, group.is_active, group.created_by) == (
        counselor.program_id,
        GOOD["name"],
        True,
        counselor,
    )

    edit = reverse("education:support_group_edit", args=[group.pk])
    assert GOOD["meeting_times"] in client.get(edit).content.decode()
    assert client.post(edit, {**GOOD, "meeting_times": "Thursdays at noon"}).status_code == 302
    group.refresh_from_db()
    assert group.meeting_times == "Thursdays at noon"

    toggle = reverse("education:support_group_active", args=[group.pk])
    assert client.post(toggle, {"active": "0"}).status_code == 302
    group.refresh_from_db()
    assert group.is_active is False
    page = client.get(reverse("education:support_groups")).content.decode()
    assert "Not shown to families" in page and GOOD["name"] in page
    assert client.post(toggle, {"active": "1"}).status_code == 302
    group.refresh_from_db()
    assert group.is_active is True

    assert _audit_actions() == [
        "support_group_added",
        "support_group_changed",
        "support_group_deactivated",
        "support_group_reactivated",
    ]
    event = AuditEvent.objects.filter(kind=AuditEvent.Kind.ADMIN_CHANGE).last()
    assert event is not None and event.actor == counselor
    assert event.data == {
        "action": "support_group_reactivated",
        "support_group": str(group.pk),
        "program": group.program_id,
    }


def test_saving_unchanged_details_or_the_same_state_writes_no_audit_row(login, counselor: User) -> None:
    group = _group(counselor)
    client = login(counselor)
    client.post(reverse("education:support_group_edit", args=[group.pk]), GOOD)
    client.post(reverse("education:support_group_active", args=[group.pk]), {"active": "1"})
    assert _audit_actions() == ["support_group_added"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "This field is required."),
        ("name", "Family\u202ecircle", "hidden or formatting characters"),
        ("meeting_times", "", "This field is required."),
        ("how_to_join", "", "This field is required."),
        ("url", "http://example.org/", "starts with https://"),
        ("url", "not a link", "Enter a valid URL."),
        ("description", "x" * 1001, "at most 1000 characters"),
    ],
)
def test_bad_input_is_a_clear_error_and_changes_nothing(
    login, counselor: User, field: str, value: str, message: str
) -> None:
    client = login(counselor)
    response = client.post(reverse("education:support_group_new"), {**GOOD, field: value})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not LocalSupportGroup.objects.exists()

    group = _group(counselor)
    response = client.post(reverse("education:support_group_edit", args=[group.pk]), {**GOOD, field: value})
    assert response.status_code == 200
    assert message in response.content.decode()
    group.refresh_from_db()
    assert getattr(group, field) == GOOD[field]
    assert _audit_actions() == ["support_group_added"]


@pytest.mark.parametrize("value", ["", "yes", "2"])
def test_a_bad_show_or_hide_choice_is_a_clear_error_and_changes_nothing(login, counselor: User, value: str) -> None:
    group = _group(counselor)
    response = login(counselor).post(
        reverse("education:support_group_active", args=[group.pk]), {"active": value}, follow=True
    )
    assert "Choose whether to show or hide the group." in response.content.decode()
    group.refresh_from_db()
    assert group.is_active is True


@pytest.mark.parametrize("persona", ["patient", "family_member", "learner", "revoked_member"])
def test_support_group_pages_are_404_for_everyone_but_care_staff(
    request: pytest.FixtureRequest, login, counselor: User, persona: str
) -> None:
    group = _group(counselor)
    client = login(request.getfixturevalue(persona))
    urls = [
        reverse("education:support_groups"),
        reverse("education:support_group_new"),
        reverse("education:support_group_edit", args=[group.pk]),
        reverse("education:support_group_active", args=[group.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {**GOOD, "name": "Taken over", "active": "0"}).status_code == 404, url
    group.refresh_from_db()
    assert (group.name, group.is_active) == (GOOD["name"], True)
    assert LocalSupportGroup.objects.count() == 1


def test_staff_of_another_program_cannot_see_or_change_our_groups(
    login, counselor: User, other_program_counselor: User
) -> None:
    group = _group(counselor)
    client = login(other_program_counselor)
    assert GOOD["name"] not in client.get(reverse("education:support_groups")).content.decode()
    edit = reverse("education:support_group_edit", args=[group.pk])
    assert client.get(edit).status_code == 404
    assert client.post(edit, {**GOOD, "name": "Hijacked"}).status_code == 404
    toggle = reverse("education:support_group_active", args=[group.pk])
    assert client.post(toggle, {"active": "0"}).status_code == 404
    group.refresh_from_db()
    assert (group.name, group.is_active) == (GOOD["name"], True)
    refusal = AuditEvent.objects.filter(kind=AuditEvent.Kind.DISCLOSURE_REFUSED).last()
    assert refusal is not None and refusal.data["object"] == str(group.pk)


def test_staff_without_a_program_are_told_and_nothing_is_added(login, program: Program) -> None:
    staff = personas.make_staff("nora@example.org", program)
    User.objects.filter(pk=staff.pk).update(program=None)
    staff.refresh_from_db()
    client = login(staff)
    assert "not linked to a program" in client.get(reverse("education:support_groups")).content.decode()
    response = client.post(reverse("education:support_group_new"), GOOD)
    assert response.status_code == 200
    assert "not linked to a program" in response.content.decode()
    assert not LocalSupportGroup.objects.exists()


# --- What families see -------------------------------------------------------------------------------------------


def test_family_of_the_program_sees_its_active_groups_after_the_last_lesson_and_on_the_module_page(
    login, counselor: User, other_program_counselor: User, family_member: User, support_module: Module
) -> None:
    _group(counselor)
    set_active(actor=counselor, group=_group(counselor, name="Old Monday group"), active=False)
    _group(other_program_counselor, name="Hillside parents")
    client = login(family_member)

    for url in (_last_lesson_url(support_module), reverse("education:module", args=[support_module.slug])):
        page = client.get(url).content.decode()
        assert "Support groups from your program" in page, url
        assert GOOD["name"] in page and GOOD["how_to_join"] in page and GOOD["meeting_times"] in page
        assert f'href="{GOOD["url"]}"' in page
        assert "Old Monday group" not in page  # hidden by staff
        assert "Hillside parents" not in page  # another program's

    first = client.get(reverse("education:lesson", args=[support_module.slug, 1])).content.decode()
    assert GOOD["name"] not in first  # the list closes the module, it does not follow every lesson


@pytest.mark.parametrize("persona", ["learner", "revoked_member", "family_of_another_program"])
def test_learners_not_linked_to_the_program_see_only_the_national_list(
    request: pytest.FixtureRequest,
    login,
    counselor: User,
    other_program: Program,
    support_module: Module,
    persona: str,
) -> None:
    _group(counselor)
    if persona == "family_of_another_program":
        patient = personas.make_user("hope@example.org", User.Role.PATIENT, other_program, full_name="Hope Hill")
        viewer = personas.make_user("hank@example.org", User.Role.FAMILY, None, full_name="Hank Hill")
        personas.consent_for(patient, viewer)
    else:
        viewer = request.getfixturevalue(persona)
    page = login(viewer).get(_last_lesson_url(support_module))
    assert page.status_code == 200
    text = page.content.decode()
    assert "al-anon.org" in text and "nami.org" in text  # the national list, in the lesson itself
    assert GOOD["name"] not in text and "Support groups from your program" not in text


def test_other_modules_do_not_show_the_groups(login, counselor: User, family_member: User) -> None:
    _group(counselor)
    other = published_module("understanding-addiction", lessons=2)
    client = login(family_member)
    assert GOOD["name"] not in client.get(reverse("education:lesson", args=[other.slug, 2])).content.decode()
    assert GOOD["name"] not in client.get(reverse("education:module", args=[other.slug])).content.decode()


def test_staff_preview_their_own_programs_groups(
    login, counselor: User, other_program_counselor: User, support_module: Module
) -> None:
    _group(counselor)
    _group(other_program_counselor, name="Hillside parents")
    page = login(counselor).get(_last_lesson_url(support_module)).content.decode()
    assert GOOD["name"] in page and "Hillside parents" not in page


def test_group_text_is_escaped_for_families_and_staff(
    login, counselor: User, family_member: User, support_module: Module
) -> None:
    _group(
        counselor,
        name="<script>alert('name')</script>",
        description="<img src=x onerror=alert(1)>\nSecond line",
        meeting_times="<b>Mondays</b>",
        how_to_join='<a href="javascript:alert(1)">call</a>',
    )
    family_page = login(family_member).get(_last_lesson_url(support_module)).content.decode()
    staff_page = login(counselor, Client()).get(reverse("education:support_groups")).content.decode()
    for page in (family_page, staff_page):
        assert "<script>alert('name')</script>" not in page
        assert "&lt;script&gt;" in page
    assert "<img src=x" not in family_page and "&lt;img src=x onerror=alert(1)&gt;<br>Second line" in family_page
    assert "<b>Mondays</b>" not in family_page
    assert 'href="javascript:' not in family_page
