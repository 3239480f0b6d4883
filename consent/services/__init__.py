"""Consent workflows: sign, record on paper, review, revoke, end by event. Each is atomic and audited.

One module per topic: ``consents`` (sign, replace, paper, review), ``ending`` (revoke, end by event) and
``representatives`` (break-glass access, personal representatives). The public names are re-exported here.
"""

from consent.services.consents import (
    check_signature,
    grant_consent,
    record_paper_consent,
    replace_consent,
    review_paper_consent,
)
from consent.services.ending import end_consent_by_event, record_revocable_event, revoke_consent
from consent.services.representatives import (
    end_personal_representative,
    record_personal_representative,
    start_break_glass,
)

__all__ = [
    "check_signature",
    "end_consent_by_event",
    "end_personal_representative",
    "grant_consent",
    "record_paper_consent",
    "record_personal_representative",
    "record_revocable_event",
    "replace_consent",
    "revoke_consent",
    "review_paper_consent",
    "start_break_glass",
]
