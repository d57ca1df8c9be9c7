"""States of patient letters, of the jobs that generate them and of those jobs' chunks, and the audiences of letter
variants (no Flask or SQLAlchemy here: models, services, runners, views and the CLI import them)."""

from enum import StrEnum


class LetterStatus(StrEnum):
    """A letter's fate (Letter.status, LetterEvent.status), in the order it usually goes through them.

    None (not a member): no final job has generated the letter yet. generated: a final (non-draft) job wrote it in a
    lot. Then, as the print shop and La Poste report back (web, CSV file, command line; any order, every change kept
    in LetterEvent): printed, posted, returned (NPAI, not at this address), resent. public_notice: a returned letter
    replaced by the public communication of GDPR art. 34(3)(c), because it cannot reach the person. emailed: a
    returned letter replaced by an e-mail of the same approved text to the address the patient gave (art. 34(1): a
    direct communication; letters/returns.py)."""

    GENERATED = "generated"
    PRINTED = "printed"
    POSTED = "posted"
    RETURNED = "returned"
    RESENT = "resent"
    PUBLIC_NOTICE = "public_notice"
    EMAILED = "emailed"


class JobStatus(StrEnum):
    """A letter generation run (LetterJob.status).

    running: its chunks are pending or being rendered; running -> finishing: the one process that found every chunk
    done claims the job to write manifest.csv; finishing -> done, or -> failed when the manifest cannot be written.
    running -> failed: a chunk failed (after MAX_ATTEMPTS dead workers, or an error); a failed job is resumed (back to
    running, its failed chunks pending again) by starting the same job again. running, finishing or failed ->
    superseded: a different job was started for the breach. done and superseded are final."""

    RUNNING = "running"
    FINISHING = "finishing"
    DONE = "done"
    FAILED = "failed"
    SUPERSEDED = "superseded"

    @classmethod
    def unfinished(cls) -> tuple["JobStatus", ...]:
        """The jobs a new start may resume or supersede."""
        return cls.RUNNING, cls.FINISHING, cls.FAILED

    @classmethod
    def finished(cls) -> tuple["JobStatus", ...]:
        """What the progress bar reports as the end."""
        return cls.DONE, cls.FAILED, cls.SUPERSEDED


class ChunkStatus(StrEnum):
    """One lot of a job (LetterChunk.status).

    pending -> running: a process claims it (``worker``, ``attempts`` + 1); running -> done: the lot file and its
    manifest rows are recorded; running -> failed: rendering raised (error kept). running -> pending: its process died
    or its lease ran out, fewer than MAX_ATTEMPTS times (then -> failed). failed -> pending when the job is resumed."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Audience(StrEnum):
    """Who a letter variant writes to (LetterTemplate.audience): any addressee; the patients themselves; a minor's or
    protected adult's legal representative (CSP L.1111-2); a deceased patient's heirs (CSP L.1110-4 V). A variant
    with an audience wins over an ``any`` one for its patients."""

    ANY = "any"
    PATIENTS = "patients"
    REPRESENTATIVES = "representatives"
    HEIRS = "heirs"


class ReviewKind(StrEnum):
    """A step of a letter template's four-eyes review (LetterReview.kind), GDPR art. 5(2) and 24 (accountability):
    submitted (a version the DPO saved, complete, for approval) -> changes_requested (legal sends it back with a
    comment the DPO sees) or approved (legal approves, with an optional comment). A new version is a new
    submission; a version with changes requested can no longer be approved."""

    SUBMITTED = "submitted"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"


class Channel(StrEnum):
    """How a letter variant reaches its patients (LetterTemplate.channel). GDPR art. 34(1) asks for a direct
    communication to the person; an e-mail to the address the patient gave is one (EDPB Guidelines 9/2022, point
    on art. 34: "direct messaging, e-mail, SMS"), and costs no postage.

    paper: a letter for everyone. email_else_paper: an e-mail where the patient file gives an address, a letter for
    the others and for those whose e-mail was refused or bounced. both: a letter for everyone and an e-mail too."""

    PAPER = "paper"
    EMAIL_ELSE_PAPER = "email_else_paper"
    BOTH = "both"

    @classmethod
    def with_email(cls) -> tuple["Channel", ...]:
        return cls.EMAIL_ELSE_PAPER, cls.BOTH


class JobKind(StrEnum):
    """What a job's chunks do (LetterJob.kind): letters render lots of PDF letters; email sends the variant's text
    by e-mail, one message per patient, through the SMTP relay (notifier/core/mail.py)."""

    LETTERS = "letters"
    EMAIL = "email"


class EmailStatus(StrEnum):
    """One patient's e-mail (LetterEmail.status).

    queued: planned by an e-mail job, not yet accepted (``attempted_at`` says a worker started sending it: a
    worker killed at that moment leaves it queued, and the next run sends it again with the same Message-ID).
    queued -> sent: the relay accepted it (250, its queue id kept). queued -> refused: the relay refused it (its
    code and text kept). sent -> bounced: a delivery-status notification (RFC 3464) or the relay's CSV says it
    could not be delivered. refused and bounced are final, and put the patient into the next letter job."""

    QUEUED = "queued"
    SENT = "sent"
    REFUSED = "refused"
    BOUNCED = "bounced"

    @classmethod
    def failed(cls) -> tuple["EmailStatus", ...]:
        return cls.REFUSED, cls.BOUNCED
