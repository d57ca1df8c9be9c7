"""Exports of the audit trail for legal and for a regulator: CSV (formula-safe) and PDF/A."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from sqlalchemy import select

from notifier.audit import services as audit
from notifier.audit.labels import action_label, object_label
from notifier.audit.models import AuditEntry
from notifier.core.i18n import N_, translate
from notifier.core.spreadsheet import safe_cell
from notifier.extensions import db

if TYPE_CHECKING:
    from notifier.accounts.models import User

COLUMNS = ("id", "at", "user_email", "action", "object_type", "object_id", "breach_id", "details", "previous_hash",
           "entry_hash")


def breach_trail_exists(breach_id: int, organisation_id: int) -> bool:
    """Whether the organisation's trail holds entries about that breach (it does from the breach's creation on)."""
    return db.session.scalar(select(AuditEntry.id).where(AuditEntry.breach_id == breach_id,
                                                         AuditEntry.organisation_id == organisation_id).limit(1)) \
        is not None


def entries(breach_id: int | None = None, organisation_id: int | None = None):
    query = select(AuditEntry).order_by(AuditEntry.id)
    if breach_id is not None:
        query = query.where(AuditEntry.breach_id == breach_id)
    if organisation_id is not None:
        query = query.where(AuditEntry.organisation_id == organisation_id)
    return db.session.scalars(query).yield_per(1000)


def export(fmt: str, *, breach_id: int | None = None, organisation_id: int | None = None, lang: str = "fr") -> bytes:
    """CSV (codes and raw details, for machines; the same in every language) or PDF/A in ``lang``."""
    from notifier.audit.services import document_checkpoint

    if fmt not in ("csv", "pdf"):
        raise ValueError(fmt)
    # Every document issued: a signed checkpoint of the trail, printed in the PDF's footer (docs/security.md).
    audit_footer = document_checkpoint(lang)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";")
        writer.writerow(COLUMNS)
        for entry in entries(breach_id, organisation_id):
            writer.writerow([safe_cell(v) for v in (entry.id, entry.at.isoformat(), entry.user_email, entry.action,
                                                    entry.object_type, entry.object_id, entry.breach_id,
                                                    entry.details, entry.previous_hash, entry.entry_hash)])
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")
    from notifier.documents.render import PDF_A3, PdfMetadata, render_pdf, render_template

    html = render_template("audit/trail.html", lang=lang, entries=list(entries(breach_id, organisation_id)),
                           breach_id=breach_id, action_label=lambda code: action_label(code, lang),
                           object_label=lambda code: object_label(code, lang))
    return render_pdf(html, pdf_variant=PDF_A3, lang=lang,
                      metadata=PdfMetadata(title=translate(N_("Journal d'audit"), lang),
                                           subject="Audit trail (notifier)"),
                      audit_footer=audit_footer)


def download(fmt: str, *, user: User | None = None, breach_id: int | None = None, organisation_id: int | None = None,
             via: str | None = None, lang: str = "fr") -> bytes:
    """The export handed to the user (web) or written (`notifier audit export`), itself recorded in the trail
    (flushed: the request or the command commits)."""
    data = export(fmt, breach_id=breach_id, organisation_id=organisation_id, lang=lang)
    audit.record("audit.export", user=user, breach_id=breach_id, organisation_id=organisation_id,
                 details={"format": fmt, **audit.via(via)})
    return data
