"""The closed sets of the case (no Flask or SQLAlchemy here): CHECK constraints on their columns (core.types.one_of)."""

from enum import StrEnum


class TaskStatus(StrEnum):
    """An action of the plan: à faire, en cours, fait, sans objet. Any status may follow any other (a task done by
    mistake is put back); "done" and "not_applicable" end its reminders."""

    TODO = "todo"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    NOT_APPLICABLE = "not_applicable"


class Direction(StrEnum):
    """An exchange received by the establishment (incoming) or sent by it (outgoing)."""

    INCOMING = "in"
    OUTGOING = "out"


class Party(StrEnum):
    """Who the establishment corresponds with about a breach."""

    CNIL = "cnil"
    ARS_CERT_SANTE = "ars_cert_sante"
    ANSSI = "anssi"
    POLICE = "police"
    INSURER = "insurer"
    PROCESSOR = "processor"
    OTHER = "other"


class ExchangeStatus(StrEnum):
    """awaiting_reply: a reply is owed by its reply-by date (a clock of its own: the CNIL's request for more
    information, an art. 34(4) order); answered: the reply was given; no_reply: nothing is owed."""

    AWAITING_REPLY = "awaiting_reply"
    ANSWERED = "answered"
    NO_REPLY = "no_reply"


class TimelineKind(StrEnum):
    """What a dated event of the case is about."""

    DETECTION = "detection"
    CONTAINMENT = "containment"
    PUBLICATION = "publication"
    NOTIFICATION = "notification"
    REPORT = "report"
    LETTERS = "letters"
    IMPORT = "import"
    EXCHANGE = "exchange"
    EVIDENCE = "evidence"
    OTHER = "other"
