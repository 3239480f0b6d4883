"""Scheduling workflows, one module per topic: ``booking`` (book, move, cancel, invite), ``attendance`` (RSVP and
attendance), ``series`` (repeating sessions), ``places`` (places taken, the waiting list's order, promotion),
``waitlist`` (changing places, leaving the list), ``requests`` (family requests), ``notices`` (telling
participants), ``feeds`` (calendar feeds) and ``reports`` (attendance report release). The public names are
re-exported here.

Every workflow is atomic. Bookings lock the counselors' rows (``SELECT ... FOR UPDATE`` on PostgreSQL) before
checking for overlaps, so two bookings of one counselor's time cannot both succeed. Reminders are planned and
cancelled in the same transaction as the change that causes them (JOB-01).
"""

from scheduling.services.attendance import record_attendance, respond_rsvp
from scheduling.services.booking import (
    GroupInvites,
    cancel_session,
    ensure_free,
    invite_family_members,
    lock_counselors,
    remove_participant,
    reschedule_session,
    schedule_group_session,
    schedule_session,
)
from scheduling.services.feeds import feed_owner, issue_calendar_feed, revoke_calendar_feed
from scheduling.services.notices import mark_notices_read
from scheduling.services.places import fill_free_places, places_taken, waiting_position
from scheduling.services.reports import release_attendance_report
from scheduling.services.requests import (
    MAX_PROPOSED_TIMES,
    assigned_counselor_ids,
    confirm_request,
    decline_request,
    request_session,
    withdraw_request,
)
from scheduling.services.series import cancel_following, change_following, invite_to_following, schedule_series
from scheduling.services.waitlist import change_capacity, leave_waitlist

__all__ = [
    "MAX_PROPOSED_TIMES",
    "GroupInvites",
    "assigned_counselor_ids",
    "cancel_following",
    "cancel_session",
    "change_capacity",
    "change_following",
    "confirm_request",
    "decline_request",
    "ensure_free",
    "feed_owner",
    "fill_free_places",
    "invite_family_members",
    "invite_to_following",
    "issue_calendar_feed",
    "leave_waitlist",
    "lock_counselors",
    "mark_notices_read",
    "places_taken",
    "record_attendance",
    "release_attendance_report",
    "remove_participant",
    "request_session",
    "reschedule_session",
    "respond_rsvp",
    "revoke_calendar_feed",
    "schedule_group_session",
    "schedule_series",
    "schedule_session",
    "waiting_position",
    "withdraw_request",
]
