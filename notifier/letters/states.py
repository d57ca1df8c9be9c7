"""States of patient letters, of the jobs that generate them and of those jobs' chunks, and the audiences of letter
variants (no Flask or SQLAlchemy here: models, services, runners, views and the CLI import them)."""

from enum import StrEnum


class LetterStatus(StrEnum):
    """A letter's fate (Letter.status, LetterEvent.status), in the order it usually goes through them.

    None (not a member): no final job has generated the letter yet. generated: a final (non-draft) job wrote it in a
    lot. Then, as the print shop and La Poste report back (web, CSV file, command line; any order, every change kept
    in LetterEvent): printed, posted, returned (NPAI, not at this address), resent. public_notice: a returned letter
    replaced by the public communication of GDPR art. 34(3)(c), because it cannot reach the person."""

    GENERATED = "generated"
    PRINTED = "printed"
    POSTED = "posted"
    RETURNED = "returned"
    RESENT = "resent"
    PUBLIC_NOTICE = "public_notice"


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
