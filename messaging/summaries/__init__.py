"""Progress summaries: a counselor writes a short plain-language update for the patient's family, the patient (or
their personal representative) reviews it, and family members whose consent includes ``progress_summary`` read the
latest released version (docs/architecture.md, "Progress summaries")."""
