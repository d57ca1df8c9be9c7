"""The dossier of a breach for a regulator or a court: one ZIP with everything the application holds of the case, and
``MANIFEST.sha256`` listing every file's SHA-256, so that anyone checks it with ``sha256sum -c MANIFEST.sha256``.

Contents: ``breach.json`` (the record, docs/breach-format.md); ``reports/`` every report version as archived (PDF/A,
bit for bit, checked against its recorded hash); ``register/`` the breach's art. 33(5) register entry (PDF/A and CSV);
``case/case.pdf`` the action plan, the timeline and the exchanges (PDF/A); ``evidence/`` the evidence files decrypted
(each checked against the SHA-256 recorded at upload) and ``evidence/INDEX.csv``, every piece present or deleted
with its SHA-256, and for a deleted one who deleted it, when and why; ``audit/`` the breach's audit trail (PDF/A and
CSV); ``AUDIT-LAST-ENTRY.txt`` the id and hash of the last entry of the whole trail when the dossier was made (the
keyed chain, `notifier audit verify`, shows nothing was rewritten before it), also in the manifest's comment lines.
The export itself is then recorded in the trail (``case.dossier_export``, with the manifest's SHA-256)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import datetime

from sqlalchemy import select

from notifier.accounts.models import User
from notifier.audit import export as audit_export
from notifier.audit import services as audit
from notifier.audit.models import AuditEntry
from notifier.breaches import services as breaches
from notifier.breaches.models import Breach
from notifier.cases import services as cases
from notifier.cases import vault
from notifier.cases.rules import plan as plan_rules
from notifier.core.errors import Refusal
from notifier.core.formatting import format_datetime
from notifier.core.i18n import N_, translate
from notifier.core.spreadsheet import safe_cell
from notifier.core.types import utcnow
from notifier.extensions import db
from notifier.register import services as register
from notifier.reports import services as reports

MANIFEST = "MANIFEST.sha256"


class DossierError(Refusal):
    """A part of the dossier cannot be read as archived (a report or an evidence file altered or missing): no dossier
    is made rather than an incomplete one."""


EVIDENCE_INDEX = "evidence/INDEX.csv"
INDEX_HEADERS = (N_("N°"), N_("Fichier dans le dossier"), N_("Nom d'origine"), "SHA-256", N_("Taille (octets)"),
                 N_("Versée le (UTC)"), N_("Versée par"), N_("État"), N_("Supprimée le (UTC)"),
                 N_("Supprimée par"), N_("Motif de la suppression"))


def evidence_path(evidence) -> str:
    return f"evidence/{evidence.id}-{evidence.filename}"


def evidence_index(pieces, lang: str = "fr") -> bytes:
    """``evidence/INDEX.csv``: every piece the vault ever held for the breach, present or deleted, with its SHA-256
    (of the original, recorded at upload), who versed it and when, and for a deleted one who deleted it, when and
    why. A deleted file is not in the ZIP, but its hash still says what it was, and the index itself is listed in
    MANIFEST.sha256 (chain of custody; GDPR art. 5(2) accountability). Semicolon-separated UTF-8 with a BOM, times
    in ISO 8601 UTC, cells formula-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([safe_cell(translate(header, lang)) for header in INDEX_HEADERS])
    for evidence in pieces:
        deleted = evidence.deleted_at is not None
        writer.writerow([safe_cell(value) for value in (
            evidence.id, "" if deleted else evidence_path(evidence), evidence.filename, evidence.sha256,
            evidence.size, evidence.uploaded_at.isoformat() if evidence.uploaded_at else "",
            evidence.uploaded_by.email if evidence.uploaded_by else "",
            translate(N_("supprimée") if deleted else N_("présente"), lang),
            evidence.deleted_at.isoformat() if deleted else "",
            evidence.deleted_by.email if deleted and evidence.deleted_by else "",
            " ".join(evidence.deleted_reason.split()) if deleted else "")])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def filename(breach: Breach) -> str:
    return f"dossier-{breach.reference}.zip"


