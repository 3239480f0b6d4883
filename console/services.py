"""What a program admin changes in the console: staff accounts, the program's hours and policies, consent form
versions. Each function is keyword-only and atomic, checks that the admin and the person belong to one program,
and writes one audit row with ids and field names only (DATA-01). Caseloads are ``consent.caseloads``'s (AZ-09).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Program, User
from accounts.names import STAFF_ROLES
from accounts.sessions import end_sessions_of, live_session_keys
from consent.audit import record_audit
from consent.caseloads import caseload_sizes
from consent.models import AuditEvent, ConsentFormTranslation, ConsentFormVersion
from notifications.models import OutboxMessage
from notifications.services import enqueue_message

WELCOME_TEMPLATE = "staff_welcome"
PAST_SLACK = timedelta(minutes=1)  # "now" typed into the form is a little in the past by the time it is saved

# The program settings the console edits (the rest, such as the legal name, stay with a superuser).
PROGRAM_SETTINGS = (
    "office_opens",
    "office_closes",
    "office_days",
    "time_zone",
    "help_phone",
    "reminder_offsets_minutes",
    "offline_notice_minutes",
    "push_fallback_minutes",
    "patients_join_care_team",
    "summary_review_hours",
    "address",
    "phone",
)


def _audit(admin: User, action: str, request: HttpRequest | None, **ids: Any) -> None:
    record_audit(kind=AuditEvent.Kind.ADMIN_CHANGE, actor=admin, request=request, data={"action": action, **ids})


def _require_admin(admin: User) -> Program:
    if not (admin.is_active and admin.is_program_admin and admin.program_id and admin.program):
        raise PermissionDenied("Only a program admin uses the console.")
    return admin.program


def _require_staff_of_program(admin: User, member: User) -> None:
    _require_admin(admin)
    if member.program_id != admin.program_id or member.role not in STAFF_ROLES:
        raise PermissionDenied("Not a staff member of the admin's program.")


def set_password_link() -> str:
    """Where a new staff member chooses a password: allauth's reset page (a code mailed to the address proves it
    and verifies the address), on the portal's public address."""
    return settings.PORTAL_BASE_URL + reverse("account_reset_password")


@transaction.atomic
def invite_staff(
    *,
    admin: User,
    email: str,
    full_name: str,
    role: str,
    can_review_content: bool = False,
    request: HttpRequest | None = None,
) -> User:
    """Create a counselor or program admin in the admin's program and queue the welcome email (JOB-01).

    The account has no password and an unverified address: the person chooses a password through allauth's reset
    by code, which verifies the address, and the MFA middleware makes them enrol an authenticator at their first
    sign-in (AUTH-05)."""
    program = _require_admin(admin)
    if role not in STAFF_ROLES:
        raise ValidationError({"role": _("Choose counselor or program admin.")})
    email = User.objects.normalize_email(email).lower()
    taken = _("An account with this email address already exists. Ask your portal's administrator to change it.")
    if User.objects.filter(email__iexact=email).exists() or EmailAddress.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": taken})
    try:
        with transaction.atomic():
            member = User.objects.create_user(
                email,
                None,  # unusable until they choose one
                full_name=full_name,
                role=role,
                program=program,
                can_review_content=bool(can_review_content) and role == User.Role.COUNSELOR,
            )
    except IntegrityError:  # the same address added a moment ago
        raise ValidationError({"email": taken}) from None
    EmailAddress.objects.create(user=member, email=member.email, primary=True, verified=False)
    enqueue_message(
        recipient=member,
        template_key=WELCOME_TEMPLATE,
        idempotency_key=f"{WELCOME_TEMPLATE}:{member.pk}",
        channel=OutboxMessage.Channel.EMAIL,
        context={"link": set_password_link()},
    )
    _audit(admin, "staff_invited", request, user=member.pk, role=role)
    return member


