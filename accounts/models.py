"""People, roles, the program and counselor caseloads."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.validators import validate_display_name


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("“%(value)s” is not a known time zone."), code="unknown_time_zone", params={"value": value}
        )


def default_reminder_offsets() -> list[int]:
    return [24 * 60, 2 * 60]


# The days of the week as ``datetime.weekday()`` numbers them, which office days and counselors' hours store.
WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


def default_office_days() -> list[int]:
    return [0, 1, 2, 3, 4]  # Monday..Friday (datetime.weekday())


class Program(models.Model):
    """The treatment program running the portal: its name, time zone, office hours and policies."""

    name = models.CharField(max_length=200, help_text="Shown to staff only; never in texts to families.")
    legal_name = models.CharField(max_length=200, help_text="The discloser named on consent forms (§ 2.31(a)(2)).")
    public_name = models.CharField(
        max_length=200,
        blank=True,
        db_default="",  # rows written by code that predates the column (historical models in migrations) stay valid
        help_text="How families know the program, named in invitations. Blank: the legal name. Choose a name that "
        "does not say what is treated if the people you invite would rather it did not.",
    )
    verification_phone = models.CharField(
        max_length=32,
        blank=True,
        db_default="",
        help_text="A number families can call to check an invitation is real. Blank: the help phone.",
    )
    address = models.TextField(
        max_length=400,
        blank=True,
        db_default="",
        help_text="The program's postal address, printed on the letterhead of attendance letters.",
    )
    phone = models.CharField(
        max_length=32,
        blank=True,
        db_default="",
        help_text="The program's main phone number for letters. Blank: the help phone.",
    )
    time_zone = models.CharField(max_length=64, default="America/New_York", validators=[validate_time_zone])
    office_opens = models.TimeField(default=time(9, 0))
    office_closes = models.TimeField(default=time(17, 0))
    office_days = models.JSONField(default=default_office_days, help_text="Weekdays 0=Monday … 6=Sunday.")
    help_phone = models.CharField(max_length=32, blank=True, help_text="Neutral phone number given in HELP replies.")
    reminder_offsets_minutes = models.JSONField(
        default=default_reminder_offsets, help_text="Minutes before a family session to send reminders."
    )
    offline_notice_minutes = models.PositiveIntegerField(default=15)
    summary_review_hours = models.PositiveSmallIntegerField(
        default=48,
        db_default=48,  # rows written by code that predates the column (historical models in migrations) stay valid
        help_text="Hours a patient has to review a progress summary before it is shared with their family anyway.",
    )
    push_fallback_minutes = models.PositiveIntegerField(
        default=10,
        db_default=10,  # rows written by code that predates the column (historical models in migrations) stay valid
        help_text="When a person has push notifications on, how long a new message may stay unread after the push "
        "before the text or email about it is sent.",
    )
    patients_join_care_team = models.BooleanField(default=False)
    age_of_majority = models.PositiveSmallIntegerField(default=18)
    minor_self_consent_age = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Age at which a minor may consent alone to SUD treatment in this state.",
    )

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def name_for_families(self) -> str:
        """The name an invited family member sees: the public name, else the legal name."""
        return self.public_name or self.legal_name

    @property
    def letter_phone(self) -> str:
        """The phone printed on the letterhead: the program's main phone, else the help phone."""
        return self.phone or self.help_phone

    @property
    def phone_to_verify(self) -> str:
        """Where a family member checks an invitation is genuine: the verification phone, else the help phone."""
        return self.verification_phone or self.help_phone

    def is_open_at(self, moment: Any = None) -> bool:
        """Whether staff are normally answering at ``moment`` (program-local office hours)."""
        local = (moment or timezone.now()).astimezone(self.tz)
        return local.weekday() in self.office_days and self.office_opens <= local.time() < self.office_closes


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("role", User.Role.PROGRAM_ADMIN)
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """One account per person (HIPAA 164.312(a)(2)(i)); the email address is the login."""

    class Role(models.TextChoices):
        PATIENT = "patient", _("Patient")
        FAMILY = "family", _("Family member")
        COUNSELOR = "counselor", _("Counselor")
        PROGRAM_ADMIN = "program_admin", _("Program admin")

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150, blank=True, validators=[validate_display_name])
    preferred_name = models.CharField(max_length=80, blank=True, validators=[validate_display_name])
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.FAMILY)
    program = models.ForeignKey(Program, null=True, blank=True, on_delete=models.PROTECT, related_name="users")
    time_zone = models.CharField(max_length=64, blank=True, validators=[validate_time_zone])
    preferred_language = models.CharField(
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text="The language pages, emails and texts reach this person in.",
    )
    date_of_birth = models.DateField(null=True, blank=True)
    credentials = models.CharField(
        max_length=120,
        blank=True,
        db_default="",
        help_text="Staff: licences and degrees printed after their name on letters, e.g. “LCSW, CADC”.",
    )
    can_review_content = models.BooleanField(
        default=False, help_text="Counselor may review and publish education content."
    )
    read_receipts_enabled = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May sign in to the admin site.")
    date_joined = models.DateTimeField(default=timezone.now)
    recorded_as_representative = models.BooleanField(
        default=False,
        editable=False,
        help_text="Set once a personal-representative authority names this person; the consent gate looks for "
        "representative authorities only for people with it set (one query less on every page for everyone else).",
    )

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["full_name", "email"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.preferred_name or self.full_name or self.email

    @property
    def is_patient(self) -> bool:
        return self.role == self.Role.PATIENT

    @property
    def is_family(self) -> bool:
        return self.role == self.Role.FAMILY

    @property
    def is_counselor(self) -> bool:
        return self.role == self.Role.COUNSELOR

    @property
    def is_program_admin(self) -> bool:
        return self.role == self.Role.PROGRAM_ADMIN

    @property
    def is_care_staff(self) -> bool:
        """Counselors and program admins: the roles that must use MFA (AUTH-05)."""
        return self.role in (self.Role.COUNSELOR, self.Role.PROGRAM_ADMIN)

    @property
    def may_publish_content(self) -> bool:
        return self.is_program_admin or (self.is_counselor and self.can_review_content)

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        """The viewer's time zone: their own, else their program's, else the deployment's default
        (family members belong to no program)."""
        if self.time_zone:
            return zoneinfo.ZoneInfo(self.time_zone)
        if self.program_id and self.program:
            return self.program.tz
        return zoneinfo.ZoneInfo(settings.PORTAL_DEFAULT_TIME_ZONE)


class CaseloadAssignmentQuerySet(models.QuerySet["CaseloadAssignment"]):
    def active(self, at: datetime | None = None) -> CaseloadAssignmentQuerySet:
        """Assignments in force at ``at`` (default now): begun, and not ended by then."""
        at = at or timezone.now()
        return self.filter(Q(assigned_at__lte=at), Q(ended_at__isnull=True) | Q(ended_at__gt=at))


class CaseloadAssignment(models.Model):
    """A counselor is responsible for a patient; the gate lets counselors see only their caseload (AZ-06)."""

    counselor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="caseload")
    patient = models.ForeignKey(User, on_delete=models.PROTECT, related_name="counselor_assignments")
    assigned_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = CaseloadAssignmentQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["counselor", "patient"],
                condition=models.Q(ended_at__isnull=True),
                name="one_active_assignment_per_pair",
            )
        ]

    def __str__(self) -> str:
        return f"{self.counselor} → {self.patient}"

    def clean(self) -> None:
        if self.counselor_id and not self.counselor.is_counselor:
            raise ValidationError({"counselor": _("Only counselors carry a caseload.")})
        if self.patient_id and not self.patient.is_patient:
            raise ValidationError({"patient": _("Only patients can be assigned to a caseload.")})


# A family member's own wellbeing check-ins (issue #20): in their own module, registered with this app.
from accounts.checkin_models import CheckInShare, WellbeingCheckIn  # noqa: E402, F401
