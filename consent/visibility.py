"""What one viewer may see through the gate at one instant (``consent.gate.visibility`` builds it)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from consent import policy
from consent.models import Consent, Scope


@dataclass(frozen=True)
class Visibility:
    """What one viewer may see through the gate at one instant: each grant's patients, from one or two queries.

    ``by_grant`` maps each unscoped grant's name to the ids of the patients it lets the viewer see (``None`` for
    program admins: their whole program, filtered by a queryset instead of a list). ``consents`` are the rows of
    the ``CONSENT`` grant (newest first, with patient, the patient's program and the form version); a scope's
    patients are those of every unscoped grant and of the consents that include it.
    ``linked_programs`` and ``linked`` serve education's rule that a family member with any effective consent or
    authority reads shared and their patients' programs' content."""

    by_grant: dict[str, frozenset[int]] | None
    consents: tuple[Consent, ...] = ()
    programs: dict[int, int | None] | None = None  # patient id → program id, where known (family members)

    def granted(self, grants: Iterable[policy.Grant], scope: str | None) -> frozenset[int]:
        """The patients ``grants`` let the viewer see for ``scope`` (any scope when ``None``)."""
        ids: set[int] = set()
        for grant in grants:
            if grant.scoped:
                ids.update(c.patient_id for c in self.consents if scope is None or c.has_scope(scope))
            elif self.by_grant is not None:
                ids.update(self.by_grant.get(grant.name, ()))
        return frozenset(ids)

    def patient_ids(self, scope: str) -> frozenset[int] | None:
        return None if self.by_grant is None else self.granted(policy.GRANTS, Scope(scope))

    @property
    def represented(self) -> frozenset[int]:
        """The patients the viewer acts as (``acts_as_patient``): showing them their information is no disclosure."""
        return self.granted(policy.ACTING_AS_PATIENT, None)

    @property
    def linked_programs(self) -> frozenset[int | None]:
        return frozenset((self.programs or {}).values())

    @property
    def linked(self) -> bool:
        return bool(self.consents or self.represented)

    def program_ids(self, scope: str) -> frozenset[int] | None:
        """The programs of the patients visible for ``scope``; ``None`` when not known without a query."""
        ids = self.patient_ids(scope)
        if ids is None or self.programs is None:
            return None
        return frozenset(program for pk in ids if (program := self.programs.get(pk)) is not None)


NOTHING = Visibility(by_grant={})