@transaction.atomic
def update_staff(
    *,
    admin: User,
    member: User,
    full_name: str,
    role: str,
    can_review_content: bool,
    credentials: str | None = None,
    request: HttpRequest | None = None,
) -> list[str]:
    """Change a staff member's name, role, content-review flag or credentials; the names of the fields that changed.

    An admin cannot change their own role (the program would lose its last admin by mistake), and a counselor
    who still carries patients must hand them over before becoming an admin (caseloads are counselors')."""
    _require_staff_of_program(admin, member)
    if role not in STAFF_ROLES:
        raise ValidationError({"role": _("Choose counselor or program admin.")})
    if member.pk == admin.pk and role != member.role:
        raise ValidationError({"role": _("You cannot change your own role.")})
    if member.is_counselor and role != User.Role.COUNSELOR and caseload_sizes([member.pk]):
        raise ValidationError({"role": _("End this counselor's caseload assignments first, on the Caseloads page.")})
    values = {
        "full_name": full_name,
        "role": role,
        "can_review_content": bool(can_review_content) and role == User.Role.COUNSELOR,
    }
    if credentials is not None:
        values["credentials"] = credentials
    changed = [field for field, value in values.items() if getattr(member, field) != value]
    if not changed:
        return []
    for field in changed:
        setattr(member, field, values[field])
    member.save(update_fields=changed)
    _audit(admin, "staff_changed", request, user=member.pk, fields=changed)
    return changed


@transaction.atomic
def deactivate_staff(*, admin: User, member: User, request: HttpRequest | None = None) -> int:
    """Deactivate a staff member: they are signed out everywhere at once; how many sessions ended.

    Saving ``is_active=False`` closes their sockets with 4403 (``messaging.receivers``, WS-04); each session ended
    here announces ``session_ended`` as well (WS-11). Caseload rows stay: the gate refuses an inactive viewer."""
    _require_staff_of_program(admin, member)
    if member.pk == admin.pk:
        raise ValidationError(_("You cannot deactivate your own account."))
    if not member.is_active:
        raise ValidationError(_("This account is already deactivated."))
    ended = len(live_session_keys(member))
    member.is_active = False
    member.save(update_fields=["is_active"])  # sockets close (4403) and the receiver ends every session
    end_sessions_of(member)  # nothing left when the receiver ran; kept so the count above is what ended
    _audit(admin, "staff_deactivated", request, user=member.pk, sessions_ended=ended)
    return ended


@transaction.atomic
def reactivate_staff(*, admin: User, member: User, request: HttpRequest | None = None) -> None:
    """Let a deactivated staff member sign in again (with their password and authenticator, as before)."""
    _require_staff_of_program(admin, member)
    if member.is_active:
        raise ValidationError(_("This account is already active."))
    member.is_active = True
    member.save(update_fields=["is_active"])
    _audit(admin, "staff_reactivated", request, user=member.pk)


@transaction.atomic
def update_program_settings(*, admin: User, request: HttpRequest | None = None, **values: Any) -> list[str]:
    """Change the admin's program's office hours, time zone, help phone and reminder policy; the fields changed.

    New reminder times apply to sessions booked or moved from now on; reminders already planned keep theirs."""
    program = Program.objects.select_for_update().get(pk=_require_admin(admin).pk)
    unknown = set(values) - set(PROGRAM_SETTINGS)
    if unknown:
        raise ValueError(f"Not a console setting: {sorted(unknown)}")
    changed = [field for field, value in values.items() if getattr(program, field) != value]
    if not changed:
        return []
    for field in changed:
        setattr(program, field, values[field])
    program.full_clean(exclude=["reminder_offsets_minutes"])  # an empty list (no reminders) is a choice here
    program.save(update_fields=changed)
    if admin.program is not None:
        admin.program.refresh_from_db(fields=changed)
    _audit(admin, "program_settings_changed", request, program=program.pk, fields=changed)
    return changed


@transaction.atomic
def publish_consent_form(
    *,
    admin: User,
    version: str,
    text: str,
    text_es: str = "",
    effective_from: datetime | None = None,
    request: HttpRequest | None = None,
) -> ConsentFormVersion:
    """Publish a new consent form text (a new version; published versions are never edited), with its reviewed
    Spanish translation when ``text_es`` is given (patients reading Spanish sign that text).

    From ``effective_from`` (now when empty, never in the past) new signatures are given under it; consents
    already signed keep the version they were signed under."""
    _require_admin(admin)
    now = timezone.now()
    effective_from = effective_from or now
    if effective_from < now - PAST_SLACK:
        raise ValidationError({"effective_from": _("Choose now or a later time.")})
    if ConsentFormVersion.objects.filter(version__iexact=version).exists():
        raise ValidationError({"version": _("A version with this label exists already. Choose a new label.")})
    form = ConsentFormVersion(version=version, text=text, effective_from=effective_from)
    form.full_clean()
    form.save()
    languages = ["en"]
    if text_es.strip():
        ConsentFormTranslation.objects.create(form_version=form, language="es", text=text_es.strip())
        languages.append("es")
    _audit(admin, "consent_form_published", request, consent_form=form.pk, languages=languages)
    return form
