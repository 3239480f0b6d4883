"""Plain-language counts of what booking a multi-family group did: the confirmation and the staff page say
exactly how many people were invited and told, and how many could not be, without naming anyone."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def group_invites_summary(counts: Mapping[str, int]) -> str:
    """ "Invited 5 people from 3 families. An email or text is on its way to 4 of them. 1 family member could not
    be invited because their sharing does not cover sessions." Empty for a session booked without group invites."""
    if not counts:
        return ""
    invited, families = counts.get("invited", 0), counts.get("families", 0)
    notified, not_covered = counts.get("notified", 0), counts.get("not_covered", 0)
    people = ngettext("%(count)d person", "%(count)d people", invited) % {"count": invited}
    homes = ngettext("%(count)d family", "%(count)d families", families) % {"count": families}
    parts = [_("Invited %(people)s from %(families)s.") % {"people": people, "families": homes}]
    if invited:
        parts.append(
            _("An email or text is on its way to %(notified)d of them; everyone invited sees it in the portal.")
            % {"notified": notified}
        )
    if not_covered:
        parts.append(
            ngettext(
                "%(count)d family member could not be invited because their sharing does not cover sessions.",
                "%(count)d family members could not be invited because their sharing does not cover sessions.",
                not_covered,
            )
            % {"count": not_covered}
        )
    return " ".join(parts)
