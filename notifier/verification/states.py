"""What the public page answered (VerificationCount.outcome); no Flask or SQLAlchemy here."""

from enum import StrEnum


class Outcome(StrEnum):
    """genuine: a letter of ours with this reference was generated for real (a final job). unknown: the reference
    is well formed and its check character is right, but no letter carries it. mistyped: not a reference, or its
    check character (ISO/IEC 7064 MOD 37,36) does not match: most typing errors land here."""

    GENUINE = "genuine"
    UNKNOWN = "unknown"
    MISTYPED = "mistyped"
