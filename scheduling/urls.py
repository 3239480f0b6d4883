from django.urls import path

from scheduling.views import feeds, letters, reports, requests, series, sessions, staff, treatment, video, waitlist

app_name = "scheduling"

urlpatterns = [
    path("", sessions.session_list, name="session_list"),
    path("week/", staff.counselor_week, name="week"),
    path("new/", staff.session_create, name="session_create"),
    path("availability/", staff.availability, name="availability"),
    path("attendance-report/", reports.attendance_report, name="attendance_report"),
    path("treatment/", treatment.treatment_patients, name="treatment_patients"),
    path("treatment/<int:patient_id>/", treatment.treatment_records, name="treatment_records"),
    path("treatment/<int:patient_id>/new/", treatment.treatment_add, name="treatment_add"),
    path("treatment/<int:patient_id>/<uuid:record_id>/", treatment.treatment_edit, name="treatment_edit"),
    path("treatment/<int:patient_id>/import/", treatment.treatment_import, name="treatment_import"),
    path(
        "treatment/<int:patient_id>/import/confirm/",
        treatment.treatment_import_confirm,
        name="treatment_import_confirm",
    ),
    path("letters/mine/", letters.my_letters, name="my_letters"),
    path("letters/<int:patient_id>/", letters.letter_list, name="letter_list"),
    path("letters/<int:patient_id>/<uuid:letter_id>/", letters.letter_detail, name="letter_detail"),
    path("letters/<int:patient_id>/<uuid:letter_id>/letter.pdf", letters.letter_download, name="letter_download"),
    path("letters/<int:patient_id>/<uuid:letter_id>/withdraw/", letters.letter_withdraw, name="letter_withdraw"),
    path("notices/read/", sessions.notices_read, name="notices_read"),
    path("calendar/", feeds.feed_settings, name="feed_settings"),
    path("feed/<str:token>.ics", feeds.calendar_feed, name="calendar_feed"),
    path("requests/new/", requests.request_create, name="request_create"),
    path("requests/<uuid:pk>/", requests.request_detail, name="request_detail"),
    path("requests/<uuid:pk>/withdraw/", requests.request_withdraw, name="request_withdraw"),
    path("requests/<uuid:pk>/confirm/", staff.request_confirm, name="request_confirm"),
    path("requests/<uuid:pk>/decline/", staff.request_decline, name="request_decline"),
    path("<uuid:pk>/", sessions.session_detail, name="session_detail"),
    path("<uuid:pk>/rsvp/", sessions.rsvp, name="rsvp"),
    path("<uuid:pk>/join/", video.video_join, name="video_join"),
    path("<uuid:pk>/appointment.ics", sessions.session_ics, name="session_ics"),
    path("<uuid:pk>/reschedule/", staff.session_reschedule, name="session_reschedule"),
    path("<uuid:pk>/cancel/", staff.session_cancel, name="session_cancel"),
    path("<uuid:pk>/series/change/", series.series_change, name="series_change"),
    path("<uuid:pk>/series/cancel/", series.series_cancel, name="series_cancel"),
    path("<uuid:pk>/attendance/", staff.session_attendance, name="session_attendance"),
    path("<uuid:pk>/invite/", staff.session_invite, name="session_invite"),
    path("<uuid:pk>/remove-participant/", staff.participant_remove, name="participant_remove"),
    path("<uuid:pk>/places/", waitlist.session_capacity, name="session_capacity"),
    path("<uuid:pk>/waiting-list/leave/", waitlist.waitlist_leave, name="waitlist_leave"),
]
