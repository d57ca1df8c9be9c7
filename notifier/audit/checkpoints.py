"""Signed checkpoints of the audit trail: (entry count, head hash, time), signed with Ed25519, one JSON line each in
an append-only file outside the database (``NOTIFIER_AUDIT_CHECKPOINT_FILE``), and optionally sent off the machine
(syslog, e-mail). The keyed chain shows that no entry was edited; a checkpoint shows how long the trail was, so that
removing its last entries (or all of them) is found too (docs/security.md, "Audit trail").

A line: {"v": 1, "seq": 3, "entries": 200, "head_id": 200, "head_hash": "…", "at": "2026-12-01T20:13:10.123456+00:00",
"reason": "every", "previous": sha256 of the previous line, "key": signer's key id, "signature": base64}. The
signature covers the canonical JSON (sorted keys, no spaces) of every other field; ``previous`` and ``seq`` chain
the lines, so a removed or reordered line is found as well.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import logging
import logging.handlers
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flask import current_app
from sqlalchemy import func, select

from notifier.audit import keys
from notifier.audit.models import AuditEntry
from notifier.core.i18n import N_, translate
from notifier.core.types import utcnow
from notifier.extensions import db

GENESIS = "0" * 64
FIELDS = ("v", "seq", "entries", "head_id", "head_hash", "at", "reason", "previous", "key")
logger = logging.getLogger(__name__)

FOOTER = N_("Journal d'audit\u00a0: n° %(entries)s, empreinte %(start)s…%(end)s, point de contrôle signé")


class CheckpointError(RuntimeError):
    """No checkpoint could be written (the file's last line is unreadable, the file or key is not writable)."""


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    entries: int
    head_id: int | None
    head_hash: str
    at: str
    reason: str
    previous: str
    key: str
    signature: str
    line_no: int = 0

    def fields(self) -> dict:
        return {"v": 1, "seq": self.seq, "entries": self.entries, "head_id": self.head_id,
                "head_hash": self.head_hash, "at": self.at, "reason": self.reason, "previous": self.previous,
                "key": self.key}

    def line(self) -> str:
        return canonical({**self.fields(), "signature": self.signature}).decode("utf-8")

    def short_form(self, lang: str = "fr") -> str:
        """The footer of every PDF the application generates."""
        return translate(FOOTER, lang, entries=self.entries, start=self.head_hash[:4], end=self.head_hash[-4:])


@dataclass(frozen=True)
class FileProblem:
    """The first line of the checkpoint file that cannot be trusted, and why."""

    line_no: int
    text: str  # a French msgid of the catalog
    params: dict | None = None

    def message(self, lang: str) -> str:
        return translate(self.text, lang, **(self.params or {}))


def canonical(document: dict) -> bytes:
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def checkpoint_path() -> Path:
    return Path(current_app.config["AUDIT_CHECKPOINT_FILE"])


def committed_head() -> tuple[int, int | None, str]:
    """(entry count, last id, last hash) of what is committed, read on a connection of its own in one statement
    (one snapshot): a checkpoint must never vouch for entries that a rollback could still take back."""
    table = AuditEntry.__table__
    count = select(func.count()).select_from(table).scalar_subquery()
    with db.engine.connect() as connection:
        row = connection.execute(select(count, table.c.id, table.c.entry_hash).order_by(table.c.id.desc())
                                 .limit(1)).first()
    if row is None:
        return 0, None, GENESIS
    return row[0], row[1], row[2]


def _last_line(handle) -> bytes | None:
    """The file's last line (without its newline), None for an empty file; CheckpointError if it is cut."""
    size = os.fstat(handle.fileno()).st_size
    if size == 0:
        return None
    block = min(size, 65536)
    handle.seek(size - block)
    tail = handle.read(block)
    if not tail.endswith(b"\n"):
        raise CheckpointError(f"{handle.name}: the last line is cut: run `notifier audit verify`")
    return tail[:-1].rsplit(b"\n", 1)[-1]


def write(reason: str) -> Checkpoint:
    """Sign the committed head of the trail and append it to the checkpoint file (O_APPEND, under an exclusive
    lock so that concurrent writers keep ``seq`` and ``previous`` in order); then send it away if configured."""
    key = keys.signing_key()
    path = checkpoint_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o640)
    with os.fdopen(descriptor, "r+b", buffering=0) as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        last = _last_line(handle)
        try:
            seq = json.loads(last)["seq"] + 1 if last else 1
        except (ValueError, KeyError, TypeError) as error:
            raise CheckpointError(f"{path}: the last line is not a checkpoint: run `notifier audit verify`") from error
        entries, head_id, head_hash = committed_head()
        unsigned = Checkpoint(
            seq=seq, entries=entries, head_id=head_id, head_hash=head_hash,
            at=utcnow().isoformat(timespec="microseconds"), reason=reason,
            previous=hashlib.sha256(last).hexdigest() if last else GENESIS,
            key=keys.key_id(key.public_key()), signature="")
        signature = base64.b64encode(key.sign(canonical(unsigned.fields()))).decode("ascii")
        checkpoint = Checkpoint(**{**unsigned.__dict__, "signature": signature})
        os.write(handle.fileno(), checkpoint.line().encode("utf-8") + b"\n")
        os.fsync(handle.fileno())
    send_away(checkpoint)
    return checkpoint


