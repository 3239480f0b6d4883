"""Attendance letters (42 CFR § 2.35): issued by the care team under a court consent, checked by code on the public
verification page (facts exactly as issued, one ledger row per view), withdrawn, ended with the consent, rate limited,
and printable as a PDF."""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from typing import Any

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Program, User
from consent.models import Consent, Disclosure, Scope
from consent.services import grant_consent
from notifications.models import OutboxMessage
from scheduling.letter_pdf import letter_pdf
from scheduling.letter_ratelimit import PER_CLIENT
from scheduling.models import AttendanceLetter, FamilySession, Participant, TreatmentSession
from scheduling.services.letter_facts import letter_view, new_code, normalise_code
from scheduling.services.letters import issue_letter
from tests.support import personas

pytestmark = pytest.mark.django_db
CODE = re.compile(r"[2-9A-HJ-NP-Z]{4}(?:-[2-9A-HJ-NP-Z]{4}){4}")


@pytest.fixture(autouse=True)
def _no_earlier_rate_limits() -> None:
    """Rate-limit counters live in the cache; on the PostgreSQL + Redis pass the cache outlives each test, and
    earlier tests' requests (the same addresses, the same site-wide key) would count against this one."""
    caches["default"].clear()


def court_consent(patient: User, **extra: Any) -> Consent:
    fields: dict[str, Any] = {
        "recipient_kind": Consent.RecipientKind.COURT,
        "recipient_name": "Judge Ana Ruiz",
        "recipient_organisation": "County Drug Court",
        "referral_source": "County Drug Court",
        "referral_proceeding": "Case 2026-CR-0142",
        "scopes": [Scope.ATTENDANCE],
        "purpose": Consent.Purpose.COURT_REPORTING,
        "expires_at": timezone.now() + timedelta(days=300),
        "signature": patient.full_name,
        **extra,
    }
    return grant_consent(patient=patient, **fields)


def _today(patient: User) -> date:
    assert patient.program is not None
    return timezone.localdate(timezone=patient.program.tz)


def _sessions(patient: User, counselor: User, n: int) -> None:
    today = _today(patient)
    marks = ["attended", "missed", "excused"]
    TreatmentSession.objects.bulk_create(
        TreatmentSession(
            patient=patient,
            kind="iop_group",
            date=today - timedelta(days=i),
            start_time=time(18),
            minutes=180,
            attendance=marks[i % 3],
            recorded_by=counselor,
        )
        for i in range(n)
    )


@pytest.fixture
def court(patient: User) -> Consent:
    consent = court_consent(patient)
    Consent.objects.filter(pk=consent.pk).update(signed_at=timezone.now() - timedelta(days=60))
    consent.refresh_from_db()
    return consent


def _issue(client: Client, patient: User, consent: Consent, days: int = 30) -> tuple[AttendanceLetter, str]:
    today = _today(patient)
    url = reverse("scheduling:letter_list", kwargs={"patient_id": patient.pk})
    data = {"consent": str(consent.pk), "start": str(today - timedelta(days=days)), "end": str(today)}
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[-2000:]
    letter = AttendanceLetter.objects.latest("issued_at")
    page = client.get(response["Location"]).content.decode()
    return letter, CODE.search(page).group(0)  # type: ignore[union-attr]


def _verify(code: str, client: Client | None = None, **extra: Any) -> Any:
    return (client or Client()).post(reverse("letter_verify"), {"code": code}, **extra)


