"""DEP-00 (docs/requirements.md): installed versions are at or above their security floors (``FLOORS``)."""

from __future__ import annotations

from importlib.metadata import version

import pytest
from packaging.version import Version

FLOORS = {
    "django": "6.1.2",
    "daphne": "4.2.2",
    "channels": "4.3.2",
    "django-allauth": "65.14.2",
    "twilio": "9.13.0",
    "argon2-cffi": "25.1.0",
}


@pytest.mark.parametrize(("package", "floor"), FLOORS.items())
def test_installed_version_meets_security_floor(package, floor):
    assert Version(version(package)) >= Version(floor)
