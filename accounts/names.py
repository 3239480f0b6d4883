"""Staff names are not for others to take (AUTH-13).

A family member (or patient) may not use, as full or preferred name, the exact name of a counselor or program admin
of their own program or of the programs of the patients they are linked to. "Exact" ignores case, spacing and
compatibility forms (NFKC: full-width letters, ligatures), so "ＪＯＲＤＡＮ  lee" is "Jordan Lee". The role badge on
every message (messaging) is the main defence; this keeps the name itself from claiming a role.

Which programs a person is linked to is consent's knowledge: ``consent`` registers a source with
``register_program_links`` (architecture rule 4: a registry, not an import against the grain).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import User

NAME_FIELDS = ("full_name", "preferred_name")
STAFF_ROLES = (User.Role.COUNSELOR, User.Role.PROGRAM_ADMIN)

ProgramLinks = Callable[[User], Any]  # user -> a queryset of program ids, usable in ``program_id__in``
_program_links: list[ProgramLinks] = []


def register_program_links(source: ProgramLinks) -> ProgramLinks:
    """Add a source of "programs this person is linked to" (decorator)."""
    if source not in _program_links:
        _program_links.append(source)
    return source


def name_key(name: str) -> str:
    """What makes two names the same name: NFKC, case-folded, without spaces or formatting characters."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return "".join(char for char in folded if not char.isspace() and unicodedata.category(char) != "Cf")


def reserved_name_keys(user: User) -> frozenset[str]:
    """The ``name_key`` of every name (full, preferred, or the email shown when there is none) of the staff of
    ``user``'s own program and linked programs; empty for staff themselves. One query."""
    if user.role in STAFF_ROLES:
        return frozenset()
    where = Q(program_id=user.program_id) if user.program_id else Q()
    for source in _program_links if user.pk else ():
        where |= Q(program_id__in=source(user))
    if not where:
        return frozenset()
    staff = User.objects.filter(where, role__in=STAFF_ROLES).values_list("full_name", "preferred_name", "email")
    return frozenset(name_key(name) for names in staff for name in _shown_names(*names))


def _shown_names(full_name: str, preferred_name: str, email: str) -> Iterable[str]:
    return [name for name in (full_name, preferred_name, "" if full_name or preferred_name else email) if name]


def staff_name_error(user: User, names: dict[str, str]) -> dict[str, str]:
    """For each of ``names`` (field -> proposed name) that is a reserved staff name of ``user``, the error to show.
    Blank names are never reserved."""
    proposed = {field: name for field, name in names.items() if name_key(name)}
    if not proposed:
        return {}
    reserved = reserved_name_keys(user)
    message = _(
        "This is the name of a member of the care team, so others could mistake you for them. Please use a "
        "different name, for example with your relationship: “%(name)s (parent)”."
    )
    return {field: message % {"name": name} for field, name in proposed.items() if name_key(name) in reserved}


def give_up_staff_names(user: User, *, invited_name: str = "") -> None:
    """After ``user`` is linked to a new patient: drop any name of theirs that a staff member of a linked program
    holds (AUTH-13), then take ``invited_name`` (the name on the consent) if they have no full name and it is
    not a staff name either. Saves only what changed."""
    reserved = reserved_name_keys(user)
    changed = [field for field in NAME_FIELDS if name_key(getattr(user, field)) in reserved - {""}]
    for field in changed:
        setattr(user, field, "")
    if not user.full_name and invited_name and name_key(invited_name) not in reserved:
        user.full_name = invited_name
        changed = list(dict.fromkeys([*changed, "full_name"]))
    if changed:
        user.save(update_fields=changed)
