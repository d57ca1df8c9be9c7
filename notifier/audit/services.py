"""The one way to write to the audit trail, and its verification (docs/security.md, "Audit trail").

Each entry's ``entry_hash`` is HMAC-SHA256, with a key kept outside the database (notifier/audit/keys.py), over the
canonical JSON of every column (id, instant, organisation, user, action, object, breach, details) and the previous
entry's hash. Signed checkpoints (notifier/audit/checkpoints.py) record how long the trail was, so removing its last
entries is found as well as editing, moving, renumbering or re-chaining any of them."""

from __future__ import annotations

import hashlib
import hmac
import json
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from flask import current_app, has_app_context
from sqlalchemy import bindparam, event, false, select, text, update
from sqlalchemy.orm import Session

from notifier.audit import checkpoints, keys
from notifier.audit.models import AuditEntry
from notifier.core.i18n import N_, translate
from notifier.core.types import utcnow
from notifier.extensions import db

if TYPE_CHECKING:  # the trail names a user; it never needs the accounts feature at run time
    from notifier.accounts.models import User

GENESIS = "0" * 64
HASH_VERSION = 2  # 1: unkeyed SHA-256 without ids, organisation and user (before the keyed chain)
_CHECKPOINT_DUE = "audit_checkpoint_due"


def canonical_fields(entry_id: int, at: datetime, organisation_id: int | None, user_id: int | None, user_email: str,
                     action: str, object_type: str, object_id: str, breach_id: int | None, details: dict[str, Any],
                     previous_hash: str) -> bytes:
    """What the keyed hash covers: every column but the hash itself, as JSON with sorted keys, the instant in UTC
    ISO 8601 with microseconds."""
    return json.dumps({
        "v": HASH_VERSION, "id": entry_id, "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "organisation_id": organisation_id, "user_id": user_id, "user_email": user_email, "action": action,
        "object_type": object_type, "object_id": object_id, "breach_id": breach_id, "details": details,
        "previous_hash": previous_hash,
    }, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def keyed_digest(entry, key: bytes) -> str:
    payload = canonical_fields(entry.id, entry.at, entry.organisation_id, entry.user_id, entry.user_email,
                               entry.action, entry.object_type, entry.object_id, entry.breach_id, entry.details,
                               entry.previous_hash)
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def legacy_digest(entry) -> str:
    """The unkeyed hash of versions before the keyed chain: recognised by verify (to say so) and by rechain."""
    canonical = json.dumps(
        [entry.previous_hash, entry.at.isoformat(timespec="microseconds"), entry.user_email, entry.action,
         entry.object_type, entry.object_id, entry.breach_id, entry.details],
        sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def record(action: str, *, user: User | None = None, obj: Any = None, breach_id: int | None = None,
           organisation_id: int | None = None, details: dict[str, Any] | None = None) -> AuditEntry:
    """Append an entry in the current transaction; it is committed (or rolled back) with the change it records.

    ``details`` must not carry patients' data in clear: counts, codes, field names, references only."""
    if db.engine.dialect.name == "postgresql":
        # Serialise writers so two transactions never chain onto the same previous entry. A writer that keeps its
        # transaction open (a stuck request) must not hang every other one for ever: after 60 s this one fails
        # and rolls back, as SQLite's busy timeout does.
        db.session.execute(text("SET LOCAL lock_timeout = '60s'"))
        db.session.execute(text("SELECT pg_advisory_xact_lock(8133)"))
    elif db.engine.dialect.name == "sqlite":
        # SQLite has one writer at a time, but pysqlite opens the write transaction only at the first INSERT: two
        # requests would read the same last entry, and the second would fail on its id. A write that changes
        # nothing takes the writers' lock now (waiting up to the busy timeout), so the read below is the last one.
        db.session.execute(update(AuditEntry).where(false()).values(id=AuditEntry.id))
    last = db.session.execute(select(AuditEntry.id, AuditEntry.entry_hash).order_by(AuditEntry.id.desc())
                              .limit(1)).first()
    object_type = type(obj).__name__.lower() if obj is not None else ""
    object_id = str(getattr(obj, "id", "") or "") if obj is not None else ""
    if breach_id is None and object_type == "breach":
        breach_id = obj.id
    if organisation_id is None:
        organisation_id = getattr(obj, "organisation_id", None) or (user.organisation_id if user else None)
    entry = AuditEntry(
        # The id is the entry's place in the chain, given here under the writers' lock (not by the database's
        # sequence, which a rollback leaves with gaps): it is hashed, so renumbering is found.
        id=(last.id + 1) if last else 1, at=utcnow(), organisation_id=organisation_id,
        user_id=user.id if user else None, user_email=user.email if user else "", action=action,
        object_type=object_type, object_id=object_id, breach_id=breach_id,
        details=json.loads(json.dumps(details or {}, default=str)),
        previous_hash=last.entry_hash if last else GENESIS,
    )
    entry.entry_hash = keyed_digest(entry, keys.chain_key())
    db.session.add(entry)
    db.session.flush()
    if entry.id % checkpoint_interval() == 0:
        db.session.info[_CHECKPOINT_DUE] = True
    return entry


def checkpoint_interval() -> int:
    return max(1, int(current_app.config["AUDIT_CHECKPOINT_EVERY"]))


@event.listens_for(Session, "after_commit")
def _checkpoint_after_commit(session: Session) -> None:
    """At least every AUDIT_CHECKPOINT_EVERY entries: once the entry whose id is a multiple is committed."""
    if session.info.pop(_CHECKPOINT_DUE, False) and has_app_context():
        checkpoints.write_quietly("every")


@event.listens_for(Session, "after_rollback")
def _no_checkpoint_after_rollback(session: Session) -> None:
    session.info.pop(_CHECKPOINT_DUE, None)


NO_CHECKPOINT = N_("Journal d'audit\u00a0: point de contrôle non écrit (voir «\u00a0notifier audit verify\u00a0»)")


def document_checkpoint(lang: str = "fr") -> str:
    """A checkpoint written as a document is generated; returns the short form its PDF footer prints. A checkpoint
    that cannot be written (file cut or not writable: logged, and reported by `notifier audit verify`) must not stop
    the DPO's report on the day: the footer then says so."""
    checkpoint = checkpoints.write_quietly("document")
    return checkpoint.short_form(lang) if checkpoint else translate(NO_CHECKPOINT, lang)


def via(channel: str | None) -> dict[str, str]:
    """The `via` detail of an entry ("web", "cli"), or none when the entry point does not say it."""
    return {"via": channel} if channel else {}


@dataclass
class ChainReport:
    entries: int
    first_bad_id: int | None
    problem: str | None  # a French msgid of the catalog, shown with problem_in(lang)
    params: dict | None = None

    @property
    def intact(self) -> bool:
        return self.problem is None

    def problem_in(self, lang: str) -> str | None:
        """What is wrong with the chain, in ``lang`` (None when it is intact)."""
        if self.problem is None:
            return None
        params = {name: value.message(lang) if hasattr(value, "message") else value
                  for name, value in (self.params or {}).items()}
        return translate(self.problem, lang, **params)


def verify(public_keys=None) -> ChainReport:
    """Recompute the keyed chain from the first entry and hold it against the signed checkpoints; report the first
    entry that was altered, moved, renumbered, re-chained without the key, or removed (or is not vouched for by a
    checkpoint when it should be)."""
    valid, file_problem = checkpoints.load(public_keys)
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).yield_per(1000)
    return check(entries, valid, file_problem, key=keys.chain_key(), every=checkpoint_interval())


def check(entries: Iterable, valid: list[checkpoints.Checkpoint], file_problem: checkpoints.FileProblem | None, *,
          key: bytes, every: int | None, prefix: bool = False) -> ChainReport:
    """The verification itself, over entries in id order (ORM rows or plain objects with the same attributes).

    ``prefix``: the entries are an earlier copy (a backup): checkpoints beyond its end are not held against it."""
    by_position: dict[int, list[checkpoints.Checkpoint]] = {}
    for checkpoint in valid:
        by_position.setdefault(checkpoint.entries, []).append(checkpoint)
    ids = array("q")
    problems: list[tuple[int, str, dict]] = []  # (position in the chain, 1-based; what is wrong, its parameters)
    previous_hash = GENESIS
    for entry in entries:
        ids.append(entry.id)
        position = len(ids)
        if entry.previous_hash != previous_hash:
            problems.append((position, N_("previous_hash ne correspond pas à l'entrée précédente (entrée supprimée "
                                          "ou réordonnée)"), {}))
            break
        if not hmac.compare_digest(entry.entry_hash, keyed_digest(entry, key)):
            if entry.entry_hash == legacy_digest(entry):
                problems.append((position, N_("empreinte calculée sans la clé, comme avant la chaîne à clé (une "
                                              "instance mise à jour\u00a0: `notifier audit rechain --i-understand`"
                                              "\u00a0; sinon, entrées modifiées et rechaînées par quelqu'un qui n'a "
                                              "pas la clé)"), {}))
            else:
                problems.append((position, N_("le contenu ne correspond pas à son empreinte à clé (entrée modifiée, "
                                              "déplacée vers un autre organisme, renumérotée ou rechaînée sans la "
                                              "clé)"), {}))
            break
        mismatch = next((c for c in by_position.get(position, ()) if c.head_hash != entry.entry_hash), None)
        if mismatch is not None:
            problems.append((position, N_("diffère du point de contrôle signé n° %(seq)s (%(at)s), qui a "
                                          "enregistré l'entrée n° %(position)s avec l'empreinte %(hash)s… (entrées "
                                          "supprimées et d'autres écrites à leur place)"),
                             {"seq": mismatch.seq, "at": mismatch.at, "position": position,
                              "hash": mismatch.head_hash[:12]}))
            break
        previous_hash = entry.entry_hash
    count = len(ids)
    covered = max((c.entries for c in valid), default=0)
    if not problems:
        if covered > count and not prefix:
            longest = max(valid, key=lambda c: c.entries)
            problems.append((count + 1, N_("manquantes\u00a0: le point de contrôle signé n° %(seq)s (%(at)s) "
                                           "compte %(entries)s entrées, le journal en a %(count)s (entrées "
                                           "supprimées)"),
                             {"seq": longest.seq, "at": longest.at, "entries": longest.entries, "count": count}))
        if every and not prefix and (count // every) * every > covered:
            problems.append((covered + 1, N_("non garanti par un point de contrôle signé\u00a0: le journal a "
                                             "%(count)s entrées, le dernier point de contrôle en couvre %(covered)s "
                                             "et un est écrit toutes les %(every)s (fichier des points de contrôle "
                                             "tronqué, remplacé ou non inscriptible\u00a0; voir docs/security.md)"),
                             {"count": count, "covered": covered, "every": every}))
    if file_problem is not None:  # named first when it points at the same entry: it is the cause
        problems.insert(0, (covered + 1, N_("fichier des points de contrôle, ligne %(line)s\u00a0: %(problem)s"),
                            {"line": file_problem.line_no, "problem": file_problem}))
    if not problems:
        return ChainReport(count, None, None)
    position, problem, params = min(problems, key=lambda item: item[0])
    first_bad_id = ids[position - 1] if position <= count else (ids[-1] if ids else 0) + position - count
    return ChainReport(count, first_bad_id, problem, params)


class RechainRefused(RuntimeError):
    pass


def rechain(*, user: User | None = None, old_key: bytes | None = None) -> int:
    """Re-hash the whole trail with the keyed algorithm: the one-off step of an instance upgraded from the unkeyed
    chain (or of a chain key rotation, with ``old_key``). Refused if any entry is not intact under the old
    algorithm or the old key, since re-chaining would then hide the tampering. The old checkpoint file is kept
    beside the new one (its head hashes are those of the old chain). Audited, then checkpointed."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(8133)"))
    elif db.engine.dialect.name == "sqlite":
        # SQLite has one writer at a time, but pysqlite opens the write transaction only at the first INSERT: two
        # requests would read the same last entry, and the second would fail on its id. A write that changes
        # nothing takes the writers' lock now (waiting up to the busy timeout), so the read below is the last one.
        db.session.execute(update(AuditEntry).where(false()).values(id=AuditEntry.id))
    new_key = keys.chain_key()
    table = AuditEntry.__table__
    previous_old, previous_new, count, changed = GENESIS, GENESIS, 0, 0
    after = 0
    while True:
        batch = db.session.execute(select(table).where(table.c.id > after).order_by(table.c.id).limit(1000)).all()
        if not batch:
            break
        updates = []
        for row in batch:
            count += 1
            stored = _RowEntry(row._mapping)
            if stored.previous_hash != previous_old or stored.entry_hash not in _acceptable_hashes(stored, new_key,
                                                                                                   old_key):
                raise RechainRefused(f"entry {row.id} is not intact under the previous algorithm or key: "
                                     "re-chaining would hide it (run `notifier audit verify`)")
            previous_old = stored.entry_hash
            stored.previous_hash = previous_new
            new_hash = keyed_digest(stored, new_key)
            if new_hash != row.entry_hash or previous_new != row.previous_hash:
                changed += 1
                updates.append({"row_id": row.id, "new_previous": previous_new, "new_hash": new_hash})
            previous_new = new_hash
        if updates:
            statement = update(table).where(table.c.id == bindparam("row_id")).values(
                previous_hash=bindparam("new_previous"), entry_hash=bindparam("new_hash"))
            db.session.execute(statement, updates)
        after = batch[-1].id
    if changed == 0:
        raise RechainRefused("nothing to re-chain: every entry already carries its keyed hash")
    old_file = checkpoints.checkpoint_path()
    kept = None
    if old_file.exists():
        kept = old_file.with_name(f"{old_file.name}.before-rechain-{utcnow():%Y%m%dT%H%M%SZ}")
        old_file.rename(kept)
    record("audit.rechain", user=user, details={"entries": count, "rehashed": changed,
                                                "previous_checkpoints": kept.name if kept else None})
    db.session.commit()
    checkpoints.write("rechain")
    return changed


def _acceptable_hashes(entry, new_key: bytes, old_key: bytes | None) -> set[str]:
    acceptable = {legacy_digest(entry), keyed_digest(entry, new_key)}
    if old_key:
        acceptable.add(keyed_digest(entry, old_key))
    return acceptable


class _RowEntry:
    """A row of audit_entry with the attributes the digests read (instants as aware UTC datetimes)."""

    def __init__(self, mapping) -> None:
        for name, value in mapping.items():
            setattr(self, name, value)
        if isinstance(self.at, str):
            self.at = datetime.fromisoformat(self.at)
        if self.at.tzinfo is None:
            self.at = self.at.replace(tzinfo=UTC)
        if isinstance(self.details, str):
            self.details = json.loads(self.details)


def row_entries(rows) -> Iterable[_RowEntry]:
    """Plain rows (a backup read with sqlite3, as mappings) as entries that `check` accepts."""
    return (_RowEntry(row) for row in rows)
