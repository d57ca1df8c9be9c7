"""States of patient imports and patient records (no Flask or SQLAlchemy here). Rules: docs/patient-import.md."""

from enum import StrEnum


class ImportStatus(StrEnum):
    """One uploaded patient file.

    mapping: the file is stored and waits for the user to say which column is which; mapping -> running (columns
    confirmed) or -> cancelled (the user dropped the file, or left it at the mapping step). running: rows are stored in
    batches; running -> done, or -> failed (``error`` says why; the batches committed before the failure stay; an
    import whose process died is marked failed "interrupted"). done, failed and cancelled are final."""

    MAPPING = "mapping"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @classmethod
    def finished(cls) -> tuple["ImportStatus", ...]:
        return cls.DONE, cls.FAILED, cls.CANCELLED


class PatientStatus(StrEnum):
    """A patient record: ready for the letter run, or held for a person's review while it has holds (see ``Hold``).
    ready <-> held follows the record's holds, recomputed whenever the record is corrected or a hold cleared."""

    READY = "ready"
    HELD = "held"


class Hold(StrEnum):
    """Why a letter is held for human review instead of being mailed (labels and legal sources:
    notifier/patients/rules/rows.py HOLDS). Stored as codes in Patient.holds, cleared ones in Patient.cleared_holds."""

    MINOR_WITHOUT_REPRESENTATIVE = "minor_without_representative"  # CSP L.1111-2
    MINOR_CONFIDENTIAL_CARE = "minor_confidential_care"  # CSP L.1111-5
    DECEASED = "deceased"  # CSP L.1110-4 V
    PROTECTED_ADULT_WITHOUT_GUARDIAN = "protected_adult_without_guardian"  # CSP L.1111-2
    ADDRESS_ABROAD = "address_abroad"  # NF Z10-011
    ADDRESS_TO_VERIFY = "address_to_verify"  # postcode and city disagree with the official base (rules/postcodes.py)


class Addressee(StrEnum):
    """Who the letter is written to: the patient, or the legal representative of a minor or protected adult
    (CSP L.1111-2), whose name is in Patient.guardian_name. Set at import, from the row."""

    PATIENT = "patient"
    GUARDIAN = "guardian"
