"""Scheduling views, one module per audience: pages every role shares (``sessions``), staff pages (``staff``),
family session requests (``requests``), the waiting list (``waitlist``), calendar feeds (``feeds``) and the
attendance report (``reports``)."""

from scheduling.views.sessions import (
    PAST_PER_PAGE,
    UPCOMING_LIMIT,
    family_sessions,
    notices_read,
    rsvp,
    session_detail,
    session_ics,
    session_list,
    staff_sessions,
    with_counts,
    with_my_answers,
)

__all__ = [
    "PAST_PER_PAGE",
    "UPCOMING_LIMIT",
    "family_sessions",
    "notices_read",
    "rsvp",
    "session_detail",
    "session_ics",
    "session_list",
    "staff_sessions",
    "with_counts",
    "with_my_answers",
]
