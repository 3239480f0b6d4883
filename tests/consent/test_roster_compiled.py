"""The counselor roster's compiled queries and Python-built rows (``consent.roster``, issue #17): the same patients,
consents, emergency accesses and count to review as the ORM path, and each row byte for byte what the template's
loop wrote, in English and Spanish, in the counselor's time zone."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import CaseloadAssignment, Program, User
from consent import roster as roster_module
from consent.gate import care_team_patients
from consent.models import BreakGlassAccess, Consent
from family_portal import prepared_lists
from tests.support import personas

pytestmark = pytest.mark.django_db

# The loop as templates/consent/patient_list.html had it before the rows were built in Python (inside the page's
# {% timezone user.tz %}).
LOOP = Template(
    """{% load i18n tz %}{% timezone tz %}{% for patient, consents, glass_until in rows %}
      <tr>
        <td data-label="{% translate 'Patient' %}"><a href="{% url 'consent:patient_detail' patient.pk %}">{{ patient.full_name|default:patient.display_name }}</a>
          {% if glass_until %}<br><span class="badge badge-warn">{% blocktranslate trimmed with time=glass_until|date:"TIME_FORMAT" %}Emergency access until {{ time }}{% endblocktranslate %}</span>{% endif %}</td>
        <td data-label="{% translate 'Family' %}">
          {% if consents %}
          <ul class="list-compact">
            {% for shown in consents %}
            <li>{{ shown.consent.recipient_name }} <span class="badge {{ shown.badge }}">{{ shown.label }}</span>
              {% if shown.ends_soon %}<span class="badge badge-warn">{% blocktranslate trimmed with day=shown.consent.last_moment|date:"MONTH_DAY_FORMAT" %}Ends {{ day }}{% endblocktranslate %}</span>{% endif %}
              {% if shown.not_connected %}<span class="badge badge-neutral">{% translate "Not connected" %}</span>{% endif %}</li>
            {% endfor %}
          </ul>
          {% else %}<span class="muted">{% translate "No consents yet" %}</span>{% endif %}
        </td>
      </tr>
      {% endfor %}{% endtimezone %}"""  # noqa: E501
)


@pytest.fixture
def world(program: Program, counselor: User, patient: User, family_member: User, revoked_member: User) -> User:
    """A caseload with every state the roster shows: a consent ending within two weeks, one nobody has joined
    under, a revoked one, paper consents to review (one recorded by the counselor, not counted), a patient seen
    through emergency access, one without consents and a name that needs escaping."""
    counselor.time_zone = "America/Los_Angeles"
    counselor.save(update_fields=["time_zone"])
    colleague = personas.make_staff("col@example.org", program, full_name="Col League")
    second = personas.make_user("sam@example.org", User.Role.PATIENT, program, full_name="Sam <Stone> & Co")
    personas.assign(counselor, second)
    personas.make_user("nobody@example.org", User.Role.PATIENT, program, full_name="")
    personas.assign(counselor, User.objects.get(email="nobody@example.org"))
    soon = personas.consent_for(second, personas.make_user("s1@example.org", User.Role.FAMILY, None), days=5)
    unjoined = personas.consent_for(second, personas.make_user("s2@example.org", User.Role.FAMILY, None))
    Consent.objects.filter(pk=unjoined.pk).update(recipient=None, recipient_name="O'Hara <Aunt>")
    for recorder in (colleague, counselor):
        paper = personas.consent_for(patient, personas.make_user(f"p-{recorder.pk}@example.org", "family", None))
        Consent.objects.filter(pk=paper.pk).update(review_status=Consent.ReviewStatus.PENDING, recorded_by=recorder)
    glass = personas.make_user("gus@example.org", User.Role.PATIENT, program, full_name="Gus Glass")
    BreakGlassAccess.objects.create(
        counselor=counselor, patient=glass, reason="Crisis call", expires_at=timezone.now() + timedelta(minutes=50)
    )
    assert soon.pk
    return User.objects.get(pk=counselor.pk)


def _orm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prepared_lists, "LONGEST", 0)


def _described(shown: roster_module.Roster) -> tuple[Any, ...]:
    rows = [
        (p.pk, [(c.consent.pk, c.label, c.badge, c.ends_soon, c.not_connected) for c in cs], g)
        for p, cs, g in shown.rows
    ]
    return rows, shown.pending_count


def test_the_compiled_roster_equals_the_orm_roster(world: User, monkeypatch: pytest.MonkeyPatch) -> None:
    compiled = roster_module.roster(world)
    assert compiled.pending_count == 1 and len(compiled.rows) == 4
    assert any(g for _, _, g in compiled.rows) and any(c.ends_soon for _, cs, _ in compiled.rows for c in cs)
    _orm(monkeypatch)
    assert _described(roster_module.roster(world)) == _described(compiled)


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_rows_are_the_loops_markup(world: User, language: str) -> None:
    shown = roster_module.roster(world)
    with translation.override(language):
        html = roster_module.rows_html(shown.rows, world.tz)
        assert html == LOOP.render(Context({"rows": shown.rows, "tz": world.tz}))
    assert "Sam &lt;Stone&gt; &amp; Co" in html and "O&#x27;Hara &lt;Aunt&gt;" in html


def _page(client: Client) -> str:
    html = client.get(reverse("consent:patient_list")).content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    html = re.sub(r'data-idle-left="\d+"', "", html)  # seconds left in the session: moves between requests
    return re.sub(r'nonce="[^"]+"', "", html)


def test_the_roster_page_is_the_orm_paths_page_byte_for_byte(world: User, monkeypatch: pytest.MonkeyPatch) -> None:
    client = personas.login(Client(), world)
    compiled = _page(client)
    assert "Emergency access until" in compiled and "Not connected" in compiled and "Ends " in compiled
    _orm(monkeypatch)
    assert _page(client) == compiled


def test_an_ended_assignment_is_gone_from_the_next_roster(world: User, patient: User) -> None:
    client = personas.login(Client(), world)
    link = f'href="{reverse("consent:patient_detail", args=[patient.pk])}"'
    assert link in _page(client)
    CaseloadAssignment.objects.filter(counselor=world, patient=patient).update(ended_at=timezone.now())
    assert link not in _page(client)


def test_a_program_admins_roster_is_built_by_the_orm_with_the_same_facts(world: User, program_admin: User) -> None:
    shown = roster_module.roster(program_admin)
    patients = list(care_team_patients(program_admin).order_by("full_name", "email"))
    assert [p.pk for p, _, _ in shown.rows] == [p.pk for p in patients]
    assert shown.pending_count == roster_module.pending_reviews_among(patients, program_admin).count() == 2
    assert not any(glass for _, _, glass in shown.rows)  # the emergency access is the counselor's
    consents = {p.pk: [c.consent.pk for c in cs] for p, cs, _ in shown.rows}
    for patient in patients:
        expected = Consent.objects.filter(patient=patient).order_by("recipient_name", "-signed_at")
        assert consents[patient.pk] == [c.pk for c in expected]