def _case_pdf(breach: Breach, lang: str, period_hours: int, now: datetime, audit_footer: str) -> bytes:
    from notifier.documents.render import PDF_A3, PdfMetadata, render_pdf, render_template

    title = translate(N_("Dossier de la violation %(reference)s"), lang, reference=breach.reference)
    html = render_template(
        "case_dossier/dossier.html", lang=lang, breach=breach, title=title,
        plan=cases.plan_view(breach, period_hours=period_hours, now=now), events=cases.timeline(breach),
        exchanges=cases.exchanges(breach), evidence=cases.evidence_list(breach),
        when=lambda instant: format_datetime(instant, lang) if instant else "—",
        task_title=lambda title: plan_rules.task_title(title, lang),
        event_text=lambda event: cases.event_text(event, lang), generated_at=format_datetime(now, lang),
        labels={"status": cases.TASK_STATUS_LABELS, "party": cases.PARTY_LABELS, "kind": cases.KIND_LABELS,
                "exchange": cases.EXCHANGE_STATUS_LABELS, "direction": cases.DIRECTION_LABELS})
    return render_pdf(html, pdf_variant=PDF_A3, lang=lang, stylesheets=("base.css", "case_dossier/dossier.css"),
                      metadata=PdfMetadata(title=title, subject="Breach dossier (notifier)"),
                      audit_footer=audit_footer)


def build(breach: Breach, *, lang: str = "fr", period_hours: int = 72, now: datetime | None = None) -> bytes:
    """The ZIP's bytes. Raises DossierError when an archived part does not match its recorded hash."""
    now = now or utcnow()
    files: list[tuple[str, bytes]] = []
    files.append(("breach.json", json.dumps(breaches.export_document(breach), ensure_ascii=False,
                                            indent=2).encode("utf-8")))
    for version in reports.versions(breach):
        try:
            data = reports.read_version(version)
        except reports.ArchiveCorrupted:
            raise DossierError(N_("La version %(number)s du document %(document)s ne correspond plus à son "
                                  "empreinte\u00a0: dossier non produit."), number=version.number,
                               document=version.document) from None
        files.append((f"reports/{version.document}-v{version.number}-{version.filename}", data))
    footer = audit.document_checkpoint(lang)
    entry = [register.row(breach, lang, period_hours)]
    files.append(("register/register-entry.csv", register.to_csv(entry, lang)))
    files.append(("register/register-entry.pdf", register.to_pdf(entry, register.Filters(), lang=lang, now=now,
                                                                 audit_footer=footer)))
    files.append(("case/case.pdf", _case_pdf(breach, lang, period_hours, now, footer)))
    every_piece = cases.evidence_list(breach)
    for evidence in every_piece:
        if evidence.deleted_at is not None:
            continue
        try:
            data = cases.read_evidence(evidence)
        except vault.VaultError:
            raise DossierError(N_("La pièce %(name)s est absente ou altérée dans le coffre\u00a0: dossier non "
                                  "produit."), name=evidence.filename) from None
        files.append((evidence_path(evidence), data))
    files.append((EVIDENCE_INDEX, evidence_index(every_piece, lang)))
    files.append(("audit/audit-trail.csv", audit_export.export("csv", breach_id=breach.id, lang=lang)))
    files.append(("audit/audit-trail.pdf", audit_export.export("pdf", breach_id=breach.id, lang=lang)))
    last = db.session.execute(select(AuditEntry.id, AuditEntry.entry_hash, AuditEntry.at)
                              .order_by(AuditEntry.id.desc()).limit(1)).first()
    files.append(("AUDIT-LAST-ENTRY.txt", (
        f"breach: {breach.reference}\nexported_at: {now.isoformat()}\n"
        + (f"last_audit_entry_id: {last.id}\nlast_audit_entry_at: {last.at.isoformat()}\n"
           f"last_audit_entry_hash: {last.entry_hash}\n" if last else "last_audit_entry_id: none\n")).encode()))
    # The last audit entry's hash heads the manifest itself, as comment lines: sha256sum -c skips a line starting
    # with "#" (GNU coreutils, --strict included), so the manifest still checks as it is.
    heading = (f"# notifier dossier {breach.reference}, exported_at {now.isoformat()}\n"
               + (f"# last_audit_entry_id {last.id} at {last.at.isoformat()}\n"
                  f"# last_audit_entry_hash {last.entry_hash}\n" if last else "# last_audit_entry_id none\n"))
    manifest = heading + "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in files)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            archive.writestr(name, data)
        archive.writestr(MANIFEST, manifest)
    return buffer.getvalue()


def export(breach: Breach, *, user: User | None, lang: str = "fr", via: str | None = None,
           period_hours: int = 72) -> bytes:
    """The dossier handed to the user (web) or written (`notifier dossier export`), recorded in the audit trail
    (flushed: the request or the command commits)."""
    data = build(breach, lang=lang, period_hours=period_hours)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        manifest = archive.read(MANIFEST)
    audit.record("case.dossier_export", user=user, obj=breach, details={
        "manifest_sha256": hashlib.sha256(manifest).hexdigest(), "zip_sha256": hashlib.sha256(data).hexdigest(),
        **audit.via(via)})
    return data
