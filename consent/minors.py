"""Minors (§ 2.14): who signs a minor's consent, from the program's age settings and the patient's birth date."""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from accounts.models import User


def patient_age(patient: User, on: date | None = None) -> int | None:
    """Whole years of age, or ``None`` when the date of birth is not recorded."""
    if patient.date_of_birth is None:
        return None
    today = on or timezone.localdate()
    born = patient.date_of_birth
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def needs_guardian_signature(patient: User) -> bool:
    """§ 2.14: a minor signs together with a parent or guardian unless state law lets them consent alone."""
    age = patient_age(patient)
    program = patient.program
    if age is None or program is None or age >= program.age_of_majority:
        return False
    return not minor_decides_alone(patient)


def minor_decides_alone(patient: User) -> bool:
    """A minor old enough under state law to consent alone to treatment also decides alone about sharing."""
    age = patient_age(patient)
    program = patient.program
    if age is None or program is None or age >= program.age_of_majority:
        return False
    return program.minor_self_consent_age is not None and age >= program.minor_self_consent_age
