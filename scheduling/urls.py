from django.urls import path

from scheduling import feed_views, report_views, request_views, staff_views, views

app_name = "scheduling"

urlpatterns = [
    path("", views.session_list, name="session_list"),
    path("week/", staff_views.counselor_week, name="week"),
    path("new/", staff_views.session_create, name="session_create"),
    path("availability/", staff_views.availability, name="availability"),
    path("attendance-report/", report_views.attendance_report, name="attendance_report"),
    path("notices/read/", views.notices_read, name="notices_read"),
    path("calendar/", feed_views.feed_settings, name="feed_settings"),
    path("feed/<str:token>.ics", feed_views.calendar_feed, name="calendar_feed"),
    path("requests/new/", request_views.request_create, name="request_create"),
    path("requests/<uuid:pk>/", request_views.request_detail, name="request_detail"),
    path("requests/<uuid:pk>/withdraw/", request_views.request_withdraw, name="request_withdraw"),
    path("requests/<uuid:pk>/confirm/", staff_views.request_confirm, name="request_confirm"),
    path("requests/<uuid:pk>/decline/", staff_views.request_decline, name="request_decline"),
    path("<uuid:pk>/", views.session_detail, name="session_detail"),
    path("<uuid:pk>/rsvp/", views.rsvp, name="rsvp"),
    path("<uuid:pk>/appointment.ics", views.session_ics, name="session_ics"),
    path("<uuid:pk>/reschedule/", staff_views.session_reschedule, name="session_reschedule"),
    path("<uuid:pk>/cancel/", staff_views.session_cancel, name="session_cancel"),
    path("<uuid:pk>/attendance/", staff_views.session_attendance, name="session_attendance"),
    path("<uuid:pk>/invite/", staff_views.session_invite, name="session_invite"),
    path("<uuid:pk>/remove-participant/", staff_views.participant_remove, name="participant_remove"),
]
