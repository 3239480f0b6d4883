"""Progress summary pages, mounted at /summaries/. Summary ids are opaque UUIDs."""

from django.urls import path

from messaging.summaries import staff_views, views

app_name = "summaries"

urlpatterns = [
    path("", views.index, name="index"),
    path("reading-level/", staff_views.reading_level, name="reading_level"),
    path("patient/<int:patient_id>/", staff_views.patient_summaries, name="patient"),
    path("patient/<int:patient_id>/new/", staff_views.new_summary, name="new"),
    path("<uuid:summary_id>/", views.summary_detail, name="detail"),
    path("<uuid:summary_id>/edit/", staff_views.edit_summary, name="edit"),
    path("<uuid:summary_id>/review/", views.review_summary, name="review"),
]
