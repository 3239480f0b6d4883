"""Program insights: aggregate charts of how families use the portal, for a program admin (the whole program) and
for a counselor (their own caseload).

Every chart is one small function in the registry (``registry.py``) that returns a ``CountTable`` of raw counts;
the page, the text alternative and the CSV only ever see the table after small-cell suppression
(``suppression.py``), so no count from 1 to 10 leaves the server.
"""
