"""Demo data for local use: one program, staff, patients, family members and consents. Refuses outside DEBUG."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import CaseloadAssignment, Program, User
from consent.models import Consent, Scope
from consent.services import grant_consent

DEMO_PASSWORD = "demo-portal-pass-2026"  # noqa: S105  (local demo only; the command refuses outside DEBUG)

STAFF = [
    ("admin@demo.example", "Avery Admin", User.Role.PROGRAM_ADMIN),
    ("counselor@demo.example", "Casey Morgan", User.Role.COUNSELOR),
    ("counselor2@demo.example", "Jordan Lee", User.Role.COUNSELOR),
]
PATIENTS = [
    ("patient@demo.example", "Pat Rivera", "counselor@demo.example"),
    ("patient2@demo.example", "Sam Okafor", "counselor@demo.example"),
    ("patient3@demo.example", "Robin Chen", "counselor2@demo.example"),
]
FAMILY = [
    ("family@demo.example", "Fran Rivera", "patient@demo.example", "Mother", [s.value for s in Scope]),
    ("family2@demo.example", "Alex Okafor", "patient2@demo.example", "Partner", ["education", "schedule"]),
    ("learner@demo.example", "Lee Learner", None, "", []),
]


class Command(BaseCommand):
    help = "Create demo accounts and consents (idempotent). Only runs with DJANGO_DEBUG=True."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("Demo data is for local development only; it refuses to run when DEBUG is off.")
        with transaction.atomic():
            program, _ = Program.objects.get_or_create(
                name="Demo Outpatient Program",
                defaults={"legal_name": settings.PORTAL_PROGRAM_LEGAL_NAME, "help_phone": "+15555550100"},
            )
            users = {email: self._user(email, name, role, program) for email, name, role in STAFF}
            for email, name, counselor in PATIENTS:
                users[email] = self._user(email, name, User.Role.PATIENT, program)
                CaseloadAssignment.objects.get_or_create(counselor=users[counselor], patient=users[email])
            for email, name, patient_email, relationship, scopes in FAMILY:
                member = self._user(email, name, User.Role.FAMILY, None)
                if patient_email and not Consent.objects.filter(recipient=member).exists():
                    patient = users[patient_email]
                    grant_consent(
                        patient=patient,
                        recipient=member,
                        recipient_name=name,
                        recipient_email=email,
                        recipient_relationship=relationship,
                        scopes=scopes,
                        expires_at=timezone.now() + timedelta(days=180),
                        signature=patient.full_name,
                    )
        self._print_credentials()

    def _user(self, email: str, name: str, role: str, program: Program | None) -> User:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email,
                DEMO_PASSWORD,
                full_name=name,
                role=role,
                program=program,
                is_staff=role == User.Role.PROGRAM_ADMIN,
                is_superuser=role == User.Role.PROGRAM_ADMIN,
            )
        EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
        return user

    def _print_credentials(self) -> None:
        out = self.stdout
        out.write(self.style.SUCCESS("Demo data ready. Sign in at /accounts/login/ with password: " + DEMO_PASSWORD))
        for email, _name, role in STAFF:
            out.write(f"  {User.Role(role).label:<14} {email}  (sets up two-step verification on first sign-in)")
        for email, _name, _counselor in PATIENTS:
            out.write(f"  {'Patient':<14} {email}")
        for email, _name, patient_email, _rel, _scopes in FAMILY:
            label = "Family member" if patient_email else "Learner"
            out.write(f"  {label:<14} {email}")
