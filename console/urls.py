"""The program console (program admins only; everyone else gets 404), except ``caseload_insights``: a counselor's
insights about their own caseload, guarded for counselors. Ids in paths are staff accounts, caseload
assignments and consent form versions, each scoped to the admin's program where it belongs to one."""

from django.urls import path

from console.views import caseloads, consent_forms, home, insights, program, review, staff

app_name = "console"

urlpatterns = [
    path("", home.home, name="home"),
    path("staff/", staff.staff_list, name="staff"),
    path("staff/new/", staff.staff_new, name="staff_new"),
    path("staff/<int:staff_id>/", staff.staff_edit, name="staff_edit"),
    path("staff/<int:staff_id>/deactivate/", staff.staff_deactivate, name="staff_deactivate"),
    path("staff/<int:staff_id>/reactivate/", staff.staff_reactivate, name="staff_reactivate"),
    path("caseloads/", caseloads.caseloads, name="caseloads"),
    path("caseloads/<int:caseload_id>/end/", caseloads.caseload_end, name="caseload_end"),
    path("hours/", program.program_settings, name="program_settings"),
    path("consent-forms/", consent_forms.consent_forms, name="consent_forms"),
    path("consent-forms/new/", consent_forms.consent_form_new, name="consent_form_new"),
    path("consent-forms/<int:form_id>/", consent_forms.consent_form_detail, name="consent_form"),
    path("review/", review.review_queue, name="review_queue"),
    path("insights/", insights.program_insights, name="insights"),
    path("insights/export.csv", insights.program_insights_csv, name="insights_csv"),
    # The one console route for counselors (``counselor_required``): insights about their own caseload only.
    path("my-caseload/insights/", insights.caseload_insights, name="caseload_insights"),
    path("my-caseload/insights/export.csv", insights.caseload_insights_csv, name="caseload_insights_csv"),
]
