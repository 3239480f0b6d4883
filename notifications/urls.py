from django.urls import path

from notifications import push_views, views, webhooks

app_name = "notifications"

urlpatterns = [
    path("phone/", views.phone, name="phone"),
    path("phone/number/", views.phone_number, name="phone_number"),
    path("phone/confirm/", views.phone_confirm, name="phone_confirm"),
    path("phone/resend/", views.phone_resend, name="phone_resend"),
    path("phone/texts-on/", views.phone_opt_in, name="phone_opt_in"),
    path("phone/texts-off/", views.phone_opt_out, name="phone_opt_out"),
    path("phone/remove/", views.phone_remove, name="phone_remove"),
    path("push/subscribe/", push_views.subscribe, name="push_subscribe"),
    path("push/unsubscribe/", push_views.unsubscribe, name="push_unsubscribe"),
    path("push/preferences/", push_views.preferences, name="push_preferences"),
    path("go/<str:token>", views.go, name="go"),
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/<uuid:row_id>/requeue/", views.outbox_requeue, name="outbox_requeue"),
    path("twilio/inbound", webhooks.inbound, name="twilio_inbound"),
    path("twilio/status", webhooks.status_callback, name="twilio_status"),
]
