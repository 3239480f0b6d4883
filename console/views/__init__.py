"""The program console's pages: staff, caseloads, office hours and reminders, consent forms, content review."""
