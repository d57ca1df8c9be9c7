"""The breach register (GDPR art. 33(5)): every breach, notified or not, with "the facts relating to the personal
data breach, its effects and the remedial action taken", and the decision on notification with its reasons, so the
CNIL can verify compliance. Filtered by establishment, year and status; exported as CSV, XLSX and PDF/A.

Spreadsheet exports neutralise cells a spreadsheet would run as a formula (domain.spreadsheet.safe_cell)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from notifier.accounts.models import User
from notifier.audit import services as audit
from notifier.breaches.models import Breach
from notifier.breaches.rules import form
from notifier.breaches.rules.deadlines import is_late
from notifier.breaches.states import BreachStatus
from notifier.core.i18n import N_, translate
from notifier.core.spreadsheet import safe_cell
from notifier.core.types import utcnow
from notifier.extensions import db
from notifier.reports.services import display, format_count, format_instant, nbsp_colon, risk_summary

PARIS = ZoneInfo("Europe/Paris")
FORMATS = ("csv", "xlsx", "pdf")
STATUS_LABELS = {"draft": N_("Brouillon"), "open": N_("En cours"), "closed": N_("Clôturée")}

# The register's columns, in order: (code, label). Facts, then effects, then remedial action, then the decision.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("reference", N_("Référence")),
    ("establishment", N_("Établissement")),
    ("status", N_("Statut")),
    ("title", N_("Intitulé")),
    ("started_at", N_("Début")),
    ("discovered_at", N_("Découverte")),
    ("aware_at", N_("Prise de connaissance")),
    ("ended_at", N_("Fin")),
    ("natures", N_("Nature")),
    ("facts", N_("Faits")),
    ("origins", N_("Origine")),
    ("cause", N_("Cause")),
    ("people_categories", N_("Personnes concernées")),
    ("people_count", N_("Nombre de personnes")),
    ("data_categories", N_("Données concernées")),
    ("records_count", N_("Nombre d'enregistrements")),
    ("consequences", N_("Effets : conséquences")),
    ("consequences_details", N_("Effets : description")),
    ("severity", N_("Gravité estimée")),
    ("measures_taken", N_("Mesures prises")),
    ("measures_planned", N_("Mesures envisagées")),
    ("risk", N_("Évaluation du risque")),
    ("cnil_decision", N_("Décision : notification CNIL")),
    ("people_decision", N_("Décision : information des personnes")),
    ("decision_reasons", N_("Motifs de la décision")),
    ("cnil_sent_at", N_("Notifiée à la CNIL le")),
    ("cnil_reference", N_("Accusé de réception CNIL")),
    ("delay_reasons", N_("Motifs du retard")),
    ("ars_reported_at", N_("Signalée à l'ARS le")),
    ("closed_at", N_("Clôturée le")),
)
COLUMN_CODES = tuple(code for code, _ in COLUMNS)
# The PDF's summary table (one line per breach), in COLUMNS order; each breach's full entry follows it.
SUMMARY_COLUMNS = ("reference", "establishment", "status", "aware_at", "people_count", "cnil_decision")


class RegisterError(ValueError):
    pass


@dataclass(frozen=True)
class Filters:
    establishment_id: int | None = None
    year: int | None = None
    status: str | None = None

    def check(self) -> Filters:
        if self.status is not None and self.status not in list(BreachStatus):
            raise RegisterError(f"unknown status {self.status[:20]!r} (expected one of {', '.join(BreachStatus)})")
        if self.year is not None and not 1900 <= self.year <= 9999:
            raise RegisterError(f"year out of range: {self.year}")
        return self

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in (("establishment", self.establishment_id), ("year", self.year),
                                  ("status", self.status)) if v is not None}


def breach_year(breach: Breach) -> int:
    """The register's year of a breach: the year (Paris time) it became known, or was recorded if not yet known."""
    return (breach.aware_at or breach.created_at).astimezone(PARIS).year


def breaches(organisation_id: int | None, filters: Filters) -> list[Breach]:
    """Every breach matching the filters, oldest first; ``organisation_id`` None means every organisation (CLI)."""
    filters.check()
    query = select(Breach)
    if organisation_id is not None:
        query = query.where(Breach.organisation_id == organisation_id)
    if filters.establishment_id is not None:
        query = query.where(Breach.establishment_id == filters.establishment_id)
    if filters.status is not None:
        query = query.where(Breach.status == filters.status)
    found = db.session.scalars(query.order_by(Breach.id)).all()
    if filters.year is not None:
        found = [b for b in found if breach_year(b) == filters.year]
    return sorted(found, key=lambda b: (b.aware_at or b.created_at, b.id))


def years(organisation_id: int) -> list[int]:
    every = db.session.scalars(select(Breach).where(Breach.organisation_id == organisation_id)).all()
    return sorted({breach_year(b) for b in every}, reverse=True)


