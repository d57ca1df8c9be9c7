"""The case around a breach (issue 16): action plan, evidence vault, timeline, exchanges, reminders, dossier."""
