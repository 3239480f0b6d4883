"""Reminder delivery and text-message opt-outs, from the notifications outbox and the opt-out list."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from console.insights.registry import register
from console.insights.scope import ChartScope, InsightsScope
from console.insights.tables import CountTable, Rate
from console.insights.totals import totals, totals_of
from notifications.models import OutboxMessage, SmsOptOut, SmsPhone

State = OutboxMessage.State
NOT_DELIVERED = (State.UNDELIVERED, State.FAILED, State.DEAD)


CHANNELS = (OutboxMessage.Channel.SMS, OutboxMessage.Channel.EMAIL)
OUTCOMES = {
    "delivered": Q(state=State.DELIVERED),
    "sent": Q(state=State.SENT),
    "failed": Q(state__in=NOT_DELIVERED),
    "opted_out": Q(state=State.OPTED_OUT),
}


@totals_of("reminder-delivery")
def reminder_delivery_totals(scope: ChartScope) -> tuple[QuerySet[OutboxMessage], dict[str, Count]]:
    """Session reminders to family members due in the range, per channel and outcome (``<channel>_<outcome>``)."""
    reminders = OutboxMessage.objects.filter(
        template_key="session_reminder",
        recipient_id__in=scope.family_member_ids(),
        send_after__gte=scope.start_at,
        send_after__lt=scope.end_at,
    )
    return reminders, {
        f"{channel.value}_{outcome}": Count("pk", filter=Q(channel=channel) & state)
        for channel in CHANNELS
        for outcome, state in OUTCOMES.items()
    }


@register("reminder-delivery", position=40)
def reminder_delivery(scope: InsightsScope) -> CountTable:
    """Session reminders to family members due in the range, by channel and outcome (still queued, cancelled and
    withheld reminders are left out); the last column is their sum."""
    found = totals(scope, "reminder-delivery")
    rows: list[tuple[str, list[int]]] = []
    for channel, label in zip(CHANNELS, (_("Text message"), _("Email")), strict=True):
        counts = [found[f"{channel.value}_{outcome}"] for outcome in OUTCOMES]
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


@totals_of("text-opt-outs")
def text_opt_outs_totals(scope: ChartScope) -> tuple[QuerySet[SmsPhone], dict[str, Count]]:
    """Family members with a confirmed phone number, and how many of them texted STOP (or were opted out by the
    carrier) in the range."""
    phones = SmsPhone.objects.filter(user_id__in=scope.family_member_ids(), verified_at__isnull=False)
    stopped = SmsOptOut.objects.filter(opted_out_at__gte=scope.start_at, opted_out_at__lt=scope.end_at)
    return phones, {
        "confirmed": Count("user_id", distinct=True),
        "stopped": Count("user_id", distinct=True, filter=Q(e164__in=stopped.values("e164"))),
    }


@register("text-opt-outs", position=50)
def text_opt_outs(scope: InsightsScope) -> CountTable:
    """The confirmed phones and the opt-outs among them (``text_opt_outs_totals``)."""
    counts = totals(scope, "text-opt-outs")
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
