"""The program's own treatment sessions for a patient: hand entry, totals for a period, and the CSV import (checked
by row and column, previewed without writing, confirmed all-or-nothing and only once), for the care team only."""

from __future__ import annotations

import re
from datetime import date, time

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from consent.models import AuditEvent
from scheduling.models import TreatmentImport, TreatmentSession
from scheduling.services.treatment_csv import MAX_ROWS
from scheduling.services.treatment_records import (
    confirm_import,
    preview_payload,
    records_in_period,
    save_treatment_session,
    totals_for,
)
from tests.scheduling.test_concurrency import race

pytestmark = pytest.mark.django_db

HEADER = "date,start,minutes,kind,attendance,note\n"
GOOD_CSV = HEADER + (
    "2026-03-02,18:00,180,iop_group,attended,\n2026-03-04,18:00,180,iop_group,missed,\n"
    "2026-03-05,10:30,50,individual,excused,called in sick\n"
)


def records_url(patient, name="treatment_records"):
    return reverse(f"scheduling:{name}", kwargs={"patient_id": patient.pk})


def upload(client, patient, text: str | bytes, name="sessions.csv"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return client.post(records_url(patient, "treatment_import"), {"file": SimpleUploadedFile(name, data, "text/csv")})


def errors_of(response) -> list[tuple[str, str]]:
    """(row, column) of every problem listed on the import page."""
    rows = re.findall(r'data-label="Row">([^<]*)</td><td data-label="Column">([^<]*)</td>', response.content.decode())
    return [(row, column) for row, column in rows]


def payload_of(response) -> str:
    match = re.search(r'name="payload" value="([^"]+)"', response.content.decode())
    assert match, "the preview carries the signed copy to confirm"
    return match.group(1)


def record(patient, counselor, day, start=time(18), kind="iop_group", attendance="attended", minutes=180):
    return save_treatment_session(
        actor=counselor,
        record=TreatmentSession(
            patient=patient, date=day, start_time=start, kind=kind, attendance=attendance, minutes=minutes
        ),
    )


# --- hand entry -----------------------------------------------------------------------------------------------------


def test_counselor_adds_a_session_by_hand(login, counselor, patient):
    client = login(counselor)
    response = client.post(
        records_url(patient, "treatment_add"),
        {"kind": "individual", "date": "2026-03-05", "start_time": "10:30", "minutes": "50", "attendance": "attended"},
    )
    assert response.status_code == 302
    saved = TreatmentSession.objects.get(patient=patient)
    assert (saved.date, saved.start_time, saved.minutes, saved.source) == (date(2026, 3, 5), time(10, 30), 50, "hand")
    assert saved.recorded_by == counselor
    page = client.get(records_url(patient) + "?start=2026-03-01&end=2026-03-31").content.decode()
    assert "Individual session" in page and "0.83" in page


def test_hand_entry_shows_clear_errors(login, counselor, patient):
    client = login(counselor)
    response = client.post(
        records_url(patient, "treatment_add"),
        {"kind": "surgery", "date": "14/03/2026", "start_time": "", "minutes": "-5", "attendance": ""},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"kind", "date", "start_time", "minutes", "attendance"}
    assert 'aria-invalid="true"' in response.content.decode()
    assert not TreatmentSession.objects.exists()


def test_hand_entry_refuses_a_second_record_at_the_same_time(login, counselor, patient):
    record(patient, counselor, date(2026, 3, 2))
    response = login(counselor).post(
        records_url(patient, "treatment_add"),
        {"kind": "iop_group", "date": "2026-03-02", "start_time": "18:00", "minutes": "60", "attendance": "missed"},
    )
    assert response.status_code == 200
    assert "already recorded" in response.content.decode()
    assert TreatmentSession.objects.count() == 1


def test_counselor_edits_a_record(login, counselor, patient):
    saved = record(patient, counselor, date(2026, 3, 2))
    url = reverse("scheduling:treatment_edit", kwargs={"patient_id": patient.pk, "record_id": saved.pk})
    changed = {"kind": "iop_group", "date": "2026-03-02", "start_time": "18:00", "minutes": "120"}
    response = login(counselor).post(url, {**changed, "attendance": "excused"})
    assert response.status_code == 302
    saved.refresh_from_db()
    assert (saved.minutes, saved.attendance) == (120, "excused")


# --- totals ---------------------------------------------------------------------------------------------------------


def test_totals_for_a_period(counselor, patient):
    record(patient, counselor, date(2026, 2, 27))  # before the period
    record(patient, counselor, date(2026, 3, 2), minutes=180)
    record(patient, counselor, date(2026, 3, 2), start=time(10), kind="individual", minutes=45)
    record(patient, counselor, date(2026, 3, 4), attendance="missed")
    record(patient, counselor, date(2026, 3, 6), attendance="excused")
    record(patient, counselor, date(2026, 4, 1))  # after the period
    totals = totals_for(records_in_period(patient, date(2026, 3, 1), date(2026, 3, 31)))
    assert (totals.scheduled, totals.attended, totals.missed, totals.excused) == (4, 2, 1, 1)
    assert totals.minutes_attended == 225 and totals.hours_attended == 3.75


def test_list_page_runs_the_same_number_of_queries_as_rows_grow(login, counselor, patient):
    client = login(counselor)
    url = records_url(patient) + "?start=2026-03-01&end=2026-03-31"
    record(patient, counselor, date(2026, 3, 2))
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for day in range(3, 20):
        record(patient, counselor, date(2026, 3, day))
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.context["totals"].scheduled == 18
    assert len(many) == len(few)


# --- the import: checking -------------------------------------------------------------------------------------------


def test_every_error_is_listed_by_row_and_column(login, counselor, patient):
    text = HEADER + (
        "2026-03-02,18:00,180,iop_group,attended,\n"
        "14/03/2026,18:00,180,iop_group,attended,\n"
        "2026-03-04,18:00,180,surgery,attended,\n"
        "2026-03-05,18:00,-30,iop_group,attended,\n"
        "2026-03-06,25:00,60,individual,maybe,\n"
    )
    response = upload(login(counselor), patient, text)
    assert response.status_code == 200
    assert errors_of(response) == [
        ("3", "date"),
        ("4", "kind"),
        ("5", "minutes"),
        ("6", "start"),
        ("6", "attendance"),
    ]
    assert "Nothing was imported" in response.content.decode()
    assert not TreatmentSession.objects.exists() and not TreatmentImport.objects.exists()


def test_a_missing_column_is_named(login, counselor, patient):
    response = upload(login(counselor), patient, "date,start,kind,attendance\n2026-03-02,18:00,iop_group,attended\n")
    assert errors_of(response) == [("1", "minutes")]


def test_too_many_rows_are_refused(login, counselor, patient):
    rows = "".join(f"2026-03-02,{h % 24:02d}:{h // 24:02d},60,other,attended,\n" for h in range(MAX_ROWS + 1))
    response = upload(login(counselor), patient, HEADER + rows)
    assert f"more than {MAX_ROWS} rows" in response.content.decode()
    assert not TreatmentSession.objects.exists()


def test_a_file_that_is_not_utf8_is_refused(login, counselor, patient):
    text = HEADER + "2026-03-02,18:00,60,other,attended,Mañana\n"
    response = upload(login(counselor), patient, text.encode("cp1252"))
    assert response.status_code == 200
    assert "not UTF-8" in response.content.decode()


def test_utf8_with_a_byte_order_mark_is_read(login, counselor, patient):
    response = upload(login(counselor), patient, b"\xef\xbb\xbf" + GOOD_CSV.encode("utf-8"))
    assert response.context["totals"].scheduled == 3


def test_rows_already_recorded_and_repeated_rows_are_refused(login, counselor, patient):
    record(patient, counselor, date(2026, 3, 4))
    text = GOOD_CSV + "2026-03-05,10:30,50,individual,attended,\n"
    response = upload(login(counselor), patient, text)
    assert errors_of(response) == [("3", "date"), ("5", "date")]
    assert TreatmentSession.objects.count() == 1


@pytest.mark.parametrize(
    "content",
    [b"\x89PNG\r\n\x1a\n\x00\x00", b"", b"date,start,minutes,kind,attendance\n" + b"x" * 200_000, b"a\x00b\n"],
)
def test_files_that_are_not_csv_answer_with_an_error_not_a_crash(login, counselor, patient, content):
    response = upload(login(counselor), patient, content)
    assert response.status_code == 200
    assert response.context["errors"] or response.context["form"].errors  # an empty file: the field's own error
    assert not TreatmentSession.objects.exists()


def test_quoted_notes_and_any_column_order_are_read(login, counselor, patient):
    text = 'attendance,kind,minutes,start,date,note\nattended,other,45,9:15,2026-03-02,"Late bus, stayed after"\n'
    response = upload(login(counselor), patient, text)
    rows = response.context["rows"]
    assert [(r.date, r.start_time, r.minutes, r.note) for r in rows] == [
        (date(2026, 3, 2), time(9, 15), 45, "Late bus, stayed after")
    ]


# --- the import: preview and confirmation ---------------------------------------------------------------------------


def test_preview_shows_rows_and_totals_and_writes_nothing(login, counselor, patient):
    client = login(counselor)
    audits = AuditEvent.objects.count()
    response = upload(client, patient, GOOD_CSV)
    totals = response.context["totals"]
    assert (totals.scheduled, totals.attended, totals.missed, totals.excused, totals.hours_attended) == (3, 1, 1, 1, 3)
    assert "called in sick" in response.content.decode()
    assert not TreatmentSession.objects.exists() and not TreatmentImport.objects.exists()
    assert AuditEvent.objects.count() == audits


def test_confirm_writes_every_row_and_audits_counts_only(login, counselor, patient):
    client = login(counselor)
    payload = payload_of(upload(client, patient, GOOD_CSV))
    response = client.post(records_url(patient, "treatment_import_confirm"), {"payload": payload})
    assert response.status_code == 302
    batch = TreatmentImport.objects.get()
    assert batch.row_count == 3 and batch.imported_by == counselor
    assert set(TreatmentSession.objects.values_list("source", "treatment_import")) == {("import", batch.pk)}
    audit = AuditEvent.objects.filter(data__event="treatment_sessions_imported").get()
    assert audit.data == {
        "event": "treatment_sessions_imported",
        "import": str(batch.pk),
        "rows": 3,
        "attended": 1,
        "missed": 1,
        "excused": 1,
    }


def test_confirm_writes_nothing_when_the_last_row_has_become_invalid(login, counselor, patient):
    client = login(counselor)
    payload = payload_of(upload(client, patient, GOOD_CSV))
    record(patient, counselor, date(2026, 3, 5), start=time(10, 30), kind="individual")  # the last row, meanwhile
    response = client.post(records_url(patient, "treatment_import_confirm"), {"payload": payload})
    assert response.status_code == 200
    assert errors_of(response) == [("4", "date")]
    assert TreatmentSession.objects.filter(source="import").count() == 0
    assert not TreatmentImport.objects.exists()


def test_a_double_confirm_writes_once(login, counselor, patient):
    client = login(counselor)
    payload = payload_of(upload(client, patient, GOOD_CSV))
    url = records_url(patient, "treatment_import_confirm")
    client.post(url, {"payload": payload})
    again = client.post(url, {"payload": payload}, follow=True)
    assert "already imported" in again.content.decode()
    assert TreatmentSession.objects.count() == 3 and TreatmentImport.objects.count() == 1


def test_a_tampered_payload_writes_nothing(login, counselor, patient):
    client = login(counselor)
    payload = payload_of(upload(client, patient, GOOD_CSV))
    response = client.post(records_url(patient, "treatment_import_confirm"), {"payload": payload[:-2] + "xx"})
    assert response.status_code == 302
    assert not TreatmentSession.objects.exists()


# --- who may ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["unassigned_counselor", "patient", "family_member", "outsider"])
def test_only_the_care_team_reaches_the_pages(request, login, counselor, patient, who):
    saved = record(patient, counselor, date(2026, 3, 2))
    client = login(request.getfixturevalue(who))
    edit = reverse("scheduling:treatment_edit", kwargs={"patient_id": patient.pk, "record_id": saved.pk})
    pages = [records_url(patient), records_url(patient, "treatment_add"), records_url(patient, "treatment_import")]
    for url in [*pages, edit]:
        assert client.get(url).status_code == 404, url
    assert client.post(records_url(patient, "treatment_import_confirm"), {"payload": "x"}).status_code == 404


def test_a_record_of_another_patient_is_not_found(login, counselor, patient, other_patient, program_admin):
    saved = record(other_patient, program_admin, date(2026, 3, 2))
    url = reverse("scheduling:treatment_edit", kwargs={"patient_id": patient.pk, "record_id": saved.pk})
    assert login(counselor).get(url).status_code == 404


# --- Spanish --------------------------------------------------------------------------------------------------------


def test_the_pages_are_in_spanish(login, counselor, patient):
    counselor.preferred_language = "es"
    counselor.save(update_fields=["preferred_language"])
    client = login(counselor)
    record(patient, counselor, date(2026, 3, 2))
    page = client.get(records_url(patient) + "?start=2026-03-01&end=2026-03-31", HTTP_ACCEPT_LANGUAGE="es")
    text = page.content.decode()
    assert "Horas asistidas" in text and "Grupo IOP" in text and "Hours attended" not in text
    errors = upload(client, patient, "date,start\n").content.decode()
    assert "Falta la columna" in errors and "is missing" not in errors


# --- racing confirmations (PostgreSQL) ------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgres_only")
def test_two_racing_confirms_of_one_preview_write_once(counselor, patient):
    payload = preview_payload(patient=patient, text=GOOD_CSV)
    confirm = lambda: confirm_import(actor=counselor, patient=patient, payload=payload)  # noqa: E731
    assert race(confirm, confirm) == ["ok", "ok"]
    assert TreatmentImport.objects.count() == 1 and TreatmentSession.objects.count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgres_only")
def test_two_racing_imports_of_one_session_write_one_file_whole(counselor, patient):
    other = HEADER + "2026-03-01,09:00,60,other,attended,\n2026-03-05,10:30,50,individual,attended,\n"
    first, second = (preview_payload(patient=patient, text=text) for text in (GOOD_CSV, other))

    def confirm(payload: str) -> None:
        """Either way of losing counts as refused: the row seen when checking, or the unique index when writing."""
        if confirm_import(actor=counselor, patient=patient, payload=payload).batch is None:
            raise ValidationError("refused when checking again")

    outcomes = race(lambda: confirm(first), lambda: confirm(second))
    assert sorted(outcomes) == ["ok", "refused"]
    batch = TreatmentImport.objects.get()
    assert TreatmentSession.objects.count() == batch.row_count  # the losing file left no row behind
