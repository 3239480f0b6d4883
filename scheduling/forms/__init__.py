"""Forms for scheduling pages. Times typed into forms are read in the viewer's time zone (the view activates it).

One module per topic: ``fields`` (shared widgets and fields), ``sessions``, ``series``, ``requests``,
``availability`` and ``reports``. The public names are re-exported here.
"""

from scheduling.forms.availability import AvailabilityForm, TimeOffForm
from scheduling.forms.fields import (
    DATETIME_FORMAT,
    DURATION_CHOICES,
    DateInput,
    DateTimeLocalInput,
    MemberChoiceField,
    PatientChoiceField,
    PatientsChoiceField,
    TimeInput,
    local_datetime_field,
    schedule_members,
)
from scheduling.forms.reports import ConsentChoiceField, ReleaseForm, ReportForm
from scheduling.forms.requests import ConfirmForm, DeclineForm, RequestForm
from scheduling.forms.series import RepeatForm, SeriesCancelForm
from scheduling.forms.sessions import (
    AttendanceForm,
    CancelForm,
    CapacityForm,
    ChoosePatientForm,
    InviteForm,
    RescheduleForm,
    RsvpForm,
    SessionForm,
    WeekForm,
)

__all__ = [
    "DATETIME_FORMAT",
    "DURATION_CHOICES",
    "AttendanceForm",
    "AvailabilityForm",
    "CancelForm",
    "CapacityForm",
    "ChoosePatientForm",
    "ConfirmForm",
    "ConsentChoiceField",
    "DateInput",
    "DateTimeLocalInput",
    "DeclineForm",
    "InviteForm",
    "MemberChoiceField",
    "PatientChoiceField",
    "PatientsChoiceField",
    "ReleaseForm",
    "ReportForm",
    "RequestForm",
    "RepeatForm",
    "RescheduleForm",
    "RsvpForm",
    "SeriesCancelForm",
    "SessionForm",
    "TimeInput",
    "TimeOffForm",
    "WeekForm",
    "local_datetime_field",
    "schedule_members",
]
