"""Issue #20 item 2: a family member's own weekly check-in — saving and replacing, the trend, support for a high
result, sharing with the counselor only on request, privacy from the patient and a representative, bad input, the
pages' query counts, the participation aggregate and the Spanish wording."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts.checkin_sharing import save_checkin, set_sharing, share_still_stands
from accounts.checkins import checkin_participation, week_start_for
from accounts.models import CheckInShare, User, WellbeingCheckIn
from consent.models import Disclosure, PersonalRepresentative
from notifications.models import OutboxMessage
from tests.accounts.conftest import HIGH, LOW, past_checkin, week_ago
from tests.support import personas
from tests.support.idor import status_of

pytestmark = pytest.mark.django_db

CHECKIN = reverse("accounts:checkin")
SHARED = reverse("accounts:shared_checkins")


def _post(client: Client, answers: dict[str, int], share: bool = False):
    data = {**answers, **({"share": "on"} if share else {})}
    return client.post(CHECKIN, data)


def _notices_to(user: User) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(recipient=user, template_key="checkin_shared"))


def test_saving_again_in_the_same_week_replaces_that_weeks_answer(client, login, family_member):
    login(family_member)
    first = _post(client, LOW)
    checkin = WellbeingCheckIn.objects.get(member=family_member)
    assert first.status_code == 302 and first["Location"] == reverse("accounts:checkin_result", args=[checkin.pk])
    page = client.get(CHECKIN).content.decode()
    assert "saving again replaces them" in page
    _post(client, HIGH)
    assert WellbeingCheckIn.objects.filter(member=family_member).count() == 1
    checkin.refresh_from_db()
    assert (checkin.answers, checkin.confidence) == ((2, 2, 2, 1), 2)
    assert checkin.week_start == week_start_for(family_member)


def test_the_page_states_privacy_and_cites_the_instrument(client, login, family_member):
    login(family_member)
    page = client.get(CHECKIN).content.decode()
    assert (
        "Only you can see this unless you choose to share it with the care team. Your loved one cannot see it." in page
    )
    assert "Kroenke" in page and "2009" in page
    assert "No check-ins yet" in page
    assert 'name="share"' in page and "checked" not in page.split('name="share"')[1].split(">")[0]


def test_trend_lists_the_weeks_oldest_first(client, login, family_member):
    for weeks, total in ((1, 2), (3, 3), (2, 1)):
        past_checkin(family_member, weeks, nervous=total, worrying=0, down=0, little_interest=0)
    login(family_member)
    page = client.get(CHECKIN).content.decode()
    table = page.split('id="checkin-trend"')[1].split("</table>")[0]
    links = re.findall(r"check-in/(\d+)/", table)
    expected = [c.pk for c in WellbeingCheckIn.objects.filter(member=family_member).order_by("week_start")]
    assert [int(pk) for pk in links] == expected
    assert "Your latest total is 2 of 12" in page  # the latest week (1 week ago) is the last row


def test_a_high_result_shows_support_at_once_and_a_low_one_does_not(client, login, family_member, program):
    from education.models import LocalSupportGroup

    LocalSupportGroup.objects.create(
        program=program, name="Riverside Family Circle", meeting_times="Tuesdays 7 pm", how_to_join="Just come"
    )
    login(family_member)
    high = client.get(_post(client, HIGH)["Location"]).content.decode()
    assert 'id="support-now"' in high and "988lifeline.org" in high and "Nar-Anon" in high
    assert "Riverside Family Circle" in high and "Ask your counselor" in high
    assert "not a diagnosis" in high
    WellbeingCheckIn.objects.all().delete()
    low = client.get(_post(client, LOW)["Location"]).content.decode()
    assert 'id="support-now"' not in low and "988lifeline.org" not in low and "Riverside Family Circle" not in low
    assert "few signs of worry" in low


def test_not_ticked_the_counselor_sees_nothing_and_gets_no_notice(client, login, family_member, counselor):
    login(family_member)
    _post(client, HIGH)
    assert CheckInShare.objects.count() == 0 and _notices_to(counselor) == []
    staff = login(counselor, Client()).get(SHARED).content.decode()
    assert "Nothing shared with you" in staff and family_member.full_name not in staff


def test_ticked_it_reaches_the_counselor_with_a_neutral_notice_and_unticking_stops_it(
    client, login, family_member, counselor, unassigned_counselor
):
    login(family_member)
    _post(client, HIGH, share=True)
    checkin = WellbeingCheckIn.objects.get(member=family_member)
    assert list(CheckInShare.objects.values_list("counselor_id", flat=True)) == [counselor.pk]
    notices = _notices_to(counselor)
    assert [n.channel for n in notices] == ["email"] and notices[0].patient_id is None
    assert _notices_to(unassigned_counselor) == []
    staff = login(counselor, Client())
    page = staff.get(SHARED).content.decode()
    assert family_member.full_name in page and "Consider reaching out" in page
    assert family_member.full_name not in login(unassigned_counselor, Client()).get(SHARED).content.decode()

    response = client.post(reverse("accounts:checkin_sharing", args=[checkin.pk]), {"share": "0"})
    assert response.status_code == 302
    assert CheckInShare.objects.count() == 0
    assert OutboxMessage.objects.get(pk=notices[0].pk).state == OutboxMessage.State.CANCELLED
    assert not share_still_stands(notices[0])  # the worker's send-time check suppresses it too
    assert family_member.full_name not in staff.get(SHARED).content.decode()
    set_sharing(checkin, True)  # ticked again: a new share and a new notice
    assert len(_notices_to(counselor)) == 2
    assert Disclosure.objects.count() == 0  # the member's own information: never in the consent ledger


def test_a_bad_sharing_value_is_refused(client, login, family_member):
    login(family_member)
    _post(client, LOW)
    checkin = WellbeingCheckIn.objects.get()
    response = client.post(reverse("accounts:checkin_sharing", args=[checkin.pk]), {"share": "maybe"})
    assert response.status_code == 400
    assert not WellbeingCheckIn.objects.get().shared_with_care_team


def test_patient_and_representative_never_see_a_family_members_checkin(
    client, login, family_member, patient, counselor
):
    checkin, _ = save_checkin(member=family_member, answers=(3, 3, 3, 3), confidence=1, share=True)
    representative = personas.make_user("rep@example.org", User.Role.FAMILY, None, full_name="Reggie Rep")
    PersonalRepresentative.objects.create(
        representative=representative,
        patient=patient,
        authority=PersonalRepresentative.Authority.GUARDIAN,
        document_reference="Court order 7",
        verified_by=counselor,
    )
    urls = [
        reverse("accounts:checkin_result", args=[checkin.pk]),
        reverse("accounts:checkin_sharing", args=[checkin.pk]),
    ]
    as_patient = login(patient, Client())
    assert as_patient.get(CHECKIN).status_code == 404
    assert as_patient.get(SHARED).status_code == 404
    as_rep = login(representative, Client())
    for url in urls:
        assert status_of(as_patient, url) == 404
        assert status_of(as_rep, url) == 404
        assert as_rep.post(url, {"share": "0"}).status_code == 404
    assert "No check-ins yet" in as_rep.get(CHECKIN).content.decode()
    assert WellbeingCheckIn.objects.get().shared_with_care_team


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"down": None}, "Please answer this question."),
        ({"nervous": 4}, "Please choose one of the four answers."),
        ({"worrying": "often"}, "Please choose one of the four answers."),
        ({"confidence": 6}, "Please choose a number from 1 to 5."),
    ],
)
def test_bad_input_is_a_clear_400_and_saves_nothing(client, login, family_member, counselor, change, message):
    login(family_member)
    data = {**LOW, "share": "on", **change}
    response = client.post(CHECKIN, {k: v for k, v in data.items() if v is not None})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert WellbeingCheckIn.objects.count() == 0 and CheckInShare.objects.count() == 0
    assert _notices_to(counselor) == []


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_query_counts_do_not_grow_with_the_data(login, program):
    counts = []
    for n in (1, 8):
        member = personas.make_user(f"qm{n}@example.org", User.Role.FAMILY, None, full_name=f"Member {n}")
        counselor = personas.make_staff(f"qc{n}@example.org", program, full_name=f"Counselor {n}")
        for i in range(n):
            patient = personas.make_user(f"qp{n}-{i}@example.org", User.Role.PATIENT, program)
            personas.assign(counselor, patient)
            personas.consent_for(patient, member)
        for weeks in range(1, n + 1):
            set_sharing(past_checkin(member, weeks, **HIGH), True)
        latest = WellbeingCheckIn.objects.filter(member=member).first()
        assert latest is not None
        family, staff = login(member, Client()), login(counselor, Client())
        counts.append(
            (
                _queries(family, CHECKIN),
                _queries(family, reverse("accounts:checkin_result", args=[latest.pk])),
                _queries(staff, SHARED),
            )
        )
        assert CheckInShare.objects.filter(counselor=counselor).count() == n
    assert counts[0] == counts[1]


def test_participation_counts_the_programs_families_per_week(program, patient, family_member, revoked_member):
    other_program = personas.make_program("Hillside")
    elsewhere = personas.make_user("else@example.org", User.Role.PATIENT, other_program)
    stranger = personas.make_user("stranger@example.org", User.Role.FAMILY, None)
    personas.consent_for(elsewhere, stranger)
    for member in (family_member, revoked_member, stranger):
        past_checkin(member, 1)
    past_checkin(family_member, 2)
    past_checkin(family_member, 9)
    start, end = week_ago(family_member, 4), week_ago(family_member, 0)
    assert checkin_participation(program, start, end) == {week_ago(family_member, 2): 1, week_ago(family_member, 1): 2}
    assert checkin_participation(other_program.pk, start, end) == {week_ago(family_member, 1): 1}


def test_the_page_in_spanish_uses_the_standard_phq4_wording(client, login, family_member):
    family_member.preferred_language = "es"
    family_member.save(update_fields=["preferred_language"])
    login(family_member)
    with translation.override("es"):
        page = client.get(CHECKIN, headers={"accept-language": "es"}).content.decode()
    assert "Se ha sentido nervioso(a), ansioso(a) o con los nervios de punta" in page
    assert "Poco interés o placer en hacer cosas" in page
    assert "Más de la mitad de los días" in page


def test_a_week_is_the_members_local_monday(family_member):
    family_member.time_zone = "America/Los_Angeles"
    # Monday 02:00 UTC is still Sunday evening in Los Angeles: the week before.
    monday_utc = timezone.now().replace(hour=2, minute=0, second=0, microsecond=0)
    monday_utc -= timedelta(days=monday_utc.weekday())
    assert week_start_for(family_member, monday_utc) == monday_utc.date() - timedelta(days=7)


def test_sharing_with_nobody_connected_says_so(client, login, learner, counselor):
    login(learner)
    page = client.get(_post(client, LOW, share=True)["Location"]).content.decode()
    assert "No counselor can see it yet" in page and "Try sharing again" in page
    assert CheckInShare.objects.count() == 0 and _notices_to(counselor) == []
