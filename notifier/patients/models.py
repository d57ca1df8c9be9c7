"""The affected patients of a breach, the imports that brought them in, and the column mappings saved for the next
import. Rules: docs/patient-import.md; the service is notifier/patients/services.py."""

from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, validates

from notifier.core.types import UTCDateTime, one_of, utcnow
from notifier.extensions import db
from notifier.patients.states import Addressee, Hold, ImportStatus, PatientStatus

PATIENT_ID_MAX_LENGTH = 64

# Search key: the binary ("C") collation on PostgreSQL so that a prefix range uses the index exactly as on SQLite.
_SEARCH_KEY = String(200).with_variant(String(200, collation="C"), "postgresql")


def codes_in(table: str, column: str, codes: Iterable[StrEnum]) -> CheckConstraint:
    """CHECK that a JSON list column holds only codes of `codes` (named ck_<table>_<column>), portable to SQLite and
    PostgreSQL, neither of which can check the items of a JSON list with a plain CHECK: the column's text with every
    quoted known code removed, then the commas and spaces, must be "[]". Refused: an unknown code, a code not
    quoted, a nested list, a JSON object, `null`. A code written with \\u escapes would be refused too (neither
    json.dumps nor COPY writes one). The models and the migration both call it. A NULL passes, as for one_of."""
    text = column_text = f'CAST("{column}" AS TEXT)'
    for code in codes:
        text = f"replace({text}, '\"{code.value}\"', '')"
    # The empty list first: most patients have no hold, and the replaces then cost nothing (2.3 -> 0.3 µs a row
    # on SQLite for both columns).
    return CheckConstraint(f"{column_text} = '[]' OR replace(replace({text}, ',', ''), ' ', '') = '[]'",
                           name=f"ck_{table}_{column}")


def unknown_holds(codes: Iterable[Any]) -> list[Any]:
    """The items of a holds list that are not Hold codes (empty when the list is valid)."""
    known = {hold.value for hold in Hold}
    return [code for code in codes if not isinstance(code, str) or code not in known]


