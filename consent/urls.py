"""Consent URLs. Object ids are UUIDs (consents, representatives); patient pages for staff and representatives
take the patient's id and answer 404 outside the viewer's scope (AZ-03)."""

from django.urls import path

from consent.views import family, invitations, patient, staff

app_name = "consent"

urlpatterns = [
    # Patients (and personal representatives acting for them)
    path("my-sharing/", patient.my_sharing, name="my_sharing"),
    path("my-sharing/new/", patient.grant, name="grant"),
    path("my-sharing/new/court/", patient.grant_court, name="grant_court"),
    path("my-sharing/history/", patient.history, name="history"),
    path("for/<int:patient_id>/", patient.my_sharing, name="my_sharing_for"),
    path("for/<int:patient_id>/new/", patient.grant, name="grant_for"),
    path("for/<int:patient_id>/new/court/", patient.grant_court, name="grant_court_for"),
    path("for/<int:patient_id>/history/", patient.history, name="history_for"),
    path("c/<uuid:consent_id>/", patient.consent_detail, name="consent_detail"),
    path("c/<uuid:consent_id>/print/", patient.consent_print, name="consent_print"),
    path("c/<uuid:consent_id>/stop/", patient.revoke, name="revoke"),
    path("c/<uuid:consent_id>/change/", patient.change, name="change"),
    path("c/<uuid:consent_id>/invite/", invitations.invite, name="invite"),
    # Family members
    path("shared-with-me/", family.what_you_can_see, name="what_you_can_see"),
    path("shared-with-me/<uuid:consent_id>/", family.what_you_can_see_detail, name="what_you_can_see_detail"),
    path("invitation/<str:token>/", invitations.accept_invitation, name="accept_invitation"),
    # Care staff
    path("patients/", staff.patient_list, name="patient_list"),
    path("patients/<int:patient_id>/", staff.patient_detail, name="patient_detail"),
    path("patients/<int:patient_id>/paper/", staff.record_paper_consent, name="record_paper_consent"),
    path("patients/<int:patient_id>/representative/", staff.record_representative, name="record_representative"),
    path("patients/<int:patient_id>/disclosures.csv", staff.ledger_export, name="ledger_export"),
    path("c/<uuid:consent_id>/review/", staff.review, name="review"),
    path("c/<uuid:consent_id>/record-revocation/", staff.record_revocation, name="record_revocation"),
    path("c/<uuid:consent_id>/end/", staff.end_by_event, name="end_by_event"),
    path("c/<uuid:consent_id>/revocable/", staff.revocable_event, name="revocable_event"),
    path("representatives/<uuid:representative_id>/end/", staff.end_representative, name="end_representative"),
    path("reviews/", staff.pending_reviews, name="pending_reviews"),
    path("emergency-access/", staff.break_glass, name="break_glass"),
]