def test_issue_then_verify_shows_the_issued_facts_and_writes_one_ledger_row_per_view(login, counselor, patient, court):
    _sessions(patient, counselor, 6)
    session = FamilySession.objects.create(
        program=patient.program,
        patient=patient,
        kind=FamilySession.Kind.FAMILY_THERAPY,
        starts_at=timezone.now() - timedelta(days=3),
        ends_at=timezone.now() - timedelta(days=3) + timedelta(minutes=60),
        location="Room 1",
        created_by=counselor,
    )
    Participant.objects.create(session=session, user=patient, role=Participant.Role.PATIENT, attendance="late")
    letter, code = _issue(login(counselor), patient, court)
    totals = letter.facts["totals"]
    assert (totals["scheduled"], totals["attended"], totals["missed"], totals["excused"]) == (7, 3, 2, 2)
    assert totals["minutes_attended"] == 2 * 180 + 60
    assert letter.facts["recipient"]["name"] == "Judge Ana Ruiz"
    assert code not in str(letter.facts) and letter.code_hash != normalise_code(code)
    before = Disclosure.objects.filter(patient=patient).count()  # the issue itself is one (export)

    page = _verify(code.lower().replace("-", " ")).content.decode()
    assert 'data-outcome="valid"' in page
    view = letter_view(letter.facts)
    assert len(re.findall(r"<tr data-mark=", page)) == len(view.rows) == 7
    assert "Total hours attended: 7.00" in page and "Judge Ana Ruiz" in page
    assert "official duties with regard to the patient" in page  # § 2.35(d)
    assert str(court.pk) not in page and str(letter.pk) not in page
    _verify(code)
    rows = Disclosure.objects.filter(patient=patient, what="Attendance letter (verification page)")
    assert rows.count() == 2 and Disclosure.objects.filter(patient=patient).count() == before + 2
    assert {(r.consent_id, r.recipient_name, r.scope) for r in rows} == {(court.pk, "Judge Ana Ruiz", "attendance")}
    history = login(patient).get(reverse("consent:history")).content.decode()
    assert "An attendance letter, checked online with its code" in history
    [notice] = OutboxMessage.objects.filter(recipient=patient, template_key="letter_issued")  # neutral, no names
    assert "Ruiz" not in str(notice.context) and notice.context["url"].endswith(reverse("scheduling:my_letters"))


def test_unknown_and_wrong_codes_get_the_same_neutral_answer(login, counselor, patient, court):
    _letter, code = _issue(login(counselor), patient, court)
    wrong = code[:-1] + ("2" if code[-1] != "2" else "3")
    for typed in (wrong, new_code()):
        response = _verify(typed)
        assert response.status_code == 200 and 'data-outcome="unknown"' in response.content.decode()
    assert _verify("").status_code == 400