def _field(name: str, breach: Breach, lang: str) -> str:
    field = form.FIELD_BY_NAME[name]
    for step in form.STEPS:
        if field in step.fields:
            return display(field, (breach.sections.get(step.code) or {}).get(name), lang)
    raise KeyError(name)


def _raw(step: str, name: str, breach: Breach) -> Any:
    return (breach.sections.get(step) or {}).get(name)


def decision(breach: Breach, lang: str, period_hours: int = 72) -> tuple[str, str, str]:
    """(CNIL decision, decision on informing the people, reasons), worded for the register.

    GDPR art. 33(1): notify unless the breach is unlikely to result in a risk; art. 33(5): document the decision
    either way; art. 34: tell the people when the risk is high, unless an art. 34(3) exception applies."""
    risk = risk_summary(breach, lang)
    sent = breach.cnil_sent_at
    reasons: list[str] = []
    if sent is not None:
        cnil = translate(N_("Notifiée le %(date)s"), lang, date=format_instant(sent, lang))
        if breach.aware_at and is_late(breach.aware_at, sent, period_hours):
            cnil += translate(N_(" (hors délai de 72 h)"), lang)
        reference = _raw("cnil_submission", "cnil_reference", breach)
        if reference:
            cnil += translate(N_(", accusé de réception %(reference)s"), lang, reference=reference)
    elif risk is None:
        cnil = translate(N_("Pas encore décidée : risque non évalué"), lang)
    elif risk.notify_decided:
        cnil = translate(N_("À notifier : pas encore envoyée"), lang)
    else:
        cnil = translate(N_("Non notifiée : risque improbable (art. 33(1))"), lang)
    if risk is not None:
        reasons.extend(risk.reasons)
        reasons.extend(f"{row.label}{nbsp_colon(lang)} {row.value}" for row in risk.override)
    status = _field("information_status", breach, lang)
    exception = _field("art_34_3_exception", breach, lang)
    people = status or (translate(N_("Pas encore décidée"), lang))
    if exception:
        people += f" — {exception}"
    justification = _raw("information", "information_justification", breach)
    if justification:
        reasons.append(justification)
    return cnil, people, "\n".join(reasons)


def row(breach: Breach, lang: str = "fr", period_hours: int = 72) -> dict[str, Any]:
    """One register entry as the exports write it (COLUMNS, plus the breach's id for links): text, except the two
    counts, which stay numbers."""
    cnil, people, reasons = decision(breach, lang, period_hours)
    risk = risk_summary(breach, lang)
    values: dict[str, Any] = {
        "reference": breach.reference,
        "establishment": breach.establishment.name,
        "status": translate(STATUS_LABELS.get(breach.status, breach.status), lang),
        "title": breach.title or "",
        "facts": _raw("nature", "nature_details", breach) or "",
        "risk": f"{risk.risk_level} (SE {risk.score}, {risk.severity})" if risk else "",
        "cnil_decision": cnil,
        "people_decision": people,
        "decision_reasons": reasons,
        "closed_at": format_instant(breach.closed_at, lang),
        "people_count": _raw("people", "people_count", breach),
        "records_count": _raw("data", "records_count", breach),
    }
    for name in ("started_at", "discovered_at", "aware_at", "ended_at", "natures", "origins", "cause",
                 "people_categories", "data_categories", "consequences", "consequences_details", "severity",
                 "measures_taken", "measures_planned", "cnil_sent_at", "cnil_reference", "delay_reasons",
                 "ars_reported_at"):
        values[name] = _field(name, breach, lang)
    if _raw("dates", "ongoing", breach):
        values["ended_at"] = translate(N_("Toujours en cours"), lang)
    return {"id": breach.id, **{code: values[code] for code in COLUMN_CODES}}


def rows(organisation_id: int | None, filters: Filters, lang: str = "fr",
         period_hours: int = 72) -> list[dict[str, Any]]:
    return [row(b, lang, period_hours) for b in breaches(organisation_id, filters)]


def headers(lang: str) -> list[str]:
    return [translate(label, lang) for _, label in COLUMNS]


# --- exports ------------------------------------------------------------------------------------------------------

