"""The one way to write to the audit trail, and its verification."""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, text

from notifier.audit.models import AuditEntry
from notifier.core.types import utcnow
from notifier.extensions import db

if TYPE_CHECKING:  # the trail names a user; it never needs the accounts feature at run time
    from notifier.accounts.models import User

GENESIS = "0" * 64


def _digest(previous_hash: str, at: datetime, user_email: str, action: str, object_type: str, object_id: str,
            breach_id: int | None, details: dict[str, Any]) -> str:
    canonical = json.dumps(
        [previous_hash, at.isoformat(timespec="microseconds"), user_email, action, object_type, object_id,
         breach_id, details],
        sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def record(action: str, *, user: "User | None" = None, obj: Any = None, breach_id: int | None = None,
           organisation_id: int | None = None, details: dict[str, Any] | None = None) -> AuditEntry:
    """Append an entry in the current transaction; it is committed (or rolled back) with the change it records.

    ``details`` must not carry patients' data in clear: counts, codes, field names, references only."""
    if db.engine.dialect.name == "postgresql":
        # Serialise writers so two transactions never chain onto the same previous entry.
        db.session.execute(text("SELECT pg_advisory_xact_lock(8133)"))
    last = db.session.scalar(select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1))
    previous_hash = last or GENESIS
    at = utcnow()
    object_type = type(obj).__name__.lower() if obj is not None else ""
    object_id = str(getattr(obj, "id", "") or "") if obj is not None else ""
    if breach_id is None and object_type == "breach":
        breach_id = obj.id
    if organisation_id is None:
        organisation_id = getattr(obj, "organisation_id", None) or (user.organisation_id if user else None)
    details = json.loads(json.dumps(details or {}, default=str))
    email = user.email if user else ""
    entry = AuditEntry(
        at=at, organisation_id=organisation_id, user_id=user.id if user else None, user_email=email,
        action=action, object_type=object_type, object_id=object_id, breach_id=breach_id, details=details,
        previous_hash=previous_hash,
        entry_hash=_digest(previous_hash, at, email, action, object_type, object_id, breach_id, details),
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def via(channel: str | None) -> dict[str, str]:
    """The `via` detail of an entry ("web", "cli"), or none when the entry point does not say it."""
    return {"via": channel} if channel else {}


@dataclass
class ChainReport:
    entries: int
    first_bad_id: int | None
    problem: str | None

    @property
    def intact(self) -> bool:
        return self.first_bad_id is None


def verify() -> ChainReport:
    """Recompute the chain from the first entry; report the first entry whose content or link does not match."""
    previous_hash = GENESIS
    count = 0
    for entry in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).yield_per(1000):
        count += 1
        if entry.previous_hash != previous_hash:
            return ChainReport(count, entry.id, "previous_hash does not match the preceding entry (entry removed "
                                                "or reordered)")
        expected = _digest(entry.previous_hash, entry.at, entry.user_email, entry.action, entry.object_type,
                           entry.object_id, entry.breach_id, entry.details)
        if entry.entry_hash != expected:
            return ChainReport(count, entry.id, "content does not match its hash (entry altered)")
        previous_hash = entry.entry_hash
    return ChainReport(count, None, None)
