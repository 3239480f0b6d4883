"""Reminder delivery and text-message opt-outs, from the notifications outbox and the opt-out list."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from console.insights.registry import register
from console.insights.scope import InsightsScope
from console.insights.tables import CountTable, Rate
from notifications.models import OutboxMessage, SmsOptOut, SmsPhone

State = OutboxMessage.State
NOT_DELIVERED = (State.UNDELIVERED, State.FAILED, State.DEAD)


@register("reminder-delivery", position=40)
def reminder_delivery(scope: InsightsScope) -> CountTable:
    """Session reminders to family members due in the range, by channel and outcome (still queued, cancelled and
    withheld reminders are left out); the last column is their sum."""
    reminders = OutboxMessage.objects.filter(
        template_key="session_reminder",
        recipient_id__in=scope.family_member_ids(),
        send_after__gte=scope.start_at,
        send_after__lt=scope.end_at,
    )
    by_channel = {
        row["channel"]: row
        for row in reminders.values("channel").annotate(
            delivered=Count("pk", filter=Q(state=State.DELIVERED)),
            sent=Count("pk", filter=Q(state=State.SENT)),
            failed=Count("pk", filter=Q(state__in=NOT_DELIVERED)),
            opted_out=Count("pk", filter=Q(state=State.OPTED_OUT)),
        )
    }
    rows: list[tuple[str, list[int]]] = []
    for channel, label in ((OutboxMessage.Channel.SMS, _("Text message")), (OutboxMessage.Channel.EMAIL, _("Email"))):
        found: dict[str, Any] = dict(by_channel.get(channel.value, {}))
        counts = [int(found.get(name, 0)) for name in ("delivered", "sent", "failed", "opted_out")]
        rows.append((label, [*counts, sum(counts)]))
    return CountTable(
        key="reminder-delivery",
        title=_("Session reminder delivery"),
        kind="stacked",
        row_heading=_("Channel"),
        columns=[_("Delivered"), _("Sent, no delivery report"), _("Not delivered"), _("Not sent: opted out"), _("All")],
        rows=rows,
        total_column=4,
        rates=[Rate(_("Delivery rate"), numerator=0, denominator=4)],
        explanation=_(
            "Session reminders to family members that were due in these dates, by what became of them. Reminders "
            "still waiting, cancelled or no longer allowed are left out."
        ),
    )


@register("text-opt-outs", position=50)
def text_opt_outs(scope: InsightsScope) -> CountTable:
    """Family members with a confirmed phone number, and how many of them texted STOP (or were opted out by the
    carrier) in the range."""
    phones = SmsPhone.objects.filter(user_id__in=scope.family_member_ids(), verified_at__isnull=False)
    stopped = SmsOptOut.objects.filter(opted_out_at__gte=scope.start_at, opted_out_at__lt=scope.end_at)
    counts = phones.aggregate(
        confirmed=Count("user_id", distinct=True),
        stopped=Count("user_id", distinct=True, filter=Q(e164__in=stopped.values("e164"))),
    )
    return CountTable(
        key="text-opt-outs",
        title=_("Text message opt-outs"),
        kind="bar",
        row_heading=_("Family members"),
        columns=[_("Confirmed phone"), _("Stopped texts in these dates")],
        rows=[(_("Family members"), [counts["confirmed"], counts["stopped"]])],
        rates=[Rate(_("Opt-out rate"), numerator=1, denominator=0)],
        explanation=_(
            "Family members with a confirmed phone number, and how many of them stopped text messages in these "
            "dates (by replying STOP or through their carrier)."
        ),
    )
