"""Charts about families: how many were invited, joined and are active, and how far they get in each module.

"Active in the last 30 days" means, in the 30 days before the range's last day (or before now, if earlier), the
family member signed in (an audit-log sign-in), worked on a module, sent a message, or answered a session
invitation. Page views alone are not recorded, so they do not count.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from consent.models import AuditEvent, Consent, Invitation
from console.insights.compiled import chart_query
from console.insights.registry import register
from console.insights.scope import ChartScope, InsightsScope
from console.insights.tables import CountTable, Rate
from console.insights.totals import totals, totals_of
from education.models import Module, ModuleProgress, ModuleVersion
from messaging.models import Message
from scheduling.models import Participant


def active_member(scope: ChartScope, field: str) -> Q:
    """``field`` (a user id) belongs to someone who did something recorded in the active window."""
    since, until = scope.active_since, scope.active_until
    signed_in = AuditEvent.objects.filter(kind=AuditEvent.Kind.LOGIN, at__gte=since, at__lt=until)
    learned = ModuleProgress.objects.filter(updated_at__gte=since, updated_at__lt=until)
    wrote = Message.objects.filter(created_at__gte=since, created_at__lt=until)
    answered = Participant.objects.filter(rsvp_at__gte=since, rsvp_at__lt=until)
    return (
        Q(**{f"{field}__in": signed_in.values("actor_id")})
        | Q(**{f"{field}__in": learned.values("learner_id")})
        | Q(**{f"{field}__in": wrote.values("sender_id")})
        | Q(**{f"{field}__in": answered.values("user_id")})
    )


@totals_of("family-funnel")
def family_funnel_totals(scope: ChartScope) -> tuple[QuerySet[Invitation], dict[str, Count]]:
    """Family members invited in the range (distinct email addresses), those of them who joined (accepted an
    invitation by the range's end), and those who joined and were active in the last 30 days."""
    invitations = Invitation.objects.filter(
        consent__patient_id__in=scope.patient_ids,
        consent__recipient_kind=Consent.RecipientKind.FAMILY,
        created_at__gte=scope.start_at,
        created_at__lt=scope.end_at,
    )
    joined = Q(accepted_at__isnull=False, accepted_at__lt=scope.end_at)
    return invitations, {
        "invited": Count(Lower("email"), distinct=True),
        "joined": Count("accepted_by", distinct=True, filter=joined),
        "active": Count("accepted_by", distinct=True, filter=joined & active_member(scope, "accepted_by")),
    }


@register("family-funnel", position=10)
def family_funnel(scope: InsightsScope) -> CountTable:
    """The funnel's three steps (``family_funnel_totals``), from invitation to active."""
    counts = totals(scope, "family-funnel")
    return CountTable(
        key="family-funnel",
        title=_("From invitation to active family"),
        kind="horizontal",
        row_heading=_("Step"),
        columns=[_("Family members")],
        rows=[
            (_("Invited"), [counts["invited"]]),
            (_("Joined"), [counts["joined"]]),
            (_("Active in the last 30 days"), [counts["active"]]),
        ],
        explanation=_(
            "Family members invited in these dates, how many of them joined, and how many of those signed in, "
            "worked on a module, sent a message or answered a session invitation in the last 30 days."
        ),
    )


@chart_query
def modules_started(scope: ChartScope) -> QuerySet[Any]:
    """Per published module someone started in the range: its title, the family members (with an education
    consent) who started it, and how many of those completed it by the range's end."""
    published = Module.objects.for_program(scope.program_id).filter(
        archived_at__isnull=True, current_version__status=ModuleVersion.Status.PUBLISHED
    )
    completed = Q(completed_at__isnull=False, completed_at__lt=scope.end_at)
    return (  # the range's progress rows counted per module: one subquery of learners, not one per count
        ModuleProgress.objects.filter(
            learner_id__in=scope.family_member_ids(education_only=True),
            started_at__gte=scope.start_at,
            started_at__lt=scope.end_at,
            module__in=published,
        )
        .values("module")
        .annotate(started=Count("pk"), completed=Count("pk", filter=completed))
        .order_by("module__path_position", "module__current_version__title")
        .values_list("module__current_version__title", "started", "completed")
    )


@register("module-completion", position=20)
def module_completion(scope: InsightsScope) -> CountTable:
    """Per published module someone started: family members (with an education consent) who started it in the
    range, and how many of those completed it by the range's end (``modules_started``)."""
    per_module = modules_started.rows(scope)
    return CountTable(
        key="module-completion",
        title=_("Module completion"),
        kind="horizontal",
        row_heading=_("Module"),
        columns=[_("Started"), _("Finished")],
        rows=[(title, [started_count, completed_count]) for title, started_count, completed_count in per_module],
        rates=[Rate(_("Completion rate"), numerator=1, denominator=0)],
        explanation=_(
            "Family members who started each module in these dates, and how many of them finished it. Only family "
            "members whose consent includes education are counted; modules nobody started are left out."
        ),
        empty_text=_("No family member started a module in these dates."),
    )