def write_quietly(reason: str) -> Checkpoint | None:
    """A checkpoint that must not undo what was just committed (the every-N one, the letters job's end): a failure
    is logged, and `notifier audit verify` reports the missing checkpoint."""
    try:
        return write(reason)
    except Exception as error:  # logged; the next checkpoint or `notifier audit checkpoint` catches up
        from notifier.core.logs import log_failure

        log_failure(logger, "audit checkpoint (%s) not written", reason, error=error)
        return None


def load(public_keys: list[Ed25519PublicKey] | None = None) -> tuple[list[Checkpoint], FileProblem | None]:
    """The checkpoints of the file that verify, in file order, up to the first one that does not (and why)."""
    path = checkpoint_path()
    trusted = {keys.key_id(key): key for key in (public_keys or keys.local_public_keys())}
    if not path.exists():
        return [], None
    with open(path, "rb") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_SH)
        content = handle.read()
    valid: list[Checkpoint] = []
    lines = content.split(b"\n")
    cut = lines.pop() != b""  # the file does not end with a newline: its last line was cut
    problem = _check_lines(lines, trusted, valid)
    if problem is None and cut:
        problem = FileProblem(len(lines) + 1, N_("dernière ligne coupée (fichier tronqué\u00a0?)"))
    return valid, problem


def _check_lines(lines: list[bytes], trusted: dict[str, Ed25519PublicKey],
                 valid: list[Checkpoint]) -> FileProblem | None:
    previous_line = None
    for number, raw in enumerate(lines, 1):
        try:
            document = json.loads(raw)
            checkpoint = Checkpoint(**{name: document[name] for name in FIELDS if name != "v"},
                                    signature=document["signature"], line_no=number)
            signature = base64.b64decode(checkpoint.signature, validate=True)
        except (ValueError, KeyError, TypeError):
            return FileProblem(number, N_("ligne illisible (fichier tronqué ou modifié)"))
        key = trusted.get(checkpoint.key)
        if key is None:
            return FileProblem(number, N_("signé par une clé inconnue %(key)s (voir --public-key)"),
                               {"key": repr(checkpoint.key[:16])})
        if not keys.verifies(key, signature, canonical(checkpoint.fields())):
            return FileProblem(number, N_("point de contrôle n° %(seq)s\u00a0: signature invalide (ligne modifiée)"),
                               {"seq": checkpoint.seq})
        expected_previous = hashlib.sha256(previous_line).hexdigest() if previous_line is not None else GENESIS
        if checkpoint.seq != number or checkpoint.previous != expected_previous:
            return FileProblem(number, N_("point de contrôle n° %(seq)s là où le n° %(number)s était attendu, ou non "
                                          "lié à la ligne précédente (lignes supprimées ou réordonnées)"),
                               {"seq": checkpoint.seq, "number": number})
        valid.append(checkpoint)
        previous_line = raw
    return None


def send_away(checkpoint: Checkpoint) -> None:
    """Copies off the machine, so that someone with write access to this machine cannot quietly rewrite both the
    database and the checkpoint file: syslog (``NOTIFIER_AUDIT_SYSLOG``: "host:port" over UDP, or a socket path
    such as /dev/log) and e-mail (``NOTIFIER_AUDIT_CHECKPOINT_MAILTO``, through notifier.core.mail)."""
    config = current_app.config
    line = checkpoint.line()
    if config.get("AUDIT_SYSLOG"):
        _to_syslog(str(config["AUDIT_SYSLOG"]), line)
    if config.get("AUDIT_CHECKPOINT_MAILTO"):
        from notifier.core.mail import MailError, send_mail

        recipients = [address.strip() for address in str(config["AUDIT_CHECKPOINT_MAILTO"]).split(",")
                      if address.strip()]
        text = translate(N_("Point de contrôle signé du journal d'audit de notifier (à conserver hors de la "
                            "machine\u00a0; `notifier audit verify` le vérifie avec la clé publique)\u00a0:"), "fr")
        try:
            subject = translate(N_("notifier\u00a0: point de contrôle n° %(seq)s du journal d'audit (%(entries)s "
                                   "entrées)"), "fr", seq=checkpoint.seq, entries=checkpoint.entries)
            send_mail(config, recipients, subject, f"{text}\n\n{line}\n")
        except MailError as error:
            logger.warning("audit checkpoint #%s not sent by e-mail: %s", checkpoint.seq, error)


def _to_syslog(address: str, line: str) -> None:
    if address.startswith("/"):
        target: str | tuple[str, int] = address
    else:
        host, _, port = address.partition(":")
        target = (host or "localhost", int(port or 514))
    try:
        handler = logging.handlers.SysLogHandler(address=target)
    except OSError as error:
        logger.warning("audit checkpoint not sent to syslog %s: %s", address, error)
        return
    try:
        handler.handle(logging.LogRecord("notifier.audit", logging.INFO, __file__, 0, "notifier audit checkpoint %s",
                                         (line,), None))
    finally:
        handler.close()