class PatientImport(db.Model):
    """One uploaded patient file: what was read, accepted, rejected and held. read = accepted + rejected, always."""

    id: Mapped[int] = mapped_column(primary_key=True)
    breach_id: Mapped[int] = mapped_column(ForeignKey("breach.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Heartbeat: written with every batch, so an import whose process died is recognised as interrupted.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default=ImportStatus.RUNNING)
    kind: Mapped[str] = mapped_column(String(10), default="")  # csv | xlsx
    encoding: Mapped[str] = mapped_column(String(20), default="")
    separator: Mapped[str] = mapped_column(String(5), default="")
    headers: Mapped[list[str]] = mapped_column(JSON, default=list)
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # header -> canonical field ("" = ignored)
    mapping_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    letter_date: Mapped[date | None] = mapped_column(Date, nullable=True)  # minority is judged on it
    read: Mapped[int] = mapped_column(default=0)
    accepted: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    held: Mapped[int] = mapped_column(default=0)
    # Counts by code, never values: {"upper_case": 1200, ...} and {"deceased": 12, ...}.
    normalisation_counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    hold_counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    # Rejected rows still waiting for a correction, by reason code (a row with two reasons counts under both).
    rejection_counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    upload_file: Mapped[str | None] = mapped_column(String(255), nullable=True)  # staged upload, under STORAGE_DIR
    rejected_file: Mapped[str | None] = mapped_column(String(255), nullable=True)  # under STORAGE_DIR
    error_code: Mapped[str | None] = mapped_column(String(50), nullable=True)
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    worker: Mapped[str | None] = mapped_column(String(200), nullable=True)  # "host:pid:start" of the importing process
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (one_of("patient_import", "status", ImportStatus),)


class ImportMapping(db.Model):
    """A column mapping saved by name for an organisation's next imports of the same kind of file."""

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    name: Mapped[str] = mapped_column(String(100))
    mapping: Mapped[dict[str, str]] = mapped_column(JSON)  # header -> canonical field ("" = ignore the column)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("organisation_id", "name", name="uq_import_mapping_name"),)


class Patient(db.Model):
    """A person affected by a breach, as imported: the letter's addressee (or the person it is about).

    ``address_lines`` is the NF Z10-011 block computed at import; ``holds`` lists the reasons (codes) the letter is
    held for human review (minor without representative, L.1111-5 confidential care, deceased, ...).
    ``normalisations`` lists every change from the file's text, as ``[field, old, new, reason]``."""

    id: Mapped[int] = mapped_column(primary_key=True)
    breach_id: Mapped[int] = mapped_column(ForeignKey("breach.id"))
    import_id: Mapped[int] = mapped_column(ForeignKey("patient_import.id"))
    row_number: Mapped[int]
    patient_id: Mapped[str] = mapped_column(String(PATIENT_ID_MAX_LENGTH))  # IPP
    civility: Mapped[str | None] = mapped_column(String(10), nullable=True)  # "m" | "mme" | ""
    first_name: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_name: Mapped[str] = mapped_column(Text)
    birth_date: Mapped[date | None] = mapped_column(nullable=True)
    # The address as the file gave it (cleaned), kept so that a held record can be corrected by hand.
    address_line2: Mapped[str | None] = mapped_column(Text, nullable=True)
    address_line3: Mapped[str | None] = mapped_column(Text, nullable=True)
    street: Mapped[str | None] = mapped_column(Text, nullable=True)
    address_line5: Mapped[str | None] = mapped_column(Text, nullable=True)
    address_lines: Mapped[list[str]] = mapped_column(JSON)
    postcode: Mapped[str | None] = mapped_column(String(20), nullable=True)
    city: Mapped[str | None] = mapped_column(Text, nullable=True)
    country: Mapped[str | None] = mapped_column(Text, nullable=True)
    email: Mapped[str | None] = mapped_column(Text, nullable=True)
    guardian_name: Mapped[str | None] = mapped_column(Text, nullable=True)
    segment: Mapped[str | None] = mapped_column(Text, nullable=True)
    deceased: Mapped[bool] = mapped_column(default=False)
    protected_adult: Mapped[bool] = mapped_column(default=False)
    confidential_care: Mapped[bool] = mapped_column(default=False)
    minor: Mapped[bool] = mapped_column(default=False)  # on the import's letter date
    addressee: Mapped[str] = mapped_column(String(10), default=Addressee.PATIENT)
    status: Mapped[str] = mapped_column(String(10), default=PatientStatus.READY)
    holds: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Holds a person reviewed and cleared (with a reason): not raised again when the record is corrected.
    cleared_holds: Mapped[list[str]] = mapped_column(JSON, default=list)
    review_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    normalisations: Mapped[list[Any]] = mapped_column(JSON, default=list)
    salutation: Mapped[str | None] = mapped_column(String(150), nullable=True)
    # LAST NAME and first name in capitals without accents, spaces or punctuation: search by prefix and sort order.
    name_key: Mapped[str] = mapped_column(_SEARCH_KEY, default="")

    __table_args__ = (
        # Duplicate IPP within a breach, across imports, is refused (issue: "across imports").
        UniqueConstraint("breach_id", "patient_id", name="uq_patient_breach_ipp"),
        Index("ix_patient_breach_postcode", "breach_id", "postcode", "id"),
        Index("ix_patient_breach_name_key", "breach_id", "name_key", "id"),
        Index("ix_patient_breach_status", "breach_id", "status"),
        one_of("patient", "status", PatientStatus),
        one_of("patient", "addressee", Addressee),
        # The hold codes are a closed vocabulary (states.Hold, rules.rows.HOLDS): the letter run and the counts
        # read them, so an unknown code would hold a letter for a reason nobody can read or clear.
        codes_in("patient", "holds", Hold),
        codes_in("patient", "cleared_holds", Hold),
    )

    @validates("holds", "cleared_holds")
    def _known_holds(self, key: str, codes: list[str] | None) -> list[str] | None:
        """Model-level check of the same vocabulary, with a readable error before the database's CHECK."""
        if codes is not None:
            if not isinstance(codes, list):
                raise ValueError(f"{key} must be a list of hold codes")
            unknown = unknown_holds(codes)
            if unknown:
                raise ValueError(f"unknown hold code in {key}: {', '.join(map(repr, unknown))}")
        return codes


class RejectedLine(db.Model):
    """A row of an import that the checks rejected, kept so that the DPO sees why on the import page and can correct
    it in the browser (issue 13.10). ``cells`` holds the row as read, keyed by the file's headers (patient data:
    deleted with the patients, ``services.forget_patients``); ``errors`` the reasons as ``[field, code, value]``.
    Pending while ``fixed_at`` is empty; once corrected and accepted, ``patient_pk`` is the patient it became."""

    __tablename__ = "rejected_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("patient_import.id"))
    breach_id: Mapped[int] = mapped_column(ForeignKey("breach.id"))
    row_number: Mapped[int]
    cells: Mapped[dict[str, str]] = mapped_column(JSON)
    errors: Mapped[list[Any]] = mapped_column(JSON)
    fixed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    fixed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    patient_pk: Mapped[int | None] = mapped_column(ForeignKey("patient.id", ondelete="SET NULL"), nullable=True)

    __table_args__ = (Index("ix_rejected_line_import_row", "import_id", "row_number"),)
