"""Messaging pages, mounted at /messages/. Conversation ids are opaque UUIDs; message ids only under them."""

from django.urls import path

from messaging import views

app_name = "messaging"

urlpatterns = [
    path("", views.conversation_list, name="conversation_list"),
    path("care-team/", views.care_team, name="care_team"),
    path("start/", views.start_conversation, name="start_conversation"),
    path("read-receipts/", views.read_receipts, name="read_receipts"),
    path("<uuid:conversation_id>/", views.conversation_detail, name="conversation"),
    path("<uuid:conversation_id>/messages/<int:message_id>/edit/", views.edit_message, name="edit_message"),
    path("<uuid:conversation_id>/messages/<int:message_id>/delete/", views.delete_message, name="delete_message"),
    path("<uuid:conversation_id>/messages/<int:message_id>/history/", views.message_history, name="message_history"),
]
