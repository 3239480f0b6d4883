"""The family schedule's rows, their links, times and labels worked out once here (issue #17): the page's template
then only prints them, instead of an include, a ``reverse`` and localized date filters for each session.

Times are the page's (``timezone.localtime``: the viewer's zone, ``scheduling.access.in_viewer_time_zone``) in the
formats the template filters used (``family_portal/formats``), so the page reads the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils import formats, timezone

from scheduling.models import FamilySession, Participant


@dataclass(frozen=True)
class ListedSession:
    """One session of the family list as the page shows it."""

    session: FamilySession
    url: str
    heading: str
    status: str
    modality: str
    patient_name: str  # "For …" on a family member's list; empty for open events and on a patient's own list
    counselors: list[str]  # display names
    my_rsvp: str  # empty when the viewer was not invited
    attendance: str  # the viewer's attendance as people read it; empty when not recorded
    starts_iso: str
    starts_label: str
    ends_iso: str
    ends_label: str


def listed_sessions(sessions: list[FamilySession], viewer: Any, *, past: bool) -> list[ListedSession]:
    """``sessions`` (from ``family_schedule``: with ``counselor_names``, ``my_rsvp`` and ``my_attendance``) as
    rows: upcoming ones with the full start and the end's time and zone, past ones with the short start."""
    url = reverse("scheduling:session_detail", args=[_SAMPLE])  # one reverse, each session's id put in
    starts_format = "DATETIME_FORMAT" if past else "FULL_DATETIME_FORMAT"
    for_patient = getattr(viewer, "is_family", False)
    rows = []
    for session in sessions:
        starts, ends = timezone.localtime(session.starts_at), timezone.localtime(session.ends_at)
        attendance = getattr(session, "my_attendance", None) or ""
        rows.append(
            ListedSession(
                session=session,
                url=url.replace(str(_SAMPLE), str(session.pk), 1),
                heading=session.heading,
                status=session.status,
                modality=str(session.get_modality_display()),
                patient_name=session.patient.display_name if for_patient and session.patient is not None else "",
                counselors=getattr(session, "counselor_names", []),
                my_rsvp=getattr(session, "my_rsvp", None) or "",
                attendance=_attendance_label(attendance) if attendance else "",
                starts_iso=starts.isoformat(),
                starts_label=formats.date_format(starts, starts_format),
                ends_iso="" if past else ends.isoformat(),
                ends_label="" if past else formats.date_format(ends, "TIME_ZONE_FORMAT"),
            )
        )
    return rows


_SAMPLE = "00000000-0000-4000-8000-000000000000"


def _attendance_label(value: str) -> str:
    """As the ``attendance_label`` filter: the mark as people read it, the raw value for an unknown one."""
    try:
        return str(Participant.Attendance(value).label)
    except ValueError:
        return value