def test_withdrawn_expired_or_revoked_letters_say_only_no_longer_valid(login, counselor, patient, court):
    client = login(counselor)
    _sessions(patient, counselor, 3)
    letter, code = _issue(client, patient, court)
    url = reverse("scheduling:letter_withdraw", kwargs={"patient_id": patient.pk, "letter_id": letter.pk})
    assert client.post(url, {"reason": " "}).status_code == 400
    assert client.post(url, {"reason": "Issued for the wrong period"}).status_code == 302
    letter.refresh_from_db()
    assert letter.withdrawal_reason == "Issued for the wrong period" and letter.withdrawn_by == counselor
    page = _verify(code).content.decode()
    assert 'data-outcome="not-valid"' in page and "Judge Ana Ruiz" not in page and "data-mark" not in page

    _other, second = _issue(client, patient, court)
    Consent.objects.filter(pk=court.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert 'data-outcome="not-valid"' in _verify(second).content.decode()

    revoked = court_consent(patient, recipient_name="Officer Dee Park")
    Consent.objects.filter(pk=revoked.pk).update(signed_at=timezone.now() - timedelta(days=40))
    _third, third = _issue(client, patient, revoked)
    personas.revoke(revoked)
    assert 'data-outcome="not-valid"' in _verify(third).content.decode()
    views = Disclosure.objects.filter(what="Attendance letter (verification page)")
    assert not views.exists()  # no facts shown, nothing disclosed
    mine = login(patient).get(reverse("scheduling:my_letters")).content.decode()
    assert mine.count("Judge Ana Ruiz") == 2 and "Officer Dee Park" in mine and "Withdrawn" in mine


def test_guessing_codes_is_rate_limited_per_client():
    client = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(PER_CLIENT):
        assert _verify(new_code(), client).status_code == 200
    limited = _verify(new_code(), client)
    assert limited.status_code == 429 and "Too many codes" in limited.content.decode()
    assert _verify(new_code(), Client(REMOTE_ADDR="198.51.100.7")).status_code == 200


def test_guessing_from_many_addresses_meets_the_site_wide_limit(monkeypatch):
    monkeypatch.setattr("scheduling.letter_ratelimit.SITE_WIDE", 3)
    statuses = [_verify(new_code(), Client(REMOTE_ADDR=f"192.0.2.{n}")).status_code for n in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_period_is_validated_and_only_court_consents_are_offered(login, counselor, patient, court):
    client = login(counselor)
    url = reverse("scheduling:letter_list", kwargs={"patient_id": patient.pk})
    today = _today(patient)
    cases = [
        (today - timedelta(days=5), today - timedelta(days=6)),  # end before start
        (today - timedelta(days=5), today + timedelta(days=1)),  # in the future
        (today - timedelta(days=90), today),  # before the consent was signed
    ]
    for start, end in cases:
        assert client.post(url, {"consent": str(court.pk), "start": str(start), "end": str(end)}).status_code == 400
    family = personas.make_user("fam@example.org", User.Role.FAMILY, None, full_name="Fay Family")
    family_consent = personas.consent_for(patient, family, scopes=[Scope.ATTENDANCE])
    assert "Fay Family" not in client.get(url).content.decode()
    with pytest.raises(Exception):  # noqa: B017  (the service refuses a family consent too)
        issue_letter(actor=counselor, patient=patient, consent=family_consent, start=today, end=today)
    assert not AttendanceLetter.objects.exists()


def test_pdf_opens_and_holds_the_code_even_for_accented_names(login, counselor, patient, court):
    User.objects.filter(pk=patient.pk).update(full_name="José Łukasz Núñez")
    Program.objects.filter(pk=patient.program_id).update(
        address="12 Main Street\nSpringfield, IL", phone="+15550103000"
    )
    counselor.credentials = "LCSW, CADC"
    counselor.save()
    patient.refresh_from_db()
    _sessions(patient, counselor, 2)
    client = login(counselor)
    letter, code = _issue(client, patient, court)
    url = reverse("scheduling:letter_download", kwargs={"patient_id": patient.pk, "letter_id": letter.pk})
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and code.encode() in response.content
    core = letter_pdf(letter_view(letter.facts), code, unicode_font=False)  # no DejaVu: transliterated, no 500
    assert core.startswith(b"%PDF") and code.encode() in core
    assert letter.facts["counselor"]["credentials"] == "LCSW, CADC"
    assert letter.facts["program"]["phone"] == "(555) 010-3000"
    page = client.get(reverse("scheduling:letter_detail", kwargs={"patient_id": patient.pk, "letter_id": letter.pk}))
    assert "Springfield, IL" in page.content.decode() and "Casey Morgan, LCSW, CADC" in page.content.decode()
    other = login(counselor, Client())  # another session never got the code: no PDF
    assert other.get(url).status_code == 302


def test_letter_and_verification_pages_make_constant_queries(login, counselor, patient, court):
    client = login(counselor)
    _sessions(patient, counselor, 2)
    small, small_code = _issue(client, patient, court)
    TreatmentSession.objects.filter(patient=patient).delete()
    _sessions(patient, counselor, 25)
    big, big_code = _issue(client, patient, court)

    def count(url: str | None = None, code: str | None = None) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url) if url else _verify(code or "")
        assert response.status_code == 200
        return len(queries)

    detail = "scheduling:letter_detail"
    urls = [reverse(detail, kwargs={"patient_id": patient.pk, "letter_id": x.pk}) for x in (small, big)]
    assert count(urls[0]) == count(urls[1])
    assert count(code=small_code) == count(code=big_code)
    assert len(big.facts["sessions"]) == 25


def test_staff_set_their_credentials_on_their_account_page_and_families_do_not_see_the_field(login, counselor, patient):
    url = reverse("accounts:profile")
    client = login(counselor)
    data = {"full_name": counselor.full_name, "credentials": "MA, LPC", "preferred_language": "en"}
    assert client.post(url, data).status_code == 302
    counselor.refresh_from_db()
    assert counselor.credentials == "MA, LPC"
    assert 'name="credentials"' not in login(patient).get(url).content.decode()


def test_a_personal_representative_sees_the_patients_letters_and_nobody_else_does(
    login, counselor, patient, court, family_member, outsider, program
):
    guardian = personas.guardian_of(patient, counselor)
    _issue(login(counselor), patient, court)
    url = reverse("scheduling:letters_for", kwargs={"patient_id": patient.pk})

    page = login(guardian).get(url)
    assert page.status_code == 200
    assert "Judge Ana Ruiz" in page.content.decode() and "Letters sent about" in page.content.decode()
    sharing = login(guardian).get(reverse("consent:my_sharing_for", args=[patient.pk])).content.decode()
    assert url in sharing  # issuing wrote a ledger row, so the sharing page lists disclosures and links the letters
    for person in (family_member, outsider, counselor):
        assert login(person).get(url).status_code == 404
    assert login(patient).get(url).status_code == 404  # the patient has their own page
