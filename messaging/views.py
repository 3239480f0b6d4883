"""Conversation pages. They work without JavaScript (plain posts, redirect after post) and chat.js makes them live.

Every view scopes its query with ``Conversation.objects.visible_to`` (the consent gate), so other people's
conversations answer 404 (AZ-03); family members' pages carry the § 2.32 notice and write a ledger row (AZ-05).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages as toasts
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from consent.gate import require_disclosure
from consent.ledger import record_disclosures
from consent.models import Scope
from family_portal.requests import PortalRequest
from family_portal.staff_guard import counselor_required
from messaging import services
from messaging.access import participant_ids, readable_messages, withheld_from
from messaging.forms import EditMessageForm, MessageForm, StartConversationForm
from messaging.hours import CRISIS_TEXT, after_hours_notice
from messaging.inbox_queries import listed_conversations
from messaging.inbox_rows import sections
from messaging.message_rows import message_rows
from messaging.models import Conversation, Message
from messaging.opened import opened_conversation
from messaging.readers import composer_readers
from messaging.templatetags.messaging_tags import remember_unread_total


def _visible(request: PortalRequest, conversation_id: Any) -> Conversation:
    """The conversation if the viewer may open it (``visible_to``, else 404), with its patient, program, member and
    seats in one query (``messaging.opened``)."""
    return opened_conversation(request.user, conversation_id)


def _disclose(request: PortalRequest, conversation: Conversation, what: str) -> None:
    if request.user.is_family:
        require_disclosure(request.user, conversation.patient, Scope.MESSAGING, what=what, request=request)


def _int_param(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 19 else None


def conversation_list(request: PortalRequest) -> HttpResponse:
    """Every conversation the viewer may open, newest activity first, with unread counts, in three lists: private
    conversations with the care team (a family member's default), shared family threads, one-to-ones (MSG-01)."""
    user = request.user
    conversations = _listed(user)
    if user.is_patient:  # a patient's own thread is listed only where their program lets patients join
        services.ensure_care_team_conversations(user)
    else:
        shared = {c.patient_id for c in conversations if c.is_shared}
        private = {c.patient_id for c in conversations if c.is_private and c.member_id == user.pk}
        created = services.ensure_care_team_conversations(user, existing=shared)
        created = services.ensure_private_conversations(user, existing=private) or created
        if created:
            conversations = _listed(user)
    if user.is_family:  # one ledger row per patient, written in one insert (the list is gate-scoped above)
        record_disclosures(
            user, {c.patient_id for c in conversations}, Scope.MESSAGING, what="List of secure conversations"
        )
    remember_unread_total(request, sum(c.unread for c in conversations))  # the badge counts the same rows
    options = services.direct_partner_options(user) if (user.is_counselor or user.is_family) else []
    context = {
        "sections": sections(user, conversations),
        "start_form": StartConversationForm(options=options) if options else None,
        "show_part2": user.is_family and bool(conversations),
    }
    return render(request, "messaging/conversation_list.html", context)


def _listed(user: User) -> list[Any]:
    return listed_conversations(user)


def care_team(request: PortalRequest) -> HttpResponse:
    """Where "Message the care team" leads: a family member's private conversation with the care team, their
    default (MSG-01), created on first use; the list of conversations when there are several (one per patient) or
    none, and for everyone else."""
    user = request.user
    if user.is_family:
        services.ensure_private_conversations(user)
        private = Conversation.objects.visible_to(user).filter(kind=Conversation.Kind.FAMILY_PRIVATE)
        found = list(private.values_list("pk", flat=True)[:2])
        if len(found) == 1:
            return redirect("messaging:conversation", conversation_id=found[0])
    return redirect("messaging:conversation_list")


@require_POST
def start_conversation(request: PortalRequest) -> HttpResponse:
    user = request.user
    form = StartConversationForm(request.POST, options=services.direct_partner_options(user))
    if not form.is_valid():
        toasts.error(request, _("Please choose a person from the list."))
        return redirect("messaging:conversation_list")
    patient, other = form.cleaned_data["person"]
    try:
        conversation = services.start_direct_conversation(starter=user, patient=patient, other=other)
    except PermissionDenied as exc:
        raise Http404 from exc
    return redirect(conversation)


def conversation_detail(request: PortalRequest, conversation_id: Any) -> HttpResponse:
    """The thread: read it, write to it (plain post + redirect), and mark it read. The composer names everyone who
    reads what is written here at this moment (``participant_ids``, the answer that decides deliveries), and a
    family member reads a shared thread only from the start of their own sharing (MSG-01)."""
    user = request.user
    conversation = _visible(request, conversation_id)
    _disclose(request, conversation, "Secure messages")
    program = conversation.patient.program
    readers = participant_ids(conversation)
    is_open = services.is_open_for_both(conversation, user, readers)
    form = MessageForm(request.POST or None)
    if request.method == "POST" and not is_open:
        form.add_error(None, services.closed_text(conversation))
    elif request.method == "POST" and form.is_valid():
        try:
            message = services.send_message(sender=user, conversation=conversation, body=form.cleaned_data["body"])
        except ValidationError as exc:
            form.add_error("body", exc)
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            notice = None if user.is_care_staff else after_hours_notice(program, message.created_at)
            toasts.success(request, notice.sent_text if notice else _("Your message was saved and sent."))
            return redirect(f"{conversation.get_absolute_url()}#m{message.pk}")
    before = _int_param(request.GET.get("before"))
    page, has_earlier = services.thread_messages(conversation, user, before=before)
    seats = list(conversation.participants.all())
    own_seat = next((seat for seat in seats if seat.user_id == user.pk), None)
    newest = min(page[-1].pk, conversation.last_message_id) if page else 0  # mark_read clamps the same way
    if before is None and newest and (own_seat is None or own_seat.last_read_message_id < newest):
        services.mark_read(user=user, conversation=conversation, up_to=newest, recipients=readers)
    rows = message_rows(page, user, conversation, is_open=is_open, can_see_history=user.is_counselor)
    seen = []
    for seat in seats:
        if seat.user_id == user.pk or not seat.user.read_receipts_enabled or not seat.last_read_message_id:
            continue
        seen.append({"user": seat.user_id, "name": seat.user.display_name, "up_to": seat.last_read_message_id})
        # A receipt belongs under the newest of the viewer's own messages the other person has read.
        read_rows = [row for row in rows if row.mine and row.message.pk <= seat.last_read_message_id]
        if read_rows:
            read_rows[-1].seen_by.append(seat.user.display_name)
    form.fields["body"].widget.attrs["aria-describedby"] = "composer-readers body-help"
    notice = None if user.is_care_staff else after_hours_notice(program)
    context = {
        "conversation": conversation,
        "title": conversation.title_for(user),
        "rows": rows,
        "has_earlier": has_earlier,
        "earliest_id": page[0].pk if page else None,
        "paged": before is not None,
        "form": form,
        "is_open": is_open,
        "closed_text": services.closed_text(conversation),
        "readers": composer_readers(conversation, user, readers),
        "after_hours": notice.banner if notice else "",
        "crisis_text": CRISIS_TEXT,
        "show_part2": user.is_family,
        "ws_path": f"/ws/conversations/{conversation.pk}/",
        "last_id": page[-1].pk if page else 0,
        "seen": seen,
    }
    return render(request, "messaging/conversation.html", context)


def _own_message(request: PortalRequest, conversation_id: Any, message_id: int) -> tuple[Conversation, Message]:
    conversation = _visible(request, conversation_id)
    readable = readable_messages(request.user, conversation).select_related("sender")
    message = get_object_or_404(readable, pk=message_id, sender=request.user, deleted_at__isnull=True)
    return conversation, message


def edit_message(request: PortalRequest, conversation_id: Any, message_id: int) -> HttpResponse:
    user = request.user
    conversation, message = _own_message(request, conversation_id, message_id)
    _disclose(request, conversation, "Secure message (editing)")
    form = EditMessageForm(request.POST or None, initial={"body": message.body})
    if request.method == "POST" and form.is_valid():
        try:
            services.edit_message(editor=user, message=message, body=form.cleaned_data["body"])
        except ValidationError as exc:
            form.add_error("body", exc)
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            toasts.success(request, _("Your message was updated."))
            return redirect(f"{conversation.get_absolute_url()}#m{message.pk}")
    # The edited text reaches whoever reads this message now: the composer names them (MSG-01).
    readers = participant_ids(conversation)
    readers -= withheld_from(conversation, message.created_at, readers)
    form.fields["body"].widget.attrs["aria-describedby"] = "composer-readers body-help"
    context = {
        "conversation": conversation,
        "message": message,
        "form": form,
        "readers": composer_readers(conversation, user, readers),
        "show_part2": user.is_family,
    }
    return render(request, "messaging/message_edit.html", context)


def delete_message(request: PortalRequest, conversation_id: Any, message_id: int) -> HttpResponse:
    user = request.user
    conversation, message = _own_message(request, conversation_id, message_id)
    _disclose(request, conversation, "Secure message (deleting)")
    if request.method == "POST":
        try:
            services.delete_message(actor=user, message=message)
        except (ValidationError, PermissionDenied) as exc:
            raise Http404 from exc
        toasts.success(request, _("Your message was deleted."))
        return redirect(conversation)
    context = {"conversation": conversation, "message": message, "show_part2": user.is_family}
    return render(request, "messaging/message_delete.html", context)


@counselor_required
def message_history(request: PortalRequest, conversation_id: Any, message_id: int) -> HttpResponse:
    """Earlier versions of an edited or deleted message: counselors only (families see "Edited"/"Deleted")."""
    conversation = _visible(request, conversation_id)
    message = get_object_or_404(conversation.messages.select_related("sender"), pk=message_id)
    revisions = list(message.revisions.select_related("changed_by"))
    context = {"conversation": conversation, "message": message, "revisions": revisions}
    return render(request, "messaging/message_history.html", context)


@counselor_required
@require_POST
def read_receipts(request: PortalRequest) -> HttpResponse:
    """A counselor turns their own read receipts on or off."""
    user = request.user
    enabled = request.POST.get("enabled") == "on"
    services.set_read_receipts(user=user, enabled=enabled)
    toasts.success(
        request,
        _("Read receipts are on.") if enabled else _("Read receipts are off. Others will not see what you have read."),
    )
    return redirect("messaging:conversation_list")
