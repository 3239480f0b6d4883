"""Family sessions, their participants, counselor availability, families' requests and calendar feeds.

Times are stored in UTC and shown in each viewer's time zone. Weekly availability is stored as wall-clock
times plus a time zone, so a 6 PM slot stays at 6 PM on both sides of a daylight-saving change.

One module per topic: ``sessions`` (sessions and participants), ``availability`` (weekly hours and time off),
``series`` (repeating sessions), ``requests``, ``notices``, ``feeds`` and ``treatment`` (the program's own
sessions for a patient) and ``letters`` (attendance letters for a court or probation). Every model is
imported here, so the app label and ``scheduling.models.X`` imports are unchanged.
"""

from scheduling.models.availability import Availability, AvailabilityException
from scheduling.models.feeds import CalendarFeed
from scheduling.models.letters import AttendanceLetter
from scheduling.models.notices import SessionNotice, SessionNoticeQuerySet
from scheduling.models.requests import SessionRequest, SessionRequestQuerySet
from scheduling.models.series import SessionSeries
from scheduling.models.sessions import FamilySession, FamilySessionQuerySet, Participant, ParticipantQuerySet
from scheduling.models.treatment import TreatmentImport, TreatmentSession

__all__ = [
    "AttendanceLetter",
    "Availability",
    "AvailabilityException",
    "CalendarFeed",
    "FamilySession",
    "FamilySessionQuerySet",
    "Participant",
    "ParticipantQuerySet",
    "SessionNotice",
    "SessionNoticeQuerySet",
    "SessionRequest",
    "SessionRequestQuerySet",
    "SessionSeries",
    "TreatmentImport",
    "TreatmentSession",
]
