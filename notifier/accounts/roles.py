"""The roles a user account can have (no Flask or SQLAlchemy here). What each role may do is notifier/permissions.py."""

from enum import StrEnum


class Role(StrEnum):
    """One role per account, set by an administrator; it changes only through the admin pages or `notifier user`.

    dpo: the Data Protection Officer, who records and assesses breaches; legal: the legal department, who approves
    letters (four eyes, never their own) and generates reports; viewer: reads the register; admin: manages accounts and
    establishments, reads the audit trail."""

    DPO = "dpo"
    LEGAL = "legal"
    VIEWER = "viewer"
    ADMIN = "admin"
