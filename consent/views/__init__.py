"""Consent pages, split by who uses them: patients (``patient``), family (``family``), invitations, staff."""
