"""The affected patients of a breach in the database: import a CSV/XLSX list in batches, list and search them, fix
a held record by hand, and forget them when the retention period is over.

The rules (reading, mapping, row checks, NF Z10-011 address block, holds) are the domain's
(`notifier.patients.rules.rows`, docs/patient-import.md); this module stores what they decide. The web page and
the `notifier patients` command call the same functions:

    imp = begin_import(breach, path, filename, user=user)           # inspect; ImportFileError when unusable
    confirm_mapping(imp, mapping, user=user)                         # ImportFileError when a column is missing
    process_import(imp.id, source=path)                              # rows stored in batches of BATCH_SIZE

Memory stays flat whatever the file size: the upload is streamed to a file under STORAGE_DIR, rows are read one at
a time, written with one bulk statement per batch (COPY on PostgreSQL, executemany on SQLite; no ORM object per
row) and committed per batch, and the rejected rows are written to their CSV as they come. Only the set of the
breach's patient IDs is kept, to refuse duplicates across imports (about 100 bytes a patient).

Transactions: the import is a long job that other processes watch and resume, so `begin_import`, `confirm_mapping`,
`process_import` (one commit per batch), `import_file` and `fail_stale_imports` commit their own progress. The other
use cases (`cancel_import`, `fix_patient`, `purge`, `rejected_download`, `save_mapping`...) flush and leave the
commit to the request or the command.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import secrets
import threading
from collections import Counter
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import islice
from json.encoder import c_make_encoder, encode_basestring
from operator import itemgetter
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from sqlalchemy import Text, cast, delete, func, insert, select, tuple_, update

from notifier.accounts.models import User
from notifier.audit import services as audit
from notifier.breaches.closing import ensure_open
from notifier.breaches.models import Breach
from notifier.breaches.states import BreachStatus
from notifier.core import events
from notifier.core.background import BackgroundWork
from notifier.core.formatting import format_count  # noqa: F401 - the patients page formats its counts
from notifier.core.i18n import N_, translate
from notifier.core.logs import short_error
from notifier.core.processes import owner_alive, process_identity
from notifier.core.types import utcnow
from notifier.extensions import db
from notifier.patients.models import PATIENT_ID_MAX_LENGTH, ImportMapping, Patient, PatientImport, RejectedLine
from notifier.patients.rules.addresses import FieldProblem, without_accents
from notifier.patients.rules.addresses import is_france as addresses_is_france
from notifier.patients.rules.addresses import salutation as addresses_salutation
from notifier.patients.rules.files import XlsxLimits, inspect_file, iter_records
from notifier.patients.rules.postcodes import PostcodeBase, PostcodeCheck, postcode_base
from notifier.patients.rules.rows import (
    FIELDS,
    HOLDS,
    ROW_ERRORS,
    AcceptedRow,
    ImportFileError,
    RejectedRow,
    RowError,
    check_mapping,
    check_values,
    describe_error,
    detect_mapping,
    error_codes,
    fields_of,
    missing_fields,
    open_patient_file,
    write_rejected_csv,
)
from notifier.patients.states import ImportStatus, PatientStatus

BATCH_SIZE = 10_000  # rows per transaction: 5,000 spent twice as long in commits (WAL checkpoints) at 750,000
IMPORTS_DIR = "imports"  # under STORAGE_DIR: staged uploads and rejected-rows files, random names, mode 0600
STALE_AFTER = timedelta(minutes=10)  # a running import without a batch for this long was interrupted
MAPPING_KEPT = timedelta(days=1)  # an upload left waiting for its columns is deleted after this
PAGE_SIZE = 50
_CHUNK = 1 << 20


class ImportRefused(Exception):
    """The request cannot go on (not a file problem: those are the domain's ImportFileError)."""

    MESSAGES = {
        "import_running": N_("Un import est déjà en cours pour cette violation : attendez qu'il se termine."),
        "not_waiting": N_("Cet import n'attend plus de correspondance de colonnes."),
        "unknown_mapping": N_("Aucune correspondance enregistrée sous ce nom : {detail}."),
        "mapping_name": N_("Nom de correspondance invalide (1 à 100 caractères)."),
    }

    def __init__(self, code: str, detail: str = ""):
        self.code = code
        self.detail = detail
        super().__init__(self.message("en"))

    def message(self, lang: str = "fr") -> str:
        return translate(self.MESSAGES[self.code], lang).format(detail=self.detail)


def paris_today() -> date:
    return datetime.now(ZoneInfo(current_app.config.get("TIMEZONE", "Europe/Paris"))).date()


# --- Files under STORAGE_DIR -----------------------------------------------------------------------------------------

def storage_path(name: str) -> Path:
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError("not a storage name")
    return Path(current_app.config["STORAGE_DIR"]) / IMPORTS_DIR / name


def _new_storage_file(suffix: str) -> tuple[str, IO[bytes]]:
    """A new file with a random, non-guessable name (128 bits), readable by the application user only."""
    name = f"{secrets.token_hex(16)}{suffix}"
    path = storage_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    return name, os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")


def _remove(name: str | None) -> None:
    if name:
        storage_path(name).unlink(missing_ok=True)


def file_limits() -> dict[str, Any]:
    """The settings that bound a hostile file, as keyword arguments of open_patient_file and inspect_file."""
    config = current_app.config
    defaults = XlsxLimits()
    member = int(config.get("IMPORT_XLSX_MAX_MEMBER_BYTES", defaults.max_member_bytes))
    return {"max_columns": int(config.get("IMPORT_MAX_COLUMNS", 200)),
            "xlsx_limits": XlsxLimits(max_member_bytes=member,
                                      max_total_bytes=max(defaults.max_total_bytes, 3 * member),
                                      max_ratio=int(config.get("IMPORT_XLSX_MAX_RATIO", defaults.max_ratio)),
                                      max_shared_strings=int(config.get("IMPORT_XLSX_MAX_STRINGS",
                                                                        defaults.max_shared_strings)))}


def address_base() -> PostcodeBase | None:
    """The official postcode base the import checks French addresses against (rules/postcodes.py), or None when the
    ADDRESS_CHECK setting (NOTIFIER_ADDRESS_CHECK) turns the check off."""
    return postcode_base() if current_app.config.get("ADDRESS_CHECK", True) else None


def check_postcode(postcode: str, city: str, country: str = "") -> PostcodeCheck | None:
    """What the base says about a French postcode and city when they disagree (with its suggestions); None when they
    agree, when the address is abroad or not checkable (no city, not 4 or 5 digits: the form checks say why), or when
    the check is turned off."""
    base = address_base()
    if base is None or (country and not addresses_is_france(country)):
        return None
    postcode = " ".join((postcode or "").split()).replace(" ", "")
    city = " ".join((city or "").split())
    if not (postcode.isdigit() and postcode.isascii() and len(postcode) in (4, 5)) or not city:
        return None
    found = base.check(postcode, city)
    return None if found.ok else found


def address_check(patient: Patient) -> PostcodeCheck | None:
    """check_postcode for a patient's stored address (the fix page of a patient held `address_to_verify`)."""
    return check_postcode(patient.postcode or "", patient.city or "", patient.country or "")


def stage_upload(stream: IO[bytes]) -> tuple[str, str]:
    """Copy an uploaded file to STORAGE_DIR in 1 MiB chunks (never whole in memory): (storage name, SHA-256)."""
    digest = hashlib.sha256()
    name, out = _new_storage_file(".upload")
    try:
        with out:
            while chunk := stream.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        _remove(name)
        raise
    return name, digest.hexdigest()


def file_sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def rejected_path(imp: PatientImport) -> Path | None:
    return storage_path(imp.rejected_file) if imp.rejected_file else None


def rejected_download(imp: PatientImport, *, user: User | None, lang: str = "fr") -> Path | None:
    """The rejected-rows CSV to hand to the user, recorded in the audit trail (flushed), or None when there is none.
    Once rows were corrected in the browser, the file is written again without them."""
    if imp.rejected_file and db.session.scalar(select(func.count()).select_from(RejectedLine).where(
            RejectedLine.import_id == imp.id, RejectedLine.fixed_at.is_not(None))):
        _rewrite_rejected_file(imp, lang)
    path = rejected_path(imp)
    if path is None or not path.is_file():
        return None
    audit.record("patients.rejected_download", user=user, obj=imp, breach_id=imp.breach_id,
                 details={"rows": imp.rejected})
    return path


# --- Saved mappings --------------------------------------------------------------------------------------------------

def saved_mappings(organisation_id: int) -> list[ImportMapping]:
    return list(db.session.scalars(select(ImportMapping).where(ImportMapping.organisation_id == organisation_id)
                                   .order_by(ImportMapping.name)))


def get_saved_mapping(organisation_id: int, name: str) -> ImportMapping | None:
    return db.session.scalar(select(ImportMapping).where(ImportMapping.organisation_id == organisation_id,
                                                         ImportMapping.name == name.strip()))


def save_mapping(organisation_id: int, name: str, mapping: dict[str, str], *, user: User | None) -> ImportMapping:
    """Save (or replace) a mapping under a name, for the organisation's next imports. Flushed, not committed."""
    name = " ".join(name.split())
    if not name or len(name) > 100:
        raise ImportRefused("mapping_name")
    saved = get_saved_mapping(organisation_id, name)
    if saved is None:
        saved = ImportMapping(organisation_id=organisation_id, name=name, mapping={})
        db.session.add(saved)
    saved.mapping = dict(mapping)
    saved.created_by_id = user.id if user else None
    saved.updated_at = utcnow()
    db.session.flush()
    audit.record("patients.mapping_saved", user=user, obj=saved, organisation_id=organisation_id,
                 details={"name": name, "columns": len(mapping)})
    return saved


def suggested_mapping(organisation_id: int, headers: list[str]) -> ImportMapping | None:
    """A saved mapping that decides every header of this file, if there is one: offered on the mapping screen."""
    for saved in saved_mappings(organisation_id):
        if all(header in saved.mapping for header in headers):
            return saved
    return None


# --- Import: inspect, map, store -------------------------------------------------------------------------------------

def undecided_headers(imp: PatientImport) -> list[str]:
    """Headers neither recognised nor explicitly ignored: the user must say what they are."""
    return [header for header in imp.headers if header not in imp.mapping]


def needs_mapping(imp: PatientImport) -> bool:
    return bool(undecided_headers(imp) or missing_fields({h: f for h, f in imp.mapping.items() if f}))


def proposed_mapping(imp: PatientImport, saved: ImportMapping | None) -> dict[str, str]:
    """The columns proposed on the mapping screen: the import's detection, or detection with a saved mapping over
    it (its ignored columns included)."""
    if saved is None:
        return dict(imp.mapping)
    return _with_saved(imp.headers, saved.mapping)


def _with_saved(headers: list[str], saved: dict[str, str]) -> dict[str, str]:
    chosen = dict(detect_mapping(headers, saved).mapping)
    chosen.update({header: "" for header, field in saved.items() if not field and header in headers})
    return {header: chosen[header] for header in headers if header in chosen}


def sample_values(imp: PatientImport, count: int = 3) -> list[list[str]]:
    """The first values of each column of a stored upload, to help recognise it on the mapping screen (a page for
    the users who may see the patients)."""
    samples: list[list[str]] = [[] for _ in imp.headers]
    if not imp.upload_file:
        return samples
    path = storage_path(imp.upload_file)
    try:
        with closing(iter_records(path, inspect_file(path, imp.filename, **file_limits()))) as records:
            for _row_number, cells in islice(records, count):
                for index, value in enumerate(cells[:len(samples)]):
                    if value.strip():
                        samples[index].append(value.strip()[:60])
    except (ImportFileError, OSError):
        pass  # the samples are a help; the import itself reports a damaged file
    return samples


def begin_import(breach: Breach, source: str | os.PathLike, filename: str, *, user: User | None, sha256: str,
                 mapping_name: str | None = None, staged: str | None = None,
                 letter_date: date | None = None) -> PatientImport:
    """Inspect the file (kind, encoding, separator, headers) and detect its columns, a saved mapping applied over
    detection. Returns the import, committed in status "mapping". ImportFileError when the file is unusable (the
    staged upload is then deleted and nothing but an audit entry is kept)."""
    saved = None
    try:
        ensure_open(breach)
        sweep_staging()  # what earlier imports left behind (a killed process) goes now
        if mapping_name:
            saved = get_saved_mapping(breach.organisation_id, mapping_name)
            if saved is None:
                raise ImportRefused("unknown_mapping", mapping_name)
        patient_file = open_patient_file(source, filename, saved_mapping=saved.mapping if saved else None,
                                         **file_limits())
    except ImportFileError as error:
        _remove(staged)
        audit.record("patients.import_refused", user=user, obj=breach, details={"code": error.code})
        db.session.commit()
        raise
    except BaseException:
        _remove(staged)
        raise
    headers = list(patient_file.headers)
    # A saved choice to ignore a column is a decision too.
    mapping = _with_saved(headers, saved.mapping) if saved else dict(patient_file.detected_mapping.mapping)
    imp = PatientImport(
        breach_id=breach.id, filename=(re.split(r"[\\/]", filename)[-1] or "patients")[-255:], sha256=sha256,
        uploaded_by_id=user.id if user else None, status=ImportStatus.MAPPING, kind=patient_file.kind,
        encoding=patient_file.encoding or "", separator=patient_file.separator or "", headers=headers,
        mapping={header: mapping[header] for header in headers if header in mapping},
        mapping_name=saved.name if saved else None, letter_date=letter_date, upload_file=staged,
        started_at=utcnow(), updated_at=utcnow(),
    )
    db.session.add(imp)
    db.session.flush()
    audit.record("patients.upload", user=user, obj=imp, breach_id=breach.id,
                 details={"kind": imp.kind, "sha256": sha256, "columns": len(headers)})
    db.session.commit()
    return imp


def confirm_mapping(imp: PatientImport, mapping: dict[str, str], *, user: User | None,
                    save_as: str | None = None) -> PatientImport:
    """Fix the columns of an import waiting in status "mapping" and mark it running (committed).

    `mapping` is {header: field} for every header the user decided ("" ignores a column); headers it leaves out
    are ignored. ImportFileError (invalid_mapping, missing_columns) leaves the import waiting."""
    if imp.status != ImportStatus.MAPPING:
        raise ImportRefused("not_waiting")
    ensure_open(db.session.get(Breach, imp.breach_id))
    mapping = {header: (mapping.get(header) or "") for header in imp.headers}
    check_mapping(imp.headers, mapping)
    _refuse_concurrent(imp)
    if save_as:
        breach = db.session.get(Breach, imp.breach_id)
        save_mapping(breach.organisation_id, save_as, mapping, user=user)
        imp.mapping_name = " ".join(save_as.split())
    imp.mapping = mapping
    imp.status = ImportStatus.RUNNING
    imp.updated_at = utcnow()
    imp.letter_date = imp.letter_date or paris_today()
    audit.record("patients.import", user=user, obj=imp, breach_id=imp.breach_id,
                 details={"columns": sum(1 for field in mapping.values() if field),
                          "ignored": sum(1 for field in mapping.values() if not field)})
    db.session.commit()
    return imp


def _refuse_concurrent(imp: PatientImport) -> None:
    """One import at a time per breach: two would check duplicates against the same list."""
    fail_stale_imports(imp.breach_id)
    running = db.session.scalar(select(func.count()).select_from(PatientImport).where(
        PatientImport.breach_id == imp.breach_id, PatientImport.status == ImportStatus.RUNNING,
        PatientImport.id != imp.id))
    if running:
        raise ImportRefused("import_running")


def cancel_import(imp: PatientImport, *, user: User | None) -> None:
    """Drop an import still waiting for its mapping: its stored file is deleted."""
    if imp.status != ImportStatus.MAPPING:
        raise ImportRefused("not_waiting")
    _remove(imp.upload_file)
    imp.upload_file = None
    imp.status = ImportStatus.CANCELLED
    imp.finished_at = utcnow()
    audit.record("patients.import_cancelled", user=user, obj=imp, breach_id=imp.breach_id)


def fail_stale_imports(breach_id: int | None, *, now: datetime | None = None) -> int:
    """Mark failed the imports left running by a process that died: at once when that process was on this machine
    (killed, crashed: processes.owner_alive), otherwise after STALE_AFTER without a batch. Drop the files of uploads
    left waiting for their mapping for MAPPING_KEPT (patients' data is not kept for nothing). `breach_id` None: the
    imports of every breach (the staging sweep)."""
    now = now or utcnow()
    of_breach = [PatientImport.breach_id == breach_id] if breach_id is not None else []
    stale = [imp for imp in db.session.scalars(select(PatientImport).where(
        *of_breach, PatientImport.status == ImportStatus.RUNNING))
        if imp.updated_at < now - STALE_AFTER or (imp.worker and owner_alive(imp.worker) is False)]
    for imp in stale:
        imp.status, imp.error_code, imp.finished_at = ImportStatus.FAILED, "interrupted", now
        imp.error = ("Import interrompu (arrêt du serveur ?) : les lots déjà enregistrés sont conservés ; "
                     "réimportez le fichier, les patients déjà importés seront signalés en doublon.")
        _remove(imp.upload_file)
        imp.upload_file = None
    abandoned = list(db.session.scalars(select(PatientImport).where(
        *of_breach, PatientImport.status == ImportStatus.MAPPING,
        PatientImport.updated_at < now - MAPPING_KEPT)))
    for imp in abandoned:
        imp.status, imp.finished_at = ImportStatus.CANCELLED, now
        _remove(imp.upload_file)
        imp.upload_file = None
    if stale or abandoned:
        db.session.commit()
    return len(stale)


STAGING_GRACE = timedelta(hours=1)  # a file without an import row yet is being staged by a request right now
_REJECTS_SUFFIX = ".rejects.csv"  # "<random>.<import id>.rejects.csv": the sweep knows whose it is


def sweep_staging(*, now: datetime | None = None) -> dict[str, int]:
    """Delete the files under STORAGE_DIR/imports that no import needs any more (issue 12, point 15): uploads and
    partial rejected-rows files of imports that ended, were cancelled or whose process died (a kill -9 leaves
    them behind), and files that no import row names once STAGING_GRACE has passed (a crash between staging and
    inspection). Kept: the upload of an import waiting for its mapping or running in a live process, its partial
    rejected rows, and the rejected-rows files offered for download. Run at each new import and by
    `notifier patients clean-staging`. Returns {"interrupted": imports marked failed, "deleted": files}."""
    now = now or utcnow()
    folder = Path(current_app.config["STORAGE_DIR"]) / IMPORTS_DIR
    before = set(os.listdir(folder)) if folder.is_dir() else set()
    interrupted = fail_stale_imports(None, now=now)  # deletes the uploads of the imports it fails
    if not before:
        return {"interrupted": interrupted, "deleted": 0}
    needed: set[str] = set()
    live: set[int] = set()
    for upload, rejected, status, import_id in db.session.execute(select(
            PatientImport.upload_file, PatientImport.rejected_file, PatientImport.status, PatientImport.id)):
        if rejected:
            needed.add(rejected)
        if status in ("mapping", "running") and upload:
            needed.add(upload)
        if status == "running":
            live.add(import_id)
    db.session.commit()  # end the read transaction: the sweep holds nothing while it deletes
    cutoff = (now - STAGING_GRACE).timestamp()
    for entry in os.scandir(folder):
        if not entry.is_file(follow_symlinks=False) or entry.name in needed:
            continue
        owner = _rejects_owner(entry.name)
        if owner is not None and owner in live:
            continue
        if owner is None and entry.stat(follow_symlinks=False).st_mtime > cutoff:
            continue  # no import row names it yet: maybe a request staging it now
        Path(entry.path).unlink(missing_ok=True)
    return {"interrupted": interrupted, "deleted": len(before - set(os.listdir(folder)))}


def _rejects_owner(name: str) -> int | None:
    if not name.endswith(_REJECTS_SUFFIX):
        return None
    number = name[:-len(_REJECTS_SUFFIX)].rpartition(".")[2]
    return int(number) if number.isdigit() else None


@dataclass
class _Progress:
    read: int = 0
    accepted: int = 0
    committed: int = 0  # accepted rows stored by committed batches
    rejected: int = 0
    held: int = 0
    held_committed: int = 0
    first_row_of_batch: int = 0  # file row where the batch in progress starts


class _TooLong(RejectedRow):
    """A value longer than its column (an IPP of 200 characters is a wrong column, not an IPP)."""

    __slots__ = ()

    def messages(self, lang: str = "fr") -> list[str]:
        field, limit = self.errors[0].field, self.errors[0].value
        label = translate(FIELDS[field], lang)
        if lang == "en":
            return [f"Value too long: {label} has at most {limit} characters"]
        return [f"Valeur trop longue : {label} compte au plus {limit} caractères"]


POSTCODE_MAX_LENGTH = 20
_COLUMN_LIMITS = (("patient_id", PATIENT_ID_MAX_LENGTH), ("postcode", POSTCODE_MAX_LENGTH))
_reason = itemgetter(3)  # Normalisation(field, old, new, reason)

def salutation(civility: str | None, addressee: str, deceased: bool, minor: bool = False) -> str:
    """The French salutation stored with the patient (rules.addresses.salutation): the civility's, unless the
    letter goes to a legal representative or to the heirs, or the patient is a minor (never the child's civility)."""
    key = (civility, addressee, deceased, minor)
    found = _salutations.get(key)
    if found is None:
        found = addresses_salutation(civility, "fr", known_reader=addressee == "patient" and not deceased,
                                     minor=minor)
        if len(_salutations) < 1000:
            _salutations[key] = found
    return found


_salutations: dict[tuple, str] = {}  # a few civilities x addressees x 2 x 2: a small, closed set


_KEY_DROP = re.compile(r"[\W_]+")
_word_keys: dict[str, str] = {}


def search_key(text: str) -> str:
    """'Le Goff' -> 'LEGOFF', 'N'Diaye Léa' -> 'NDIAYELEA': what a search prefix is compared with."""
    return _KEY_DROP.sub("", without_accents(text)).upper()[:200]


def _word_key(text: str) -> str:
    key = _word_keys.get(text)
    if key is None:
        key = search_key(text)
        if len(_word_keys) < 100_000:  # names repeat: a few tens of thousands of last and first names
            _word_keys[text] = key
    return key


def name_key(last_name: str, first_name: str | None) -> str:
    """search_key(last name + first name), from the keys of each (spaces are dropped, so they concatenate)."""
    return (_word_key(last_name) + _word_key(first_name or ""))[:200]


def process_import(import_id: int, *, source: str | os.PathLike | None = None, lang: str = "fr",
                   batch_size: int = BATCH_SIZE, today: date | None = None) -> PatientImport:
    """Validate and store the rows of a running import, in batches of `batch_size` rows committed one at a time,
    updating the import's counters with each batch (a page polls them). Returns the import, done or failed.

    A failure (a file damaged further on, the database) rolls back the batch in progress, keeps the batches already
    committed and every earlier import, and ends the import `failed` with the reason."""
    imp = db.session.get(PatientImport, import_id)
    if imp is None or imp.status != ImportStatus.RUNNING:
        raise ImportRefused("not_waiting")
    breach_id, headers, mapping = imp.breach_id, list(imp.headers), dict(imp.mapping)
    user = db.session.get(User, imp.uploaded_by_id) if imp.uploaded_by_id else None
    today = today or paris_today()
    letter_date = imp.letter_date or today
    staged = imp.upload_file
    source = source if source is not None else storage_path(staged)
    progress = _Progress()
    normalisation_counts: Counter[str] = Counter()
    hold_counts: Counter[str] = Counter()
    rejection_counts: Counter[str] = Counter()
    filename = imp.filename
    imp.worker = process_identity()  # a kill -9 of this process is then seen at once (fail_stale_imports)
    db.session.commit()  # the rows go through a connection of their own, one transaction per batch
    rejected_name, rejected_out = _new_storage_file(f".{import_id}{_REJECTS_SUFFIX}")
    try:
        patient_file = open_patient_file(source, filename, saved_mapping=mapping, **file_limits())
        if list(patient_file.headers) != headers:
            raise ImportFileError("invalid_mapping", "le fichier a changé depuis son inspection")
        with db.engine.connect() as connection, _large_page_cache(connection):
            seen_ids = set(connection.scalars(select(Patient.patient_id).where(Patient.breach_id == breach_id)))
            rows = patient_file.rows(mapping, today=today, letter_date=letter_date, seen_ids=seen_ids,
                                     postcodes=address_base())
            with rejected_out:
                write_rejected_csv(rejected_out, headers, _store_rows(
                    connection, rows, import_id, breach_id, batch_size, progress, normalisation_counts,
                    hold_counts, mapping, rejection_counts), lang=lang)
    except Exception as error:  # noqa: BLE001 - any failure ends the import "failed" with its reason
        db.session.rollback()
        if isinstance(error, ImportFileError):
            code, message = error.code, error.message(lang)
        else:
            code, message = "internal", short_error(error)
            current_app.logger.error("patient import %s failed: %s", import_id, message)
        where = (f" (lot commençant ligne {progress.first_row_of_batch})" if progress.first_row_of_batch
                 and code not in ("malformed_csv",) else "")
        imp = _finish(import_id, progress, normalisation_counts, hold_counts, rejected_name,
                      status=ImportStatus.FAILED, error_code=code, error=f"{message}{where}", user=user)
        imp.rejection_counts = _pending_counts(import_id)  # what the committed batches kept
        db.session.commit()
    else:
        # With no rejected row the file holds only its header: _finish deletes it (it was left behind before).
        imp = _finish(import_id, progress, normalisation_counts, hold_counts, rejected_name, status=ImportStatus.DONE,
                      user=user)
        imp.rejection_counts = dict(rejection_counts)
        db.session.commit()
    finally:
        rejected_out.close()
        _remove(staged)
    return imp


# The columns an import writes, in the order of the rows the batch writer receives.
_INSERT_COLUMNS = (
    "breach_id", "import_id", "row_number", "patient_id", "civility", "first_name", "last_name", "birth_date",
    "address_line2", "address_line3", "street", "address_line5", "address_lines", "postcode", "city", "country",
    "email", "guardian_name", "segment", "deceased", "protected_adult", "confidential_care", "minor", "addressee",
    "status", "holds", "cleared_holds", "normalisations", "salutation", "name_key",
)


def _not_serialisable(value):
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


# One C encoder made once (json.dumps makes a new one per call): 1 µs less per value, 2 values a row.
_c_encoder = c_make_encoder and c_make_encoder(None, _not_serialisable, encode_basestring, None, ":", ",", False,
                                               False, True)


def _to_json(value) -> str:
    return "".join(_c_encoder(value, 0)) if _c_encoder else json.dumps(value, separators=(",", ":"))


class _BatchWriter:
    """Writes a batch of patient rows in one round: COPY on PostgreSQL, one executemany on SQLite (the DBAPI
    directly: SQLAlchemy's per-row parameter processing cost more than SQLite itself), a Core executemany insert
    elsewhere. Measured in `notifier bench import`. Rows are tuples in _INSERT_COLUMNS order, JSON columns already
    serialised and dates as the dialect stores them (`json_value`, `date_value`)."""

    def __init__(self, connection):
        self.dialect = connection.dialect.name
        columns = ", ".join(_INSERT_COLUMNS)
        if self.dialect == "postgresql":
            self.sql = f"COPY patient ({columns}) FROM STDIN"
        elif self.dialect == "sqlite":
            self.sql = f"INSERT INTO patient ({columns}) VALUES ({', '.join('?' * len(_INSERT_COLUMNS))})"  # noqa: S608
        self.json_value = _to_json if self.dialect in ("postgresql", "sqlite") else _identity
        self.date_value = _iso_date if self.dialect == "sqlite" else _identity

    def write(self, connection, rows: list[tuple]) -> None:
        if self.dialect == "postgresql":
            with connection.connection.cursor() as cursor, cursor.copy(self.sql) as copy:
                for row in rows:
                    copy.write_row(row)
        elif self.dialect == "sqlite":
            connection.exec_driver_sql(self.sql, rows)
        else:
            connection.execute(insert(Patient.__table__), [dict(zip(_INSERT_COLUMNS, row, strict=True))
                                                           for row in rows])


def _identity(value):
    return value


def _iso_date(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


IMPORT_CACHE_KIB = 16 << 10


@contextmanager
def _large_page_cache(connection):
    """SQLite: a 16 MiB page cache on the import's connection instead of the default 2 MiB. The four indexes of
    `patient` take pages all over the file, and with the default cache many index inserts read their page again
    (7% of the whole import at 750,000 rows; more cache than 16 MiB bought no time, docs/patient-import.md). Put
    back afterwards: the connection returns to the pool."""
    if connection.dialect.name != "sqlite":
        yield
        return
    previous = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size=-{IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        try:
            connection.rollback()  # after a failure the transaction must end first; a no-op otherwise
            connection.exec_driver_sql(f"PRAGMA cache_size={int(previous)}")
        except Exception:  # noqa: BLE001 - a broken connection: the pool drops it rather than keep the large cache
            connection.invalidate()


def _store_rows(connection, rows, import_id: int, breach_id: int, batch_size: int, progress: _Progress,
                normalisation_counts: Counter, hold_counts: Counter, mapping: dict[str, str],
                rejection_counts: Counter):
    """Store the accepted rows in batches as they come, one transaction per batch with the import's counters;
    yield the rejected ones (to their CSV)."""
    batch: list[tuple] = []
    rejected_batch: list[dict[str, Any]] = []
    writer = _BatchWriter(connection)
    as_json, as_date = writer.json_value, writer.date_value
    no_holds = as_json([])
    counters = update(PatientImport).where(PatientImport.id == import_id)

    reasons: list[str] = []  # the batch's normalisation reasons, counted once per batch (one C call, not one a row)

    def flush():
        if reasons:
            normalisation_counts.update(reasons)
            reasons.clear()
        if batch:
            writer.write(connection, batch)
        if rejected_batch:  # kept to be shown and corrected on the import page (issue 13.10)
            connection.execute(insert(RejectedLine.__table__), rejected_batch)
            rejected_batch.clear()
        progress.committed = progress.accepted
        connection.execute(counters.values(
            read=progress.committed + progress.rejected, accepted=progress.committed,
            rejected=progress.rejected, held=progress.held, updated_at=utcnow()))
        connection.commit()
        batch.clear()
        progress.held_committed = progress.held

    def reject(row):
        progress.rejected += 1
        rejection_counts.update(error_codes(row.errors))
        rejected_batch.append({"import_id": import_id, "breach_id": breach_id, "row_number": row.row_number,
                               "cells": row.original, "errors": [list(error) for error in row.errors]})
        return row

    for row in rows:
        p = row.patient if row.accepted else None
        if p is None:
            yield reject(row)
        elif len(p["patient_id"]) > PATIENT_ID_MAX_LENGTH or len(p["postcode"]) > POSTCODE_MAX_LENGTH:
            field, limit = next((field, limit) for field, limit in _COLUMN_LIMITS if len(p[field]) > limit)
            yield reject(_TooLong(row.row_number, _cells_of(p, mapping), [FieldProblem(field, "too_long", limit)]))
        else:
            if not batch:
                progress.first_row_of_batch = row.row_number
            holds = p["holds"]
            if holds:
                progress.held += 1
                hold_counts.update(holds)
            changes = p["normalisations"]
            if changes:
                reasons += map(_reason, changes)
            deceased = p["deceased"]
            batch.append((
                breach_id, import_id, row.row_number, p["patient_id"], p["civility"], p["first_name"], p["last_name"],
                as_date(p["birth_date"]), p["address_line2"], p["address_line3"], p["street"], p["address_line5"],
                as_json(p["address_lines"]), p["postcode"], p["city"], p["country"], p["email"], p["guardian_name"],
                p["segment"], deceased, p["protected_adult"], p["confidential_care"], p["minor"], p["addressee"],
                PatientStatus.HELD if holds else PatientStatus.READY, as_json(holds) if holds else no_holds, no_holds,
                as_json(changes) if changes else no_holds,
                salutation(p["civility"], p["addressee"], deceased, p["minor"]),
                name_key(p["last_name"], p["first_name"]),
            ))
            progress.accepted += 1
        if len(batch) + len(rejected_batch) >= batch_size:
            flush()
    flush()


def _cells_of(patient: dict[str, Any], mapping: dict[str, str]) -> dict[str, str]:
    """An accepted row's values under the file's headers (for the rare row refused after the domain's checks)."""
    def text(value):
        if isinstance(value, bool):
            return "oui" if value else "non"
        return value.isoformat() if isinstance(value, date) else str(value or "")

    return {header: text(patient.get(field)) for header, field in mapping.items() if field}


def _finish(import_id: int, progress: _Progress, normalisation_counts: Counter, hold_counts: Counter,
            rejected_name: str | None, *, status: str, user: User | None, error_code: str | None = None,
            error: str | None = None) -> PatientImport:
    imp = db.session.get(PatientImport, import_id)
    if status == ImportStatus.FAILED:  # the batch in progress was rolled back: count what is stored and rejected
        progress.accepted, progress.held = progress.committed, progress.held_committed
    imp.accepted, imp.rejected, imp.held = progress.accepted, progress.rejected, progress.held
    imp.read = imp.accepted + imp.rejected
    imp.normalisation_counts = dict(normalisation_counts) if status == ImportStatus.DONE else {}
    imp.hold_counts = dict(hold_counts) if status == ImportStatus.DONE else {}
    if rejected_name and imp.rejected:
        imp.rejected_file = rejected_name
    else:
        _remove(rejected_name)
    imp.status, imp.error_code, imp.error = status, error_code, (error or None) and error[:500]
    imp.finished_at = imp.updated_at = utcnow()
    imp.upload_file = None
    details = {"read": imp.read, "accepted": imp.accepted, "rejected": imp.rejected, "held": imp.held}
    if error_code:
        details["code"] = error_code
    audit.record("patients.import_done" if status == ImportStatus.DONE else "patients.import_failed", user=user,
                 obj=imp, breach_id=imp.breach_id, details=details)
    if status == ImportStatus.DONE:
        events.patients_imported.send(imp, user=user)
    db.session.commit()
    return imp


def import_file(breach: Breach, path: str | os.PathLike, *, user: User | None, filename: str | None = None,
                mapping_name: str | None = None, lang: str = "fr", batch_size: int = BATCH_SIZE,
                today: date | None = None, letter_date: date | None = None) -> PatientImport:
    """The whole import in the foreground (command line, benchmark): columns as detected (and as the saved
    mapping says), unrecognised columns ignored. ImportFileError when the file is unusable."""
    imp = begin_import(breach, path, filename or Path(path).name, user=user, sha256=file_sha256(path),
                       mapping_name=mapping_name, letter_date=letter_date)
    try:
        confirm_mapping(imp, imp.mapping, user=user)
    except (ImportFileError, ImportRefused) as error:
        db.session.rollback()
        imp.status, imp.finished_at = ImportStatus.FAILED, utcnow()
        imp.error_code = error.code
        imp.error = error.message(lang)[:500]
        db.session.commit()
        raise
    return process_import(imp.id, source=path, lang=lang, batch_size=batch_size, today=today)


# --- Background imports (web) ----------------------------------------------------------------------------------------

_imports = BackgroundWork("patient import")


def start_in_background(app: Flask, import_id: int, *, lang: str = "fr") -> threading.Thread:
    """Run it in a thread of this process (core.background): the request returns at once and the page follows
    the work's row."""
    return _imports.start(app, import_id, lambda: process_import(import_id, lang=lang))


def wait_for(import_id: int, timeout: float | None = None) -> None:
    """Wait for the background work of this process to end (tests, shutdown)."""
    _imports.wait_for(import_id, timeout)


def address_counts(imp: PatientImport) -> dict[str, int]:
    """Addresses whose line 6 the official base rewrote, and those held because postcode and city disagree."""
    return {"address_corrected": int((imp.normalisation_counts or {}).get("address_corrected", 0)),
            "address_to_verify": int((imp.hold_counts or {}).get("address_to_verify", 0))}


def import_status(imp: PatientImport) -> dict[str, Any]:
    return {"id": imp.id, "status": imp.status, "read": imp.read, "accepted": imp.accepted,
            "rejected": imp.rejected, "held": imp.held, "error": imp.error,
            "finished": imp.status in ImportStatus.finished(), **address_counts(imp)}


def get_import(import_id: int, breach: Breach) -> PatientImport | None:
    imp = db.session.get(PatientImport, import_id)
    return imp if imp is not None and imp.breach_id == breach.id else None


def imports_of(breach_id: int) -> list[PatientImport]:
    return list(db.session.scalars(select(PatientImport).where(PatientImport.breach_id == breach_id)
                                   .order_by(PatientImport.id.desc())))


def normalisation_totals(imports: list[PatientImport]) -> list[tuple[str, int]]:
    totals: Counter[str] = Counter()
    for imp in imports:
        totals.update(imp.normalisation_counts or {})
    return totals.most_common()


# --- The list --------------------------------------------------------------------------------------------------------

@dataclass
class Counts:
    total: int
    by_status: dict[str, int]
    by_hold: dict[str, int]


def counts(breach_id: int) -> Counts:
    """Patients by status and by hold reason: two grouped queries on the (breach_id, status) index."""
    by_status = dict(db.session.execute(
        select(Patient.status, func.count()).where(Patient.breach_id == breach_id).group_by(Patient.status)).all())
    holds_text = cast(Patient.holds, Text)
    by_hold: Counter[str] = Counter()
    for text, number in db.session.execute(
            select(holds_text, func.count()).where(Patient.breach_id == breach_id, Patient.status == PatientStatus.HELD)
            .group_by(holds_text)):
        for code in _json_list(text):
            by_hold[code] += number
    return Counts(sum(by_status.values()), by_status, {code: by_hold[code] for code in HOLDS if by_hold[code]})


def _json_list(text: str | None) -> list[str]:
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return []
    return value if isinstance(value, list) else []


@dataclass
class PatientPage:
    patients: list[Patient]
    next_after: int | None  # id of the last patient shown, when there is a next page
    previous_before: int | None  # id of the first patient shown, when there is a previous page
    matching: int | None  # number of patients matching a search or hold filter


def _looks_like_ipp(query: str) -> bool:
    return any(char.isdigit() for char in query) and " " not in query.strip()


def list_patients(breach_id: int, *, query: str = "", status: str = "", hold: str = "", after: int | None = None,
                  before: int | None = None, size: int = PAGE_SIZE) -> PatientPage:
    """One page of patients in name order, with keyset pagination on (name_key, id): the index
    (breach_id, name_key, id) is read from the cursor on, so page 10,000 costs what page 1 does.

    `query`: an IPP (exact) when it holds a digit and no space, otherwise a prefix of "LAST NAME first name"
    without accents, spaces or punctuation."""
    conditions = [Patient.breach_id == breach_id]
    query = query.strip()
    if query and _looks_like_ipp(query):
        conditions.append(Patient.patient_id == query)
    elif query:
        key = search_key(query)
        if key:
            conditions += [Patient.name_key >= key, Patient.name_key < key[:-1] + chr(ord(key[-1]) + 1)]
    if status in list(PatientStatus):
        conditions.append(Patient.status == status)
    if hold in HOLDS:
        conditions += [Patient.status == PatientStatus.HELD, cast(Patient.holds, Text).like(f'%"{hold}"%')]
    matching = None
    if query or hold:
        matching = db.session.scalar(select(func.count()).select_from(Patient).where(*conditions))
    order = (Patient.name_key, Patient.id)
    cursor_id = after or before
    page_conditions = list(conditions)
    if cursor_id:
        cursor_key = db.session.scalar(select(Patient.name_key).where(Patient.id == cursor_id,
                                                                      Patient.breach_id == breach_id))
        if cursor_key is None:
            cursor_id = after = before = None
        elif after:
            page_conditions.append(tuple_(*order) > tuple_(cursor_key, cursor_id))
        else:
            page_conditions.append(tuple_(*order) < tuple_(cursor_key, cursor_id))
    statement = select(Patient).where(*page_conditions)
    if before:
        statement = statement.order_by(Patient.name_key.desc(), Patient.id.desc())
    else:
        statement = statement.order_by(*order)
    found = list(db.session.scalars(statement.limit(size + 1)))
    more = len(found) > size
    found = found[:size]
    if before:
        found.reverse()
        next_after = found[-1].id if found else None
        previous_before = found[0].id if more and found else None
    else:
        next_after = found[-1].id if more and found else None
        previous_before = found[0].id if cursor_id and found else None
    return PatientPage(found, next_after, previous_before, matching)


def get_patient(breach: Breach, patient_pk: int) -> Patient | None:
    patient = db.session.get(Patient, patient_pk)
    return patient if patient is not None and patient.breach_id == breach.id else None


# --- Fixing a held record by hand ------------------------------------------------------------------------------------

FIXABLE_FIELDS = ("address_line2", "address_line3", "street", "address_line5", "postcode", "city", "country",
                  "guardian_name")


@dataclass
class FixResult:
    errors: list[str]  # empty when saved
    changed: list[str]


def _record_values(patient: Patient) -> dict[str, str]:
    def yes_no(flag):
        return "oui" if flag else "non"

    return {
        "patient_id": patient.patient_id, "civility": patient.civility or "", "first_name": patient.first_name or "",
        "last_name": patient.last_name, "birth_date": patient.birth_date.isoformat() if patient.birth_date else "",
        "address_line2": patient.address_line2 or "", "address_line3": patient.address_line3 or "",
        "street": patient.street or "", "address_line5": patient.address_line5 or "",
        "postcode": patient.postcode or "", "city": patient.city or "", "country": patient.country or "",
        "email": patient.email or "", "deceased": yes_no(patient.deceased),
        "guardian_name": patient.guardian_name or "",
        "segment": patient.segment or "", "protected_adult": yes_no(patient.protected_adult),
        "confidential_care": yes_no(patient.confidential_care),
    }


def recheck(values: dict[str, str], *, today: date, letter_date: date) -> AcceptedRow | RejectedRow:
    """Run one record through the importer's own checks (whitespace, address block, holds) by reading it as a
    one-row file: the same rules as at import, no second copy of them."""
    headers = list(FIELDS)
    buffer = io.BytesIO()
    text = io.TextIOWrapper(buffer, encoding="utf-8", newline="")
    writer = csv.writer(text, delimiter=";")
    writer.writerow(headers)
    writer.writerow([values.get(field, "") for field in headers])
    text.detach()
    mapping = {field: field for field in headers}
    patient_file = open_patient_file(buffer, "record.csv", saved_mapping=mapping)
    return next(iter(patient_file.rows(mapping, today=today, letter_date=letter_date, postcodes=address_base())))


def fix_patient(patient: Patient, form: dict[str, str], *, clear_holds: list[str], reason: str, user: User,
                lang: str = "fr", today: date | None = None) -> FixResult:
    """Correct a record by hand (address, legal representative) and/or clear some of its holds with a reason.

    The new values go through the importer's checks again; the holds are recomputed, minus those a person cleared.
    Audited with field names and hold codes only. Nothing is saved when a check fails."""
    ensure_open(db.session.get(Breach, patient.breach_id))
    reason = reason.strip()
    clear_holds = [code for code in dict.fromkeys(clear_holds) if code in (patient.holds or [])]
    if clear_holds and not reason:
        return FixResult([translate(N_("Indiquez pourquoi la mise en attente est levée."), lang)], [])
    values = _record_values(patient)
    changed = []
    for field in FIXABLE_FIELDS:
        if field in form:
            new = " ".join(str(form[field]).split())
            if new != values[field]:
                values[field] = new
                changed.append(field)
    if not changed and not clear_holds:
        return FixResult([translate(N_("Aucune modification."), lang)], [])
    today = today or paris_today()
    import_letter_date = db.session.scalar(select(PatientImport.letter_date).where(
        PatientImport.id == patient.import_id))
    result = recheck(values, today=today, letter_date=import_letter_date or today)
    if not result.accepted:
        return FixResult([describe_error(error, lang) for error in result.errors], changed)
    checked = result.patient
    for field in FIXABLE_FIELDS:
        setattr(patient, field, checked[field])
    cleared = list(dict.fromkeys([*(patient.cleared_holds or []), *clear_holds]))
    patient.cleared_holds = cleared
    patient.holds = [code for code in checked["holds"] if code not in cleared]
    patient.status = PatientStatus.HELD if patient.holds else PatientStatus.READY
    patient.address_lines = checked["address_lines"]
    patient.minor = checked["minor"]
    patient.addressee = checked["addressee"]
    patient.salutation = salutation(patient.civility, patient.addressee, patient.deceased, patient.minor)
    patient.normalisations = [*(patient.normalisations or []),
                              *[list(change) for change in checked["normalisations"] if change.field in changed]]
    if reason:
        stamp = utcnow().strftime("%Y-%m-%d %H:%M UTC")
        patient.review_note = "\n".join(filter(None, [patient.review_note, f"{stamp} {user.email} : {reason}"]))
    patient.reviewed_by_id, patient.reviewed_at = user.id, utcnow()
    audit.record("patients.fix", user=user, obj=patient, breach_id=patient.breach_id,
                 details={"fields": changed, "holds_cleared": clear_holds, "status": patient.status})
    return FixResult([], changed)


# --- Correcting a rejected row in the browser (issue 13.10) ----------------------------------------------------------

FIRST_REJECTED_ROWS = 20  # shown on the import page; the others are in the rejected-rows CSV


def rejection_label(code: str, lang: str = "fr") -> str:
    if code == "too_long":
        return translate(N_("Valeur trop longue pour sa colonne (mauvaise colonne\u00a0?)"), lang)
    return translate(ROW_ERRORS[code], lang) if code in ROW_ERRORS else code


def rejection_counts(imp: PatientImport) -> list[tuple[str, int]]:
    """The rows still rejected, by reason, most frequent first: (code, rows)."""
    counts = imp.rejection_counts or {}
    return sorted(((code, n) for code, n in counts.items() if n > 0), key=lambda item: (-item[1], item[0]))


def _pending_counts(import_id: int) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for errors in db.session.scalars(select(RejectedLine.errors).where(
            RejectedLine.import_id == import_id, RejectedLine.fixed_at.is_(None))):
        counts.update(error_codes(errors))
    return dict(counts)


def pending_lines(imp: PatientImport, limit: int = FIRST_REJECTED_ROWS) -> list[RejectedLine]:
    """The first rejected rows not corrected yet, in file order."""
    return list(db.session.scalars(select(RejectedLine).where(
        RejectedLine.import_id == imp.id, RejectedLine.fixed_at.is_(None)).order_by(
        RejectedLine.row_number).limit(limit)))


def pending_count(imp: PatientImport) -> int:
    return db.session.scalar(select(func.count()).select_from(RejectedLine).where(
        RejectedLine.import_id == imp.id, RejectedLine.fixed_at.is_(None))) or 0


def get_rejected_line(imp: PatientImport, line_id: int) -> RejectedLine | None:
    line = db.session.get(RejectedLine, line_id)
    return line if line is not None and line.import_id == imp.id and line.breach_id == imp.breach_id else None


def _as_rejected_row(line: RejectedLine) -> RejectedRow:
    errors = [RowError(*error) for error in line.errors]
    if errors and errors[0].code == "too_long":
        return _TooLong(line.row_number, line.cells, errors)
    return RejectedRow(line.row_number, line.cells, errors)


def line_messages(line: RejectedLine, lang: str = "fr") -> list[str]:
    """Why the row was rejected, in the user's language (the value read is quoted)."""
    return _as_rejected_row(line).messages(lang)


def line_fields(imp: PatientImport, line: RejectedLine) -> dict[str, str]:
    """The row as canonical fields (through the import's mapping), to correct on the page."""
    return fields_of(line.cells, imp.mapping)


def error_fields(line: RejectedLine) -> set[str]:
    return {error[0] for error in line.errors}


def editable_fields(imp: PatientImport) -> list[str]:
    """The fields the file gives (its mapped columns), in FIELDS order."""
    given = set(imp.mapping.values())
    return [field for field in FIELDS if field in given]


def fix_rejected_line(imp: PatientImport, line: RejectedLine, form: dict[str, str], *, user: User,
                      lang: str = "fr", today: date | None = None) -> FixResult:
    """Correct a rejected row and check it again with the importer's own rules; accepted, it joins the breach's
    patients (held if a hold applies), the import's counts move from rejected to accepted, and the correction is
    audited (field names and the row number, never values). Nothing is saved when a check still fails."""
    ensure_open(db.session.get(Breach, imp.breach_id))
    if line.fixed_at is not None:
        return FixResult([translate(N_("Cette ligne a déjà été corrigée."), lang)], [])
    values = line_fields(imp, line)
    changed = []
    for field in editable_fields(imp):
        if field in form:
            new = " ".join(str(form[field])[:300].split())
            if new != " ".join(values.get(field, "").split()):
                changed.append(field)
            values[field] = new
    today = today or paris_today()
    seen = set(db.session.scalars(select(Patient.patient_id).where(Patient.breach_id == imp.breach_id)))
    result = check_values(values, row_number=line.row_number, today=today, letter_date=imp.letter_date or today,
                          seen_ids=seen)
    if not result.accepted:
        return FixResult([describe_error(error, lang) for error in result.errors], changed)
    p = result.patient
    for field, limit in _COLUMN_LIMITS:
        if len(p[field]) > limit:
            return FixResult([translate(N_("Valeur trop longue\u00a0: %(field)s compte au plus %(limit)s caractères"),
                                        lang, field=translate(FIELDS[field], lang), limit=limit)], changed)
    holds = list(p["holds"])
    patient = Patient(
        breach_id=imp.breach_id, import_id=imp.id, row_number=line.row_number,
        **{field: p[field] for field in ("patient_id", "civility", "first_name", "last_name", "birth_date",
                                        "address_line2", "address_line3", "street", "address_line5", "postcode",
                                        "city", "country", "email", "guardian_name", "segment", "deceased",
                                        "protected_adult", "confidential_care", "minor", "addressee",
                                        "address_lines")},
        status=PatientStatus.HELD if holds else PatientStatus.READY, holds=holds, cleared_holds=[],
        normalisations=[list(change) for change in p["normalisations"]],
        salutation=salutation(p["civility"], p["addressee"], p["deceased"]),
        name_key=name_key(p["last_name"], p["first_name"]), reviewed_by_id=user.id, reviewed_at=utcnow())
    db.session.add(patient)
    db.session.flush()
    line.fixed_at, line.fixed_by_id, line.patient_pk = utcnow(), user.id, patient.id
    imp.accepted += 1
    imp.rejected -= 1
    if holds:
        imp.held += 1
        imp.hold_counts = dict(Counter(imp.hold_counts or {}) + Counter(holds))
    if p["normalisations"]:
        imp.normalisation_counts = dict(Counter(imp.normalisation_counts or {})
                                        + Counter(map(_reason, p["normalisations"])))
    counts = Counter(imp.rejection_counts or {})
    counts.subtract(error_codes(line.errors))
    imp.rejection_counts = {code: n for code, n in counts.items() if n > 0}
    audit.record("patients.rejected_fix", user=user, obj=patient, breach_id=imp.breach_id,
                 details={"import": imp.id, "row": line.row_number, "fields": changed, "status": patient.status})
    return FixResult([], changed)


def _rewrite_rejected_file(imp: PatientImport, lang: str) -> None:
    """The rejected-rows CSV again, from the rows not corrected yet (none left: no file)."""
    lines = db.session.scalars(select(RejectedLine).where(
        RejectedLine.import_id == imp.id, RejectedLine.fixed_at.is_(None)).order_by(RejectedLine.row_number))
    name, out = _new_storage_file(f".{imp.id}{_REJECTS_SUFFIX}")
    with out:
        written = write_rejected_csv(out, imp.headers, (_as_rejected_row(line) for line in lines), lang=lang)
    _remove(imp.rejected_file)
    if written:
        imp.rejected_file = name
    else:
        _remove(name)
        imp.rejected_file = None


# --- Retention -------------------------------------------------------------------------------------------------------

class PurgeRefused(Exception):
    def __init__(self, code: str, until: datetime | None = None):
        self.code = code
        self.until = until
        super().__init__(self.message("en"))

    def message(self, lang: str = "fr") -> str:
        if self.code == "not_closed":
            return translate(N_("la violation n'est pas clôturée\u00a0: la liste des patients sert encore"), lang)
        day = self.until.date().isoformat() if self.until else "?"
        return translate(N_("durée de conservation en cours jusqu'au %(day)s"), lang, day=day)


def retention_end(breach: Breach, retention_days: int) -> datetime | None:
    return breach.closed_at + timedelta(days=retention_days) if breach.closed_at else None


def check_purge(breach: Breach, *, retention_days: int, now: datetime | None = None) -> None:
    """PurgeRefused unless the breach is closed and its retention period is over."""
    if breach.status != BreachStatus.CLOSED or breach.closed_at is None:
        raise PurgeRefused("not_closed")
    until = retention_end(breach, retention_days)
    if (now or utcnow()) < until:
        raise PurgeRefused("within_retention", until)


def purge(breach: Breach, *, user: User | None, retention_days: int, now: datetime | None = None) -> int:
    """GDPR art. 5(1)(e), storage limitation: once a breach is closed and its retention period is over, its
    patient list is deleted. The imports' counts, the letters' references and statuses and the audit trail stay.
    Returns the number of patients deleted."""
    check_purge(breach, retention_days=retention_days, now=now)
    deleted = forget_patients(breach.id)
    audit.record("patients.purge", user=user, obj=breach,
                 details={"patients": deleted, "retention_days": retention_days})
    return deleted


def purged_at(breach_id: int) -> datetime | None:
    """When the breach's patient list (and the files holding it) was deleted, or None."""
    return db.session.scalar(select(func.max(PatientImport.purged_at)).where(PatientImport.breach_id == breach_id))


def forget_patients(breach_id: int) -> int:
    """Delete a breach's patients and every file that holds their data (rejected rows, staged uploads, the letter
    lots and manifests: names, addresses, IPP); keep the imports' counts, the letters' rows (reference, status), whose
    link to the patient is emptied, and the lots' SHA-256 as proof of what was printed. Not committed."""
    events.patients_forgetting.send(breach_id)  # letters drop their lots, manifests and links to the patients
    db.session.execute(delete(RejectedLine).where(RejectedLine.breach_id == breach_id),
                       execution_options={"synchronize_session": False})
    deleted = db.session.execute(delete(Patient).where(Patient.breach_id == breach_id),
                                 execution_options={"synchronize_session": False}).rowcount
    now = utcnow()
    for imp in db.session.scalars(select(PatientImport).where(PatientImport.breach_id == breach_id)):
        _remove(imp.rejected_file)
        _remove(imp.upload_file)
        imp.rejected_file = imp.upload_file = None
        if imp.status == ImportStatus.MAPPING:
            imp.status = ImportStatus.CANCELLED
        imp.purged_at = now
    return deleted or 0
