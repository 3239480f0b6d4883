from django.urls import path

from accounts import checkin_views, views

app_name = "accounts"

urlpatterns = [
    path("", views.profile, name="profile"),
    path("check-in/", checkin_views.checkin, name="checkin"),
    path("check-in/<int:checkin_id>/", checkin_views.checkin_result, name="checkin_result"),
    path("check-in/<int:checkin_id>/sharing/", checkin_views.checkin_sharing_view, name="checkin_sharing"),
    path("check-ins/shared-with-me/", checkin_views.shared_checkins, name="shared_checkins"),
]
