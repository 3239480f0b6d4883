"""Education fixtures: shared published content, a program-only draft, and a second program."""

from __future__ import annotations

import pytest

from accounts.models import Program, User
from education.models import Module
from tests.education.factories import published_module
from tests.support import personas


@pytest.fixture
def shared_module(db: None) -> Module:
    """Published, shared, not public: for consented family members and staff."""
    return published_module("understanding-addiction", title="How the brain changes")


@pytest.fixture
def public_module(db: None) -> Module:
    return published_module("overdose-basics", title="Overdose basics", public=True, topic="overdose")


@pytest.fixture
def other_program(db: None) -> Program:
    return personas.make_program("Hillside Program")


@pytest.fixture
def other_program_counselor(other_program: Program) -> User:
    return personas.make_staff("hill@example.org", other_program, full_name="Hal Hillside")


@pytest.fixture
def reviewer(program: Program) -> User:
    return personas.make_staff("rev@example.org", program, full_name="Rae Reviewer", can_review_content=True)
