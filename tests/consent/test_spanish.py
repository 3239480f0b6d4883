"""Consent pages and forms in Spanish (issue 18): the pages, the consent form text a signer reads and signs, the
§ 2.32 notice and the disclosure history; a signed consent records the language of the form text shown, and the
form falls back to the English original, with a note, when a version has no Spanish text yet."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from consent.gate import require_disclosure
from consent.models import AuditEvent, Consent, ConsentFormTranslation, ConsentFormVersion, Scope
from consent.services import record_paper_consent, review_paper_consent, start_break_glass
from tests.support import personas

pytestmark = pytest.mark.django_db

SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es"}
SPANISH_FORM_TITLE = "CONSENTIMIENTO PARA DIVULGAR INFORMACIÓN CONFIDENCIAL"
ENGLISH_FORM_TITLE = "CONSENT FOR THE RELEASE OF CONFIDENTIAL"


def _reads_spanish(*users: User) -> None:
    """The people prefer Spanish (and the requests below also ask for it), however the language is chosen."""
    for user in users:
        user.preferred_language = "es"
        user.save(update_fields=["preferred_language"])


def _details() -> dict[str, object]:
    return {
        "recipient_name": "Sam Rivera",
        "recipient_email": "sam@example.org",
        "recipient_relationship": "Hermano",
        "scopes": ["schedule"],
        "purpose": Consent.Purpose.FAMILY_INVOLVEMENT,
        "expires_on": (timezone.localdate() + timedelta(days=90)).isoformat(),
        "end_at_discharge": "on",
    }


def _sign(**overrides: object) -> dict[str, object]:
    data = {
        **_details(),
        "step": "sign",
        "form_version": ConsentFormVersion.current().version,
        "signature": "Pat Rivera",
        "agree": "on",
    }
    data.update(overrides)
    return data


def _new_english_only_version() -> ConsentFormVersion:
    return ConsentFormVersion.objects.create(
        version="2027-1",
        text="CONSENT FOR THE RELEASE OF CONFIDENTIAL INFORMATION, second edition.",
        effective_from=timezone.now() - timedelta(seconds=1),
    )


# --- The form text in each language -------------------------------------------------------------------------


def test_the_first_form_version_exists_in_spanish_with_every_element():
    text = ConsentFormVersion.objects.get(version="2026-1").text_in("es")
    assert (text.language, text.is_fallback) == ("es", False)
    for element in ("Mi derecho a revocar", "Propósito", "Mi tratamiento no depende de que firme", "42 CFR parte 2"):
        assert element in text.text


def test_a_version_without_spanish_text_falls_back_to_english(django_assert_num_queries):
    version = _new_english_only_version()
    with django_assert_num_queries(1):
        shown = version.text_in("es-mx")
    assert (shown.language, shown.requested, shown.is_fallback) == ("en", "es", True)
    assert shown.text == version.text
    with django_assert_num_queries(0):
        assert version.text_in("en").language == "en"


# --- Signing ---------------------------------------------------------------------------------------------------


def test_the_sign_page_shows_the_spanish_form_and_signing_records_spanish(reauth_login, patient):
    _reads_spanish(patient)
    client = reauth_login(patient)
    page = client.post(reverse("consent:grant"), {**_details(), "step": "details"}, **SPANISH)
    body = page.content.decode()
    assert page.status_code == 200
    assert '<html lang="es"' in body
    assert SPANISH_FORM_TITLE in body and ENGLISH_FORM_TITLE not in body
    assert "Leer y firmar" in body and "Firmar y empezar a compartir" in body
    assert 'name="form_language" value="es"' in body
    assert "data-form-fallback" not in body

    response = client.post(reverse("consent:grant"), _sign(form_language="es"), **SPANISH)

    assert response.status_code == 302
    consent = Consent.objects.get(recipient_email="sam@example.org")
    assert consent.form_language == "es"
    assert consent.form_text().text.startswith(SPANISH_FORM_TITLE)
    granted = AuditEvent.objects.get(kind=AuditEvent.Kind.CONSENT_GRANTED, patient=patient)
    assert granted.data["form_language"] == "es"


def test_a_spanish_signer_reads_the_english_form_with_a_note_when_no_spanish_version_exists(reauth_login, patient):
    _new_english_only_version()
    _reads_spanish(patient)
    client = reauth_login(patient)
    page = client.post(reverse("consent:grant"), {**_details(), "step": "details"}, **SPANISH)
    body = page.content.decode()
    assert "data-form-fallback" in body
    assert "todavía no está disponible en su idioma" in body
    assert "second edition" in body and SPANISH_FORM_TITLE not in body
    assert 'name="form_language" value="en"' in body

    client.post(reverse("consent:grant"), _sign(form_language="en"), **SPANISH)

    assert Consent.objects.get(recipient_email="sam@example.org").form_language == "en"


def test_a_language_the_current_version_does_not_exist_in_cannot_be_recorded(reauth_login, patient):
    _new_english_only_version()
    response = reauth_login(patient).post(reverse("consent:grant"), _sign(form_language="es"))
    assert response.status_code == 200
    assert "form_language" in response.context["form"].errors
    assert not Consent.objects.filter(recipient_email="sam@example.org").exists()


def test_english_signers_still_sign_the_english_form(reauth_login, patient):
    page = reauth_login(patient).post(reverse("consent:grant"), {**_details(), "step": "details"})
    body = page.content.decode()
    assert ENGLISH_FORM_TITLE in body and SPANISH_FORM_TITLE not in body
    assert "Read and sign" in body


def test_the_printed_copy_is_in_the_language_signed_whoever_prints_it(login, patient, family_member):
    consent = personas.consent_for(patient, family_member, scopes=["schedule"], form_language="es")
    body = login(family_member).get(reverse("consent:consent_print", args=[consent.pk])).content.decode()
    assert '<html lang="en"' in body and '<article class="print-copy" lang="es">' in body  # the page, the copy
    assert SPANISH_FORM_TITLE in body and ENGLISH_FORM_TITLE not in body
    assert "Consentimiento para compartir información" in body
    assert "Este registro está protegido por las normas federales de confidencialidad" in body
    english = personas.consent_for(patient, family_member, scopes=["education"])
    body = login(family_member).get(reverse("consent:consent_print", args=[english.pk]), **SPANISH).content.decode()
    assert ENGLISH_FORM_TITLE in body and "Consent to share information" in body


def test_the_family_copy_shows_the_form_as_signed_and_offers_it_in_the_readers_language(login, patient, family_member):
    consent = personas.consent_for(patient, family_member, scopes=["schedule"], form_language="en")
    _reads_spanish(family_member)
    url = reverse("consent:what_you_can_see_detail", args=[consent.pk])
    body = login(family_member).get(url, **SPANISH).content.decode()
    assert ENGLISH_FORM_TITLE in body and SPANISH_FORM_TITLE in body
    assert "Leer el mismo formulario en su idioma" in body
    assert "El consentimiento que le nombra" in body


# --- Pages in Spanish -------------------------------------------------------------------------------------------


def test_my_sharing_is_in_spanish(login, patient, consent):
    _reads_spanish(patient)
    body = login(patient).get(reverse("consent:my_sharing"), **SPANISH).content.decode()
    for spanish in ("Lo que comparto", "Compartir con alguien nuevo", "Dejar de compartir", "Activo", "Conectado"):
        assert spanish in body
    for english in ("Share with someone new", "Stop sharing", "Who can see your information now"):
        assert english not in body


def test_the_part2_notice_and_the_family_pages_are_in_spanish(login, patient, family_member, consent):
    _reads_spanish(family_member)
    body = login(family_member).get(reverse("consent:what_you_can_see"), **SPANISH).content.decode()
    assert "Este registro está protegido por las normas federales de confidencialidad (42 CFR parte 2)" in body
    assert "La 42 CFR parte 2 prohíbe el uso o la divulgación no autorizados de estos registros." in body
    assert "Lo que puede ver y por qué" in body
    assert "Fechas y horas de las sesiones familiares" in body
    assert "This record is protected" not in body and "What you can see and why" not in body


def test_the_disclosure_history_is_in_spanish(login, patient, family_member, consent):
    require_disclosure(family_member, patient, Scope.SCHEDULE, what="Family session dates and times")
    _reads_spanish(patient)
    body = login(patient).get(reverse("consent:history"), **SPANISH).content.decode()
    assert "Quién vio qué, y cuándo" in body
    assert "Fechas y horas de las sesiones" in body  # the stored description, in plain Spanish
    assert "Página web" in body
    assert "Who saw what" not in body and "Web page" not in body


def test_staff_consent_pages_are_in_spanish(login, counselor, patient, consent):
    _reads_spanish(counselor)
    client = login(counselor)
    listing = client.get(reverse("consent:patient_list"), **SPANISH).content.decode()
    assert "Pacientes y consentimientos familiares" in listing and "Activo" in listing
    detail = client.get(reverse("consent:patient_detail", args=[patient.pk]), **SPANISH).content.decode()
    assert "Registrar un consentimiento en papel" in detail and "Record a paper consent" not in detail


def test_stopping_sharing_in_spanish_is_confirmed_with_parar(reauth_login, patient, consent):
    _reads_spanish(patient)
    client = reauth_login(patient)
    page = client.get(reverse("consent:revoke", args=[consent.pk]), **SPANISH).content.decode()
    assert "Escriba PARAR para confirmar" in page
    response = client.post(reverse("consent:revoke", args=[consent.pk]), {"confirm": "parar"}, **SPANISH)
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.revoked_at is not None


def test_validation_errors_come_back_in_spanish(reauth_login, patient):
    _reads_spanish(patient)
    data = {**_details(), "scopes": [], "step": "details"}
    response = reauth_login(patient).post(reverse("consent:grant"), data, **SPANISH)
    assert "Elija al menos un tipo de información para compartir." in response.content.decode()


def test_the_break_glass_email_reaches_each_admin_in_their_language(
    program, counselor, other_patient, django_capture_on_commit_callbacks
):
    spanish = personas.make_staff("admin-es@example.org", program, role=User.Role.PROGRAM_ADMIN)
    _reads_spanish(spanish)
    personas.make_staff("admin-en@example.org", program, role=User.Role.PROGRAM_ADMIN)
    with django_capture_on_commit_callbacks(execute=True), translation.override("en"):
        start_break_glass(counselor=counselor, patient=other_patient, reason="Crisis call at night, on duty")
    by_recipient = {tuple(message.to): message for message in mail.outbox}
    assert by_recipient[("admin-es@example.org",)].subject == "Se usó el acceso de emergencia en Family Portal"
    assert "usó el acceso de emergencia" in by_recipient[("admin-es@example.org",)].body
    assert by_recipient[("admin-en@example.org",)].subject == "Emergency access used in the Family Portal"


def test_translations_of_a_version_are_one_per_language():
    version = ConsentFormVersion.objects.get(version="2026-1")
    assert ConsentFormTranslation.objects.filter(form_version=version, language="es").count() == 1


def test_dates_and_the_form_language_read_the_spanish_way(login, patient, consent):
    _reads_spanish(patient)
    client = login(patient)
    sharing = client.get(reverse("consent:my_sharing"), **SPANISH).content.decode()
    assert re.search(
        r"hasta el \d{1,2} de [a-z]+ de \d{4}<", sharing
    )  # "hasta el 5 de junio de 2027", not "Jun 5, 2027"
    detail = client.get(reverse("consent:consent_detail", args=[consent.pk]), **SPANISH).content.decode()
    assert re.search(r"<dd>\d{1,2} de [a-z]+ de \d{4}", detail)  # "5 de junio de 2027"
    assert "Idioma del formulario</dt><dd>inglés</dd>" in detail
    User.objects.filter(pk=patient.pk).update(preferred_language="en")  # the account's language wins once signed in
    english = client.get(reverse("consent:consent_detail", args=[consent.pk])).content.decode()
    assert "Form language</dt><dd>English</dd>" in english


def test_a_paper_consent_records_its_forms_language_and_its_review_reads_in_spanish(
    login, counselor, program_admin, patient
):
    paper = record_paper_consent(
        staff=counselor,
        patient=patient,
        recipient_name="Sam Rivera",
        recipient_email="sam@example.org",
        scopes=["schedule"],
        expires_at=timezone.now() + timedelta(days=30),
        signature="Pat Rivera",
        signed_at=timezone.now(),
        paper_form_reference="Cabinet 2",
        attested=True,
        form_language="es",
    )
    review_paper_consent(reviewer=program_admin, consent=paper, approve=True)
    assert paper.form_language == "es"
    _reads_spanish(counselor)
    body = login(counselor).get(reverse("consent:consent_detail", args=[paper.pk]), **SPANISH).content.decode()
    assert "Consentimiento en papel revisado" in body and "· aprobado" in body
    assert "Idioma del formulario</dt><dd>español</dd>" in body


def test_changing_a_consent_in_spanish_records_the_spanish_form(reauth_login, patient, consent):
    _reads_spanish(patient)
    client = reauth_login(patient)
    change = {
        "scopes": ["schedule"],
        "purpose": Consent.Purpose.FAMILY_INVOLVEMENT,
        "expires_on": (timezone.localdate() + timedelta(days=60)).isoformat(),
    }
    url = reverse("consent:change", args=[consent.pk])
    page = client.post(url, {**change, "step": "details"}, **SPANISH).content.decode()
    assert SPANISH_FORM_TITLE in page and "Firmar y reemplazar el consentimiento actual" in page
    signed = {**change, "step": "sign", "form_version": "2026-1", "form_language": "es", "signature": "Pat Rivera"}
    response = client.post(url, {**signed, "agree": "on"}, **SPANISH)
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.replaced_by is not None and consent.replaced_by.form_language == "es"
