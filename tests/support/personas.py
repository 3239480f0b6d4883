"""Build the standard cast of people through the real services (style guide 2.8).

patient ← counselor (assigned, MFA) · family_member (consent, every scope) · revoked_member (consent revoked)
other_patient ← outsider (family of the other patient) · learner (no consent) · unassigned_counselor.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.test import Client
from django.utils import timezone

from accounts.middleware import LOGIN_AT_KEY
from accounts.models import CaseloadAssignment, Program, User
from consent.models import Consent, PersonalRepresentative, Scope
from consent.services import grant_consent, record_personal_representative, revoke_consent

ALL_SCOPES = [scope.value for scope in Scope]
PASSWORD = "a calm river at dawn"


# The fixtures (tests/conftest.py) that, together, meet every rule of the consent gate once: the patient, another
# patient, their counselor, a counselor without them, the program admin, a consented and a revoked family member,
# someone linked to another patient only, and a learner linked to nobody.
GATE_PERSONAS = (
    "patient",
    "other_patient",
    "counselor",
    "unassigned_counselor",
    "program_admin",
    "family_member",
    "revoked_member",
    "outsider",
    "learner",
)


def make_program(name: str = "Riverside Program", **extra: Any) -> Program:
    return Program.objects.create(name=name, legal_name=f"{name} LLC", time_zone="America/New_York", **extra)


def make_user(email: str, role: str, program: Program | None, full_name: str = "", **extra: Any) -> User:
    user = User.objects.create_user(
        email,
        PASSWORD,
        role=role,
        program=program,
        full_name=full_name or email.split("@")[0].title(),
        **extra,
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def make_staff(email: str, program: Program, role: str = User.Role.COUNSELOR, **extra: Any) -> User:
    user = make_user(email, role, program, **extra)
    TOTP.activate(user, generate_totp_secret())
    return user


def assign(counselor: User, patient: User) -> CaseloadAssignment:
    return CaseloadAssignment.objects.create(counselor=counselor, patient=patient)


def consent_for(patient: User, member: User, scopes: list[str] | None = None, days: int = 180, **extra: Any) -> Consent:
    """A consent in force, part of the world a test starts in: the "shared with you" notice granting it queues is
    dropped, so the outbox starts empty (``tests/notifications/test_notices.py`` tests that notice)."""
    return _without_consent_notices(
        grant_consent(
            patient=patient,
            recipient=member,
            recipient_name=member.full_name,
            recipient_email=member.email,
            recipient_relationship="Parent",
            scopes=ALL_SCOPES if scopes is None else scopes,
            expires_at=timezone.now() + timedelta(days=days),
            signature=patient.full_name,
            **extra,
        )
    )


def guardian_of(patient: User, staff: User, email: str = "guardian@example.org") -> User:
    """A family-role user recorded by ``staff`` (through the service, as a program does) as ``patient``'s guardian."""
    guardian = make_user(email, User.Role.FAMILY, None, full_name="Gail Guardian")
    record_personal_representative(
        staff=staff,
        patient=patient,
        representative=guardian,
        authority=PersonalRepresentative.Authority.GUARDIAN,
        document_reference="Court order 7",
    )
    return guardian


def revoke(consent: Consent) -> Consent:
    """Revoke as the patient; the "your access changed" notice it queues is dropped, as for ``consent_for``."""
    return _without_consent_notices(revoke_consent(consent=consent, actor=consent.patient))


def _without_consent_notices(consent: Consent) -> Consent:
    from notifications.models import OutboxMessage

    OutboxMessage.objects.filter(subject=f"consent:{consent.pk}").delete()
    return consent


def login(client: Client, user: User, *, signed_in_ago: float | None = None) -> Client:
    """Sign ``user`` in as an established session: signed in longer ago than the re-authentication window (so
    sensitive actions ask for the password again, AUTH-08). Care staff also passed the MFA stage (AUTH-05)."""
    client.force_login(user)
    session = client.session
    if signed_in_ago is None:
        signed_in_ago = settings.ACCOUNT_REAUTHENTICATION_TIMEOUT + 1
    session[LOGIN_AT_KEY] = timezone.now().timestamp() - signed_in_ago
    session.save()
    if user.is_care_staff:
        from allauth.mfa.models import Authenticator

        authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
        session = client.session
        now = timezone.now().timestamp()
        session["account_authentication_methods_user"] = str(user.pk)
        session["account_authentication_methods"] = [
            {"method": "password", "at": now, "email": user.email},
            {"method": "mfa", "at": now, "type": "totp", "id": authenticator.pk if authenticator else None},
        ]
        session.save()
    return client
