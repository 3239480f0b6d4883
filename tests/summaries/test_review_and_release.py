"""Progress summaries from draft to the family's page: the patient reviews first (approve, ask for a change, or the
review time ends), editing makes a new version that needs review again, and only family members whose consent
includes ``progress_summary`` at the moment of reading see the latest released version, one ledger row per read."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from consent.models import Disclosure, Scope
from messaging.summaries import services
from messaging.summaries.models import ProgressSummary, SummaryVersion
from notifications.models import OutboxMessage
from notifications.periodic import run_periodic
from notifications.rendering import clinical_words_in, render_email, render_sms
from tests.summaries.helpers import released_summary, text, version_of
from tests.support import personas

pytestmark = pytest.mark.django_db
State = SummaryVersion.State


@pytest.fixture
def other_family(program, patient, other_patient) -> dict[str, User]:
    """Family members who must never see the patient's summaries: sharing without the scope, an expired consent,
    and the family of another patient (``outsider`` of the root fixtures is the last)."""
    no_scope = personas.make_user("nora@example.org", User.Role.FAMILY, None, full_name="Nora Noscope")
    personas.consent_for(patient, no_scope, scopes=[Scope.MESSAGING, Scope.SCHEDULE])
    expired = personas.make_user("ezra@example.org", User.Role.FAMILY, None, full_name="Ezra Expired")
    consent = personas.consent_for(patient, expired)
    consent.expires_at = timezone.now() - timedelta(days=1)
    consent.save(update_fields=["expires_at"])
    return {"no_scope": no_scope, "expired": expired}


def _current(summary: ProgressSummary) -> SummaryVersion:
    assert summary.current_version is not None
    return summary.current_version


def _released(summary: ProgressSummary) -> SummaryVersion:
    assert summary.released_version is not None
    return summary.released_version


def _ledger(member: User) -> int:
    return Disclosure.objects.filter(recipient=member, scope=Scope.PROGRESS_SUMMARY).count()


def _assert_neutral(rows: list[OutboxMessage], *names: str) -> None:
    assert rows
    for row in rows:
        body = (
            render_sms(row.template_key, row.context)
            if row.channel == "sms"
            else "\n".join(render_email(row.template_key, row.context))
        )
        assert clinical_words_in(body) == [], body
        for name in names:
            assert name.lower() not in body.lower()


def test_draft_review_change_edit_approve_and_delivery_to_consented_family_only(
    login, counselor, patient, family_member, outsider, other_family
):
    staff = login(counselor, Client())
    new = reverse("summaries:new", args=[patient.pk])
    form = {"attendance": "Came twice.", "working_on": "Sleep.", "how_to_help": "Listen.", "language": "en"}

    assert staff.post(new, {**form, "action": "draft"}).status_code == 302
    summary = ProgressSummary.objects.get(patient=patient)
    assert _current(summary).state == State.DRAFT
    assert not OutboxMessage.objects.exists()  # a draft tells nobody
    assert login(patient, Client()).get(reverse("summaries:detail", args=[summary.pk])).status_code == 404

    staff.post(reverse("summaries:edit", args=[summary.pk]), {**form, "action": "send"})
    summary.refresh_from_db()
    v1 = _current(summary)
    assert (v1.number, v1.state) == (1, State.AWAITING_REVIEW)  # a draft is sent as it is, no new version
    review_notice = list(OutboxMessage.objects.filter(template_key="summary_review"))
    assert {row.recipient_id for row in review_notice} == {patient.pk}
    _assert_neutral(review_notice, "Pat", "Rivera")

    me = login(patient, Client())
    assert "Waiting for your review" in me.get(reverse("summaries:index")).content.decode()
    review = reverse("summaries:review", args=[summary.pk])
    assert me.post(review, {"decision": "change", "version": 1, "comment": ""}).status_code == 400
    assert (
        me.post(review, {"decision": "change", "version": 1, "comment": "Leave out the sleep part."}).status_code == 302
    )
    assert "Leave out the sleep part." in staff.get(reverse("summaries:patient", args=[patient.pk])).content.decode()
    assert login(family_member, Client()).get(reverse("summaries:detail", args=[summary.pk])).status_code == 404

    staff.post(reverse("summaries:edit", args=[summary.pk]), {**form, "working_on": "Steady days.", "action": "send"})
    summary.refresh_from_db()
    assert _current(summary).number == 2 and version_of(summary, 1).state == State.CHANGES_REQUESTED
    assert me.post(review, {"decision": "approve", "version": 1}).status_code == 409  # the page was out of date
    assert me.post(review, {"decision": "approve", "version": 2}).status_code == 302
    summary.refresh_from_db()
    assert _released(summary).number == 2

    family_notices = list(OutboxMessage.objects.filter(template_key="summary_update"))
    assert {row.recipient_id for row in family_notices} == {family_member.pk}
    _assert_neutral(family_notices, "Pat", "Rivera", "Fran")

    reader = login(family_member, Client())
    before = _ledger(family_member)
    page = reader.get(reverse("summaries:detail", args=[summary.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Steady days." in html and "data-part2-notice" in html
    assert _ledger(family_member) == before + 1  # exactly one row per read
    reader.get(reverse("summaries:detail", args=[summary.pk]))
    assert _ledger(family_member) == before + 2

    for member in (*other_family.values(), outsider):
        client = login(member, Client())
        assert client.get(reverse("summaries:detail", args=[summary.pk])).status_code == 404
        assert "Steady days" not in client.get(reverse("summaries:index")).content.decode()
        assert _ledger(member) == 0


def test_unanswered_review_is_released_by_the_periodic_job_and_an_edit_restarts_the_clock(
    counselor, patient, family_member
):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        first = services.write_summary(author=counselor, patient=patient, text=text(), send=True)
        assert first.review_due_at == start + timedelta(hours=48)
        clock.shift(timedelta(hours=40))
        second = services.revise_summary(
            author=counselor, summary=first.summary, text=text(attendance="Came once."), send=True
        )
        assert second.review_due_at == start + timedelta(hours=88)
        clock.shift(timedelta(hours=9))  # 49 h after the first: the first's deadline passed, but it was superseded
        run_periodic(timezone.now())
        assert ProgressSummary.objects.get().released_version is None
        clock.shift(timedelta(hours=40))
        run_periodic(timezone.now())
    summary = ProgressSummary.objects.get()
    assert summary.released_version == second
    second.refresh_from_db()
    assert (second.state, second.released_how, second.reviewed_by) == (State.RELEASED, "automatic", None)
    assert version_of(summary, 1).state == State.SUPERSEDED
    assert OutboxMessage.objects.filter(template_key="summary_update", recipient=family_member).exists()


def test_program_review_time_is_used(counselor, patient, program):
    program.summary_review_hours = 2
    program.save(update_fields=["summary_review_hours"])
    version = services.write_summary(author=counselor, patient=patient, text=text(), send=True)
    assert version.review_due_at and version.sent_for_review_at
    assert version.review_due_at - version.sent_for_review_at == timedelta(hours=2)


def test_another_patient_and_their_counselor_get_404_everywhere(login, counselor, patient, other_patient, program):
    summary = released_summary(counselor, patient)
    their_counselor = personas.make_staff("theo@example.org", program)
    personas.assign(their_counselor, other_patient)
    urls = [
        reverse("summaries:detail", args=[summary.pk]),
        reverse("summaries:edit", args=[summary.pk]),
        reverse("summaries:patient", args=[patient.pk]),
        reverse("summaries:new", args=[patient.pk]),
    ]
    for person in (other_patient, their_counselor):
        client = login(person, Client())
        assert [client.get(url).status_code for url in urls] == [404] * len(urls)
        review = reverse("summaries:review", args=[summary.pk])
        assert client.post(review, {"decision": "approve", "version": 1}).status_code == 404
        assert str(summary.pk) not in client.get(reverse("summaries:index")).content.decode()


def test_revoking_between_approval_and_reading_stops_the_read(login, counselor, patient, family_member, consent):
    summary = released_summary(counselor, patient)
    personas.revoke(consent)

    client = login(family_member, Client())
    assert client.get(reverse("summaries:detail", args=[summary.pk])).status_code == 404
    assert "No updates have been shared with you yet" in client.get(reverse("summaries:index")).content.decode()
    assert _ledger(family_member) == 0


def test_families_see_only_the_latest_released_version(login, counselor, patient, family_member):
    summary = released_summary(counselor, patient, working_on="First words.")
    services.revise_summary(author=counselor, summary=summary, text=text(working_on="Second words."), send=True)
    client = login(family_member, Client())
    url = reverse("summaries:detail", args=[summary.pk])

    assert "First words." in client.get(url).content.decode()  # the new version waits for review
    services.approve(reviewer=patient, summary=summary, version_number=2)
    html = client.get(url).content.decode()
    assert "Second words." in html and "First words." not in html


def test_a_personal_representative_reviews_and_is_told(counselor, patient, program, login):
    from consent.models import PersonalRepresentative
    from consent.services import record_personal_representative

    guardian = personas.make_user("gwen@example.org", User.Role.FAMILY, None, full_name="Gwen Guardian")
    record_personal_representative(
        staff=counselor,
        patient=patient,
        representative=guardian,
        authority=PersonalRepresentative.Authority.GUARDIAN,
        document_reference="Order 1",
    )
    version = services.write_summary(author=counselor, patient=patient, text=text(), send=True)
    told = set(OutboxMessage.objects.filter(template_key="summary_review").values_list("recipient_id", flat=True))
    assert told == {patient.pk, guardian.pk}
    client = login(guardian, Client())
    response = client.post(
        reverse("summaries:review", args=[version.summary_id]), {"decision": "approve", "version": 1}
    )
    assert response.status_code == 302
    assert ProgressSummary.objects.get().released_version == version


def test_bad_input_changes_nothing(login, counselor, patient, family_member):
    staff = login(counselor, Client())
    new = reverse("summaries:new", args=[patient.pk])
    assert (
        staff.post(new, {"attendance": "x" * 1501, "working_on": "a", "how_to_help": "b", "language": "en"}).status_code
        == 400
    )
    assert (
        staff.post(new, {"attendance": "a", "working_on": "a", "how_to_help": "b", "language": "xx"}).status_code == 400
    )
    assert (
        staff.post(
            new, {"attendance": "a", "working_on": "a", "how_to_help": "b", "language": "en", "action": "x"}
        ).status_code
        == 400
    )
    assert not ProgressSummary.objects.exists()
    summary = released_summary(counselor, patient)
    me = login(patient, Client())
    review = reverse("summaries:review", args=[summary.pk])
    for data in ({}, {"decision": "maybe", "version": 1}, {"decision": "approve", "version": "abc"}):
        assert me.post(review, data).status_code == 400
    assert me.post(review, {"decision": "approve", "version": 1}).status_code == 409  # already released
    assert login(family_member, Client()).post(review, {"decision": "approve", "version": 1}).status_code == 404


def test_reading_level_hint_for_english_and_spanish(login, counselor, patient):
    staff = login(counselor, Client())
    url = reverse("summaries:reading_level")
    english = staff.post(url, {"attendance": "She came to all the groups. She did well.", "language": "en"})
    assert english.status_code == 200 and "grade" in english.content.decode()
    spanish = staff.post(url, {"attendance": "Vino a todas las citas. Le fue bien.", "language": "es"})
    assert "Reading ease" in spanish.content.decode()
    page = staff.post(
        reverse("summaries:new", args=[patient.pk]),
        {"attendance": "Came.", "working_on": "Sleep.", "how_to_help": "Listen.", "language": "en", "action": "check"},
    )
    assert page.status_code == 200 and "summary-reading" in page.content.decode()
    assert not ProgressSummary.objects.exists()
