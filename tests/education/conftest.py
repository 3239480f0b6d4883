"""Education fixtures: shared published content, a program's enrolled-only module, and a second program."""

from __future__ import annotations

import pytest

from accounts.models import Program, User
from education.models import Module
from tests.support import personas
from tests.support.education_content import published_module


@pytest.fixture
def shared_module(db: None) -> Module:
    """Published shared content: general education, open to everyone signed in."""
    return published_module("understanding-addiction", title="How the brain changes")


@pytest.fixture
def overdose_module(db: None) -> Module:
    """A second shared module, on another topic."""
    return published_module("overdose-basics", title="Overdose basics", topic="overdose")


@pytest.fixture
def enrolled_module(program: Program) -> Module:
    """``program``'s own module, marked for its enrolled families only."""
    return published_module("riverside-visiting", title="Visiting Riverside", program=program, enrolled_only=True)


@pytest.fixture
def other_program(db: None) -> Program:
    return personas.make_program("Hillside Program")


@pytest.fixture
def other_program_counselor(other_program: Program) -> User:
    return personas.make_staff("hill@example.org", other_program, full_name="Hal Hillside")


@pytest.fixture
def reviewer(program: Program) -> User:
    return personas.make_staff("rev@example.org", program, full_name="Rae Reviewer", can_review_content=True)
