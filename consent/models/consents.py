"""Consents (42 CFR § 2.31): the scopes a consent may cover, the form text signed, the consent itself and its
append-only history."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from consent.models.criminal_justice import CRIMINAL_JUSTICE_KINDS, USE_RESTRICTION, criminal_justice_errors
from consent.models.form_versions import ORIGINAL_LANGUAGE, ConsentFormVersion, FormText


class Scope(models.TextChoices):
    """What information a consent covers (§ 2.31(a)(3)): specific and meaningful, never "all records"."""

    EDUCATION = "education", _("Education assignments and progress")
    SCHEDULE = "schedule", _("Family sessions, RSVPs and reminders")
    ATTENDANCE = "attendance", _("Attendance at family sessions")
    MESSAGING = "messaging", _("Secure messages with the care team")
    PROGRESS_SUMMARY = "progress_summary", _("A progress summary written for family")


STATUS_LABELS = {
    "Replaced": pgettext_lazy("consent status", "Replaced"),
    "Revoked": pgettext_lazy("consent status", "Revoked"),
    "Ended": pgettext_lazy("consent status", "Ended"),
    "Expired": pgettext_lazy("consent status", "Expired"),
    "Waiting for review": pgettext_lazy("consent status", "Waiting for review"),
    "Rejected": pgettext_lazy("consent status", "Rejected"),
    "Active": pgettext_lazy("consent status", "Active"),
}

SCOPE_FIELDS: dict[str, str] = {scope.value: f"scope_{scope.value}" for scope in Scope}


class ConsentQuerySet(models.QuerySet["Consent"]):
    def effective(self, at: datetime | None = None) -> ConsentQuerySet:
        """Consents a disclosure may rely on at ``at``: signed, reviewed, not expired, not revoked (§ 2.31(c))."""
        at = at or timezone.now()
        return self.filter(
            Q(signed_at__lte=at),
            Q(expires_at__gt=at),
            Q(review_status=Consent.ReviewStatus.APPROVED),
            Q(approved_at__lte=at),
            Q(revoked_at__isnull=True) | Q(revoked_at__gt=at),
            Q(ended_by_event_at__isnull=True) | Q(ended_by_event_at__gt=at),
        )

    def with_scope(self, scope: str) -> ConsentQuerySet:
        return self.filter(**{SCOPE_FIELDS[Scope(scope)]: True})

    def expiring_within(self, days: int, at: datetime | None = None) -> ConsentQuerySet:
        at = at or timezone.now()
        return self.effective(at).filter(expires_at__lte=at + timedelta(days=days))

    def pending_review(self) -> ConsentQuerySet:
        """Paper consents waiting for a second staff member (never usable until approved)."""
        return self.filter(review_status=Consent.ReviewStatus.PENDING, revoked_at__isnull=True)


class Consent(models.Model):
    """A patient's written consent naming one recipient, with every § 2.31(a) element.

    Rows are never deleted or edited after signing: revocation and expiry events are ``ConsentEvent`` rows,
    and ``revoked_at`` / ``ended_by_event_at`` mirror them so the gate can check time in one query.
    """

    class RecipientKind(models.TextChoices):
        FAMILY = "family", _("Family member with a portal account")
        EXTERNAL = "external", _("External recipient (e.g. probation officer)")
        COURT = "court", _("A court")
        PROBATION = "probation", _("A probation or parole officer")
        DRUG_COURT = "drug_court", _("A drug court")

    class Purpose(models.TextChoices):
        PATIENT_REQUEST = "patient_request", _("At the request of the patient")
        FAMILY_INVOLVEMENT = "family_involvement", _("To involve my family member in my treatment")
        COURT_REPORTING = "court_reporting", _("Reporting required by a court or probation")

    class SignerRole(models.TextChoices):
        PATIENT = "patient", _("The patient")
        PATIENT_AND_GUARDIAN = "patient_and_guardian", _("The minor patient and a parent or guardian (§ 2.14)")
        PERSONAL_REPRESENTATIVE = "personal_representative", _("A personal representative (§ 2.15)")

    class Method(models.TextChoices):
        PORTAL = "portal", _("Typed e-signature in the portal")
        PAPER = "paper", _("Paper form recorded by staff")

    class ReviewStatus(models.TextChoices):
        PENDING = "pending_review", _("Waiting for a second staff review")
        APPROVED = "approved", _("Complete")
        REJECTED = "rejected", _("Rejected as deficient")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    program = models.ForeignKey("accounts.Program", on_delete=models.PROTECT, related_name="consents")
    discloser_label = models.CharField(max_length=200, help_text="Who may disclose (§ 2.31(a)(2)).")
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="consents_given")
    recipient_kind = models.CharField(max_length=10, choices=RecipientKind.choices, default=RecipientKind.FAMILY)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="consents_received",
        help_text="The family member's account, once they have one (linked by invitation).",
    )
    recipient_name = models.CharField(max_length=150, help_text="The recipient's name as written on the form.")
    recipient_email = models.EmailField(blank=True, help_text="Where the invitation goes (family recipients).")
    recipient_relationship = models.CharField(max_length=80, blank=True)
    recipient_organisation = models.CharField(max_length=200, blank=True)
    scope_education = models.BooleanField(default=False)
    scope_schedule = models.BooleanField(default=False)
    scope_attendance = models.BooleanField(default=False)
    scope_messaging = models.BooleanField(default=False)
    scope_progress_summary = models.BooleanField(default=False)
    purpose = models.CharField(max_length=30, choices=Purpose.choices)
    purpose_detail = models.CharField(max_length=300, blank=True)
    expires_at = models.DateTimeField(help_text="Expiry date (required; § 2.31(a)(7)).")
    expiry_event = models.CharField(
        max_length=120, blank=True, help_text='An earlier ending event, e.g. "discharge from the program".'
    )
    form_version = models.ForeignKey(ConsentFormVersion, on_delete=models.PROTECT)
    form_language = models.CharField(
        max_length=8,
        choices=settings.LANGUAGES,
        default=ORIGINAL_LANGUAGE,
        help_text="The language of the form text the signer was shown (the paper form's language for paper).",
    )
    signer_role = models.CharField(max_length=30, choices=SignerRole.choices, default=SignerRole.PATIENT)
    signature = models.CharField(max_length=150, help_text="Typed name of the signer.")
    guardian_signature = models.CharField(max_length=150, blank=True)
    method = models.CharField(max_length=10, choices=Method.choices, default=Method.PORTAL)
    signed_at = models.DateTimeField()
    paper_form_reference = models.CharField(max_length=120, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    review_status = models.CharField(max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.APPROVED)
    approved_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the consent became usable: signing in the portal, or the second review of a paper form.",
    )
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The account that signed in the portal (the patient or their representative).",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    replaced_by = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaces",
        help_text="The consent the patient signed to change this one's scopes or end date; this one ended then.",
    )
    ended_by_event_at = models.DateTimeField(null=True, blank=True)
    # § 2.35 criminal-justice consents only (court, probation or parole, drug court): the referral, and when the
    # patient may revoke (at any time when both are empty; else only from a date, or after a recorded event).
    referral_source = models.CharField(max_length=200, blank=True, help_text="Who referred the patient (§ 2.35).")
    referral_proceeding = models.CharField(max_length=200, blank=True, help_text="The proceeding that mandated it.")
    revocable_after = models.DateTimeField(null=True, blank=True, help_text="Not revocable before (§ 2.35(c)).")
    revocable_after_event = models.CharField(max_length=200, blank=True, help_text="Not revocable before this event.")
    revocable_event_at = models.DateTimeField(null=True, blank=True, help_text="When staff recorded that event.")
    created_at = models.DateTimeField(auto_now_add=True)

    objects: ClassVar[ConsentQuerySet] = ConsentQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-signed_at"]
        indexes = [
            models.Index(fields=["recipient", "patient"]),
            models.Index(fields=["patient", "expires_at"]),
        ]
        constraints = [
            # A criminal-justice recipient is never a portal account, so the gate can never grant it access.
            models.CheckConstraint(
                condition=Q(recipient__isnull=True) | ~Q(recipient_kind__in=CRIMINAL_JUSTICE_KINDS),
                name="criminal_justice_consent_names_no_account",
            ),
            # Only a § 2.35 consent may limit revocation; every other consent is revocable at any time (§ 2.31).
            models.CheckConstraint(
                condition=Q(revocable_after__isnull=True, revocable_after_event="")
                | Q(recipient_kind__in=CRIMINAL_JUSTICE_KINDS),
                name="only_criminal_justice_consent_limits_revocation",
            ),
        ]

    def __str__(self) -> str:
        return f"Consent {str(self.id)[:8]} ({self.recipient_name})"

    @property
    def scopes(self) -> list[str]:
        return [code for code, field in SCOPE_FIELDS.items() if getattr(self, field)]

    @property
    def scope_labels(self) -> list[str]:
        return [str(Scope(code).label) for code in self.scopes]

    def has_scope(self, scope: str) -> bool:
        return bool(getattr(self, SCOPE_FIELDS[Scope(scope)]))

    def is_effective(self, at: datetime | None = None) -> bool:
        at = at or timezone.now()
        return (
            self.review_status == self.ReviewStatus.APPROVED
            and self.approved_at is not None
            and self.approved_at <= at
            and self.signed_at <= at < self.expires_at
            and (self.revoked_at is None or at < self.revoked_at)
            and (self.ended_by_event_at is None or at < self.ended_by_event_at)
        )

    @property
    def is_criminal_justice(self) -> bool:
        """A § 2.35 consent: to a court, a probation or parole officer, or a drug court."""
        return self.recipient_kind in CRIMINAL_JUSTICE_KINDS

    def may_be_revoked(self, at: datetime | None = None) -> bool:
        """Whether the patient may revoke at ``at``: always, unless a § 2.35(c) consent is still before its
        stated date, or its stated event has not been recorded by staff yet."""
        at = at or timezone.now()
        if self.revocable_after is not None and at < self.revocable_after:
            return False
        return not self.revocable_after_event or (self.revocable_event_at is not None and self.revocable_event_at <= at)

    def status_key(self) -> str:
        """Where the consent stands now, as a key of ``STATUS_LABELS`` (English, stable: CSS and tests use it)."""
        now = timezone.now()
        if self.replaced_by_id and self.revoked_at and self.revoked_at <= now:
            return "Replaced"
        if self.revoked_at and self.revoked_at <= now:
            return "Revoked"
        if self.ended_by_event_at and self.ended_by_event_at <= now:
            return "Ended"
        if self.expires_at <= now:
            return "Expired"
        if self.review_status == self.ReviewStatus.PENDING:
            return "Waiting for review"
        if self.review_status == self.ReviewStatus.REJECTED:
            return "Rejected"
        return "Active"

    @property
    def status_label(self) -> str:
        """Where the consent stands now, in the reader's language."""
        return str(STATUS_LABELS[self.status_key()])

    @property
    def status_badge(self) -> str:
        """The CSS badge class for ``status_label``."""
        return {
            "Active": "badge-ok",
            "Waiting for review": "badge-warn",
            "Revoked": "badge-danger",
            "Rejected": "badge-danger",
        }.get(self.status_key(), "badge-neutral")

    @property
    def use_restriction(self) -> str:
        """The § 2.35(d) use restriction in the active language ("" for any other consent)."""
        return str(USE_RESTRICTION) if self.is_criminal_justice else ""

    def form_text(self) -> FormText:
        """The form text as this consent was signed: the version in the language the signer was shown."""
        return self.form_version.text_in(self.form_language)

    @property
    def last_moment(self) -> datetime:
        """For display: sharing lasts "until" this instant (the form's end date is the day it falls on)."""
        return self.expires_at - timedelta(microseconds=1)

    def lineage_ids(self) -> list[uuid.UUID]:
        """This consent and every consent it replaced, newest first (sockets opened under any of them stay open
        across a change of scopes, so an ending must reach them all)."""
        ids, current = [self.pk], [self.pk]
        while current:
            current = list(Consent.objects.filter(replaced_by__in=current).values_list("pk", flat=True))
            ids += current
        return ids

    @property
    def ended_at(self) -> datetime | None:
        """When sharing stopped or will stop: the earliest of revocation, ending event and expiry."""
        ends = [moment for moment in (self.revoked_at, self.ended_by_event_at, self.expires_at) if moment]
        return min(ends) if ends else None

    def clean(self) -> None:
        """Reject a deficient consent: every § 2.31(a) element must be present (AZ-01)."""
        errors: dict[str, str] = {}
        if not self.patient_id:
            errors["patient"] = gettext("Name the patient.")
        elif not self.patient.is_patient:
            errors["patient"] = gettext("Only a patient can give this consent.")
        recipient = self.recipient if self.recipient_id else None
        if recipient is not None and (not recipient.is_family or recipient.pk == self.patient_id):
            errors["recipient"] = gettext("The recipient must be a family member's account.")
        if not self.discloser_label.strip():
            errors["discloser_label"] = gettext("Name who may disclose.")
        if not self.scopes:
            errors["scope_education"] = gettext("Choose at least one kind of information to share.")
        if not self.recipient_name.strip():
            errors["recipient_name"] = gettext("Name the person who may receive the information.")
        if self.is_criminal_justice:
            errors |= criminal_justice_errors(self)
        elif self.revocable_after or self.revocable_after_event:
            errors["revocable_after"] = gettext("Only a consent for a court or probation can limit revocation.")
        if self.recipient_kind != self.RecipientKind.FAMILY and not self.recipient_organisation.strip():
            errors["recipient_organisation"] = gettext("Name the recipient's organisation.")
        if self.recipient_kind == self.RecipientKind.FAMILY and not (self.recipient_id or self.recipient_email):
            errors["recipient_email"] = gettext("Give the family member's email address for the invitation.")
        if not self.purpose:
            errors["purpose"] = gettext("Say why the information is shared.")
        if not self.expires_at:
            errors["expires_at"] = gettext("Choose when this consent ends.")
        if not self.form_version_id:
            errors["form_version"] = gettext("The consent form version is missing.")
        if not self.signature.strip():
            errors["signature"] = gettext("The consent must be signed.")
        if not self.signed_at:
            errors["signed_at"] = gettext("The date signed is missing.")
        if self.signer_role == self.SignerRole.PATIENT_AND_GUARDIAN and not self.guardian_signature.strip():
            errors["guardian_signature"] = gettext("A parent or guardian must also sign for this minor (§ 2.14).")
        if (
            self.method == self.Method.PORTAL
            and self.signer_role == self.SignerRole.PERSONAL_REPRESENTATIVE
            and (not self.signed_by_id or self.signed_by_id == self.patient_id)
        ):
            errors["signed_by"] = gettext("A personal representative must sign from their own account.")
        if self.method == self.Method.PAPER and not self.paper_form_reference.strip():
            errors["paper_form_reference"] = gettext("Give the paper form's reference.")
        if self.expires_at and self.signed_at and self.expires_at <= self.signed_at:
            errors["expires_at"] = gettext("The end date must be after the date signed.")
        if errors:
            raise ValidationError(errors)


class ConsentEvent(models.Model):
    """Append-only history of a consent: granted, recorded on paper, reviewed, revoked, ended by an event."""

    class Kind(models.TextChoices):
        GRANTED = "granted", _("Signed in the portal")
        PAPER_RECORDED = "paper_recorded", _("Paper consent recorded")
        REVIEWED = "reviewed", _("Paper consent reviewed")
        REVOKED = "revoked", _("Revoked")
        REPLACED = "replaced", _("Replaced by a new consent")
        ENDED_BY_EVENT = "ended_by_event", _("Ended by an event")
        REVOCABLE = "revocable", _("Event recorded: it may now be stopped")

    consent = models.ForeignKey(Consent, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    method = models.CharField(max_length=10, choices=Consent.Method.choices, default=Consent.Method.PORTAL)
    document_reference = models.CharField(max_length=120, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M}"