def to_csv(entries: list[dict[str, Any]], lang: str = "fr") -> bytes:
    """Semicolon-separated UTF-8 with a BOM, as French spreadsheet software opens it; formula cells neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([safe_cell(h) for h in headers(lang)])
    for entry in entries:
        writer.writerow([safe_cell(entry[code]) for code in COLUMN_CODES])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(entries: list[dict[str, Any]], lang: str = "fr") -> bytes:
    """One sheet, a header row, counts as numbers and everything else written as text (never as a formula)."""
    import xlsxwriter

    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"in_memory": True, "strings_to_formulas": False,
                                            "strings_to_urls": False, "strings_to_numbers": False})
    workbook.set_properties({"title": translate(N_("Registre des violations de données"),
                                           lang), "comments": "GDPR art. 33(5)"})
    sheet = workbook.add_worksheet(translate(N_("Registre"), lang))
    bold = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    for column, title in enumerate(headers(lang)):
        sheet.write_string(0, column, safe_cell(title), bold)
        sheet.set_column(column, column, 40 if COLUMN_CODES[column] in ("facts", "decision_reasons") else 18)
    for line, entry in enumerate(entries, 1):
        for column, code in enumerate(COLUMN_CODES):
            value = safe_cell(entry[code])
            if isinstance(value, (int, float)):
                sheet.write_number(line, column, value, wrap)
            else:
                sheet.write_string(line, column, value, wrap)
    sheet.freeze_panes(1, 1)
    workbook.close()
    return output.getvalue()


def to_pdf(entries: list[dict[str, Any]], filters: Filters, *, lang: str = "fr", organisation: str = "",
           now: datetime | None = None, audit_footer: str | None = None) -> bytes:
    """PDF/A-3b, one block per breach, the register's CSV embedded for machines."""
    from notifier.documents.render import PDF_A3, EmbeddedFile, PdfMetadata, render_pdf, render_template

    now = now or utcnow()
    title = translate(N_("Registre des violations de données personnelles"), lang)
    html = render_template(
        "register/register.html", lang=lang, title=title, organisation=organisation,
        entries=[{code: format_count(v, lang) if isinstance(v, int) else v for code, v in e.items()} for e in entries],
        columns=[(code, translate(label, lang)) for code, label in COLUMNS],
        summary_columns=[(code, translate(label, lang)) for code, label in COLUMNS if code in SUMMARY_COLUMNS],
        filters=_filters_text(filters, lang),
        generated_at=format_instant(now, lang), count=len(entries),
        s={key: translate(text, lang) for key, text in STRINGS.items()})
    attachment = EmbeddedFile(name="register.csv", data=to_csv(entries, lang), relationship="Data", modified=now,
                              description=translate(N_("Registre au format CSV"), lang))
    metadata = PdfMetadata(title=title, author=organisation, subject="RGPD art. 33(5) / GDPR art. 33(5)",
                           keywords=("RGPD", "GDPR", "register"))
    return render_pdf(html, pdf_variant=PDF_A3, attachments=[attachment], metadata=metadata, lang=lang,
                      stylesheets=("base.css", "register/register.css"), audit_footer=audit_footer)


STRINGS: dict[str, str] = {
    "confidential": N_("Confidentiel"),
    "source": N_("RGPD art. 33(5) : toute violation est documentée, qu'elle soit notifiée ou non : faits, effets, "
               "mesures prises, décision et ses motifs."),
    "generated": N_("Généré le"),
    "filters": N_("Filtres"),
    "none": N_("aucun"),
    "count": N_("Violations"),
    "empty": N_("Aucune violation ne correspond à ces filtres."),
    "attachment": N_("Le registre est joint à ce PDF/A-3 au format CSV (register.csv)."),
}


def _filters_text(filters: Filters, lang: str) -> str:
    parts = []
    if filters.establishment_id is not None:
        from notifier.accounts.organisations import Establishment

        establishment = db.session.get(Establishment, filters.establishment_id)
        parts.append(establishment.name if establishment else f"#{filters.establishment_id}")
    if filters.year is not None:
        parts.append(str(filters.year))
    if filters.status is not None:
        parts.append(translate(STATUS_LABELS[filters.status], lang))
    return ", ".join(parts)


def download(fmt: str, organisation_id: int | None, filters: Filters, *, user: User | None = None,
             via: str | None = None, lang: str = "fr", organisation: str = "", period_hours: int = 72) -> bytes:
    """The register handed to the user (web) or written (`notifier register export`), recorded in the audit trail
    (flushed: the request or the command commits)."""
    data = export(fmt, organisation_id, filters, lang=lang, organisation=organisation, period_hours=period_hours)
    audit.record("register.export", user=user, organisation_id=organisation_id,
                 details={"format": fmt, **audit.via(via), **filters.as_dict()})
    return data


def export(fmt: str, organisation_id: int | None, filters: Filters, *, lang: str = "fr", organisation: str = "",
           period_hours: int = 72) -> bytes:
    """The register in one of FORMATS (`download` records it in the audit trail)."""
    if fmt not in FORMATS:
        raise RegisterError(f"unknown format {fmt[:10]!r} (expected csv, xlsx or pdf)")
    from notifier.audit.services import document_checkpoint

    entries = rows(organisation_id, filters, lang, period_hours)
    # Every document issued: a signed checkpoint of the audit trail, printed in the PDF's footer (docs/security.md).
    audit_footer = document_checkpoint(lang)
    if fmt == "csv":
        return to_csv(entries, lang)
    if fmt == "xlsx":
        return to_xlsx(entries, lang)
    return to_pdf(entries, filters, lang=lang, organisation=organisation, audit_footer=audit_footer)


MIMETYPES = {"csv": "text/csv; charset=utf-8", "pdf": "application/pdf",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
