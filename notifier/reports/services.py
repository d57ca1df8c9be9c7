"""Regulator reports made from one breach record, each a numbered PDF/A-3 version kept forever.

- The CNIL notification report (GDPR art. 33): the answers in the order of the CNIL online form, so the DPO can fill
  the téléservice field by field; the art. 33(3) minimum content; the 72-hour deadline, when it was sent and the
  reasons for a delay (art. 33(1)); the risk assessment; for a complementary notification (art. 33(4)), what changed
  since the previous version.
- The ARS / CERT Santé incident summary, for the "incident de sécurité des SI" form of
  signalement.social-sante.gouv.fr (code de la santé publique L.1111-8-2, décret 2016-1214).
- The NIS2 summaries, for establishments in scope: early warning, incident notification and final report
  (directive (EU) 2022/2555 art. 23(4)(a), (b) and (d)).

Every PDF carries the breach's JSON export (services.breaches.export_document) as an embedded file, is stored under
STORAGE_DIR with a random name, and is recorded with its SHA-256, author, time, kind and language.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select

from notifier.accounts.models import User
from notifier.audit import services as audit
from notifier.breaches import services as breach_service
from notifier.breaches.models import Breach
from notifier.breaches.rules import form, vocabulary
from notifier.breaches.rules.deadlines import Clock
from notifier.core import formatting as timefmt
from notifier.core.errors import BilingualError
from notifier.core.formatting import format_count
from notifier.core.i18n import translate
from notifier.core.types import utcnow
from notifier.extensions import db
from notifier.reports.models import ReportVersion
from notifier.reports.states import ReportDocument, ReportKind

Text = tuple[str, str]  # (French, English)
LANGUAGES = ("fr", "en")
REPORT_STYLESHEETS = ("base.css", "cnil_report/report.css")


@dataclass(frozen=True)
class DocumentType:
    code: str
    label: Text
    template: str
    clock: str
    """The code of its clock in services.breaches.clocks."""
    source: str
    nis2: bool = False


DOCUMENTS: dict[str, DocumentType] = {
    "cnil": DocumentType("cnil", ("Notification à la CNIL", "Notification to the CNIL"), "cnil_report/report.html",
                         "cnil", "RGPD art. 33 / GDPR art. 33"),
    "ars": DocumentType("ars", ("Signalement ARS / CERT Santé (incident de sécurité des SI)",
                                "ARS / CERT Santé report (information system security incident)"),
                        "ars_report/report.html", "ars_cert_sante",
                        "Code de la santé publique art. L.1111-8-2 ; décret n° 2016-1214"),
    "nis2_early_warning": DocumentType(
        "nis2_early_warning", ("NIS2 : alerte précoce", "NIS2: early warning"), "nis2/report.html",
        "nis2_early_warning", "Directive (UE) 2022/2555 art. 23(4)(a)", nis2=True),
    "nis2_notification": DocumentType(
        "nis2_notification", ("NIS2 : notification d'incident", "NIS2: incident notification"), "nis2/report.html",
        "nis2_notification", "Directive (UE) 2022/2555 art. 23(4)(b)", nis2=True),
    "nis2_final_report": DocumentType(
        "nis2_final_report", ("NIS2 : rapport final", "NIS2: final report"), "nis2/report.html",
        "nis2_final_report", "Directive (UE) 2022/2555 art. 23(4)(d)", nis2=True),
}

KIND_LABELS: dict[str, Text] = {
    "initial": ("Version initiale", "Initial version"),
    "complementary": ("Version complémentaire", "Complementary version"),
}


class ReportError(BilingualError):
    """A report that cannot be made as asked."""


class ArchiveCorrupted(RuntimeError):
    """The stored file of a version is missing or no longer matches its recorded SHA-256."""


def pick(pair: Text, lang: str) -> str:
    if isinstance(pair, str):  # a French msgid of breaches and risk: notifier.core.i18n.translate
        return translate(pair, lang)
    return pair[1] if lang == "en" else pair[0]


# --- values as people read them -----------------------------------------------------------------------------------

YES_NO: dict[bool, Text] = {True: ("Oui", "Yes"), False: ("Non", "No")}


def _instant(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        instant = datetime.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None
    return instant if instant is not None and instant.tzinfo is not None else None


def format_instant(value: Any, lang: str) -> str:
    instant = _instant(value)
    return timefmt.format_datetime(instant, lang) if instant else ""


def display(field: form.Field, value: Any, lang: str) -> str:
    """A stored or exported value as text: choice labels in the language, Paris time, grouped numbers, Oui/Non.
    Empty is ""; a value that does not fit its field (an old export) is shown as it is rather than hidden."""
    if value in (None, "", []):
        return ""
    if field.kind == "multi" and isinstance(value, list):
        return ", ".join(vocabulary.label(field.options, str(code), lang) for code in value)
    if field.kind == "choice":
        return vocabulary.label(field.options, str(value), lang)
    if field.kind == "bool":
        return pick(YES_NO[bool(value)], lang)
    if field.kind == "int" and isinstance(value, int) and not isinstance(value, bool):
        text = format_count(value, lang)
        if field.name == "people_count":
            band = vocabulary.label(vocabulary.PEOPLE_COUNT_BANDS, vocabulary.people_count_band(value), lang)
            text += f" ({pick(('tranche CNIL', 'CNIL band'), lang)}{nbsp_colon(lang)} {band})"
        return text
    if field.kind == "datetime":
        return format_instant(value, lang) or str(value)
    if field.kind == "date":
        try:
            return timefmt.format_date(date.fromisoformat(str(value)), lang)
        except ValueError:
            return str(value)
    return str(value)


def nbsp_colon(lang: str) -> str:
    """French typography puts a no-break space before a colon."""
    return ":" if lang == "en" else "\u00a0:"


# --- the parts of a report ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    label: str
    value: str
    multiline: bool = False


@dataclass(frozen=True)
class Section:
    number: int
    code: str
    title: str
    source: str
    rows: tuple[Row, ...]


def form_sections(sections: dict[str, Any], lang: str) -> list[Section]:
    """Every field of every step, in the order of the CNIL online form (domain/breach_form.py STEPS), empty ones
    included: the DPO copies them into the téléservice one by one."""
    result = []
    for number, step in enumerate(form.STEPS, 1):
        answers = sections.get(step.code) or {}
        rows = tuple(Row(pick(field.label, lang), display(field, answers.get(field.name), lang),
                         field.kind == "textarea") for field in step.fields)
        result.append(Section(number, step.code, pick(step.title, lang), step.source, rows))
    return result


def section_of_field() -> dict[str, int]:
    return {field.name: number for number, step in enumerate(form.STEPS, 1) for field in step.fields}


@dataclass(frozen=True)
class Element:
    code: str
    label: str
    present: bool
    sections: tuple[int, ...]


def art_33_3_checklist(sections: dict[str, Any], lang: str) -> list[Element]:
    """GDPR art. 33(3): each element of the minimum content, answered or not, and the report sections holding it."""
    missing = {code for code, _ in form.missing_art_33_3(sections)}
    where = section_of_field()
    return [Element(code, pick(label, lang), code not in missing,
                    tuple(sorted({where[name] for alternatives in requirements for name in alternatives})))
            for code, label, requirements in form.ART_33_3_ELEMENTS]


@dataclass(frozen=True)
class Timing:
    """One clock as a report states it."""

    label: str
    source: str
    immediate: bool
    status: str
    aware_at: str
    due: str
    done_at: str
    verdict: str
    late: bool


def timing(clock: Clock, aware_at: datetime, lang: str) -> Timing:
    """GDPR art. 33(1): on time or late, and by how much; for "sans délai" duties (ARS), done or to do."""
    duration = timefmt.format_duration
    if clock.status == "done_on_time":
        verdict = (pick(("Fait dans le délai.", "Done on time."), lang) if not clock.immediate
                   else pick(("Fait.", "Done."), lang))
    elif clock.status == "done_late":
        verdict = pick((f"Fait en retard de {duration(clock.lateness, 'fr')}.",
                        f"Done late, by {duration(clock.lateness, 'en')}."), lang)
    elif clock.immediate:
        verdict = pick(("À faire sans délai.", "To be done without delay."), lang)
    elif clock.status == "pending":
        verdict = pick((f"Pas encore fait ; reste {duration(clock.remaining, 'fr')}.",
                        f"Not done yet; {duration(clock.remaining, 'en')} left."), lang)
    else:
        verdict = pick((f"Pas encore fait ; délai dépassé de {duration(clock.lateness, 'fr')}.",
                        f"Not done yet; overdue by {duration(clock.lateness, 'en')}."), lang)
    return Timing(
        label=pick(clock.label, lang), source=clock.source, immediate=clock.immediate,
        status=clock.status, aware_at=format_instant(aware_at, lang), due=format_instant(clock.due, lang),
        done_at=format_instant(clock.done_at, lang), verdict=verdict,
        late=clock.status in ("done_late", "overdue") and not clock.immediate)


# --- the risk assessment ------------------------------------------------------------------------------------------

OVERRIDE_LABELS: dict[str, Text] = {
    "notify_authority": ("Notification à la CNIL", "Notification to the CNIL"),
    "inform_subjects": ("Information des personnes", "Information of the people"),
    "public_communication_required": ("Communication publique", "Public communication"),
    "risk_level": ("Niveau de risque retenu", "Risk level decided"),
    "severity": ("Gravité retenue", "Severity decided"),
    "justification": ("Justification", "Justification"),
    "reason": ("Justification", "Justification"),
    "reasons": ("Justification", "Justification"),
    "by": ("Par", "By"),
    "author": ("Par", "By"),
    "user": ("Par", "By"),
    "at": ("Le", "On"),
}


@dataclass(frozen=True)
class RiskSummary:
    score: str
    severity: str
    risk_level: str
    notify_authority: bool
    inform_subjects: bool
    public_communication: bool
    reasons: tuple[str, ...]
    override: tuple[Row, ...]
    """The DPO's override of a verdict, with its justification; empty when none."""
    notify_decided: bool
    """The decision on art. 33 after the override, when the override sets it."""
    inform_decided: bool
    source: str


def _override_rows(override: Any, lang: str) -> tuple[Row, ...]:
    if not isinstance(override, dict):
        return ()
    from notifier.risk.rules import engine as risk

    rows = []
    for key, value in override.items():
        if value in (None, "", []):
            continue
        label = pick(OVERRIDE_LABELS[key], lang) if key in OVERRIDE_LABELS else key
        if isinstance(value, bool):
            text = pick(YES_NO[value], lang)
        elif key == "risk_level" and value in risk.RISK_LEVELS:
            text = pick(risk.RISK_LEVELS[value], lang)
        elif key == "severity" and value in risk.SEVERITIES:
            text = pick(risk.SEVERITIES[value], lang)
        elif key == "at" and _instant(value):
            text = format_instant(value, lang)
        elif isinstance(value, (dict, list)):
            text = json.dumps(value, ensure_ascii=False)
        else:
            text = str(value)
        rows.append(Row(label, text, isinstance(value, str) and "\n" in value))
    return tuple(rows)


def risk_summary(breach: Breach, lang: str) -> RiskSummary | None:
    """The risk assessment recorded with the breach (``sections["risk_facts"]``), scored by notifier.risk.rules.engine,
    with the DPO's override (``sections["risk_override"]``) when there is one. None when no facts are recorded or
    they cannot be read: a report never fails because of the assessment, it just goes without that section."""
    facts_doc = (breach.sections or {}).get("risk_facts")
    if not facts_doc:
        return None
    try:
        from notifier.risk.rules import engine as risk
    except ImportError:  # the risk module is a separate feature; without it, no section
        return None
    try:
        assessment = risk.assess(risk.validate_facts(facts_doc), lang=lang)
    except (ValueError, TypeError, KeyError):
        return None
    override = (breach.sections or {}).get("risk_override")
    override = override if isinstance(override, dict) else {}
    notify = override.get("notify_authority")
    inform = override.get("inform_subjects")
    score = f"{assessment.severity_score:g}"
    return RiskSummary(
        score=score if lang == "en" else score.replace(".", ","),
        severity=pick(risk.SEVERITIES[assessment.severity], lang),
        risk_level=pick(risk.RISK_LEVELS[assessment.risk_level], lang),
        notify_authority=assessment.notify_authority, inform_subjects=assessment.inform_subjects,
        public_communication=assessment.public_communication_required,
        reasons=tuple(reason.text(lang) for reason in assessment.reasons),
        override=_override_rows(override, lang),
        notify_decided=notify if isinstance(notify, bool) else assessment.notify_authority,
        inform_decided=inform if isinstance(inform, bool) else assessment.inform_subjects,
        source=pick(("ENISA 2013 (SE = DPC × EI + CB) ; RGPD art. 33 et 34",
                     "ENISA 2013 (SE = DPC × EI + CB); GDPR art. 33 and 34"), lang),
    )


# --- what changed between two versions ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Change:
    section: str
    label: str
    old: str
    new: str


def _same(field: form.Field | None, old: Any, new: Any) -> bool:
    def norm(value):
        if value in (None, "", [], False):
            return None
        if field is not None and field.kind == "datetime":
            return _instant(value) or value
        return value

    return norm(old) == norm(new)


def changes_between(old_doc: dict[str, Any], new_doc: dict[str, Any], lang: str) -> list[Change]:
    """The differences between two exported breach documents (services.breaches.export_document), field by field in
    the order of the form: section, field label, old value, new value. GDPR art. 33(4): a complementary
    notification says what it adds or corrects."""
    changes = []
    old_est, new_est = old_doc.get("establishment") or {}, new_doc.get("establishment") or {}
    establishment = pick(("Établissement", "Establishment"), lang)
    for key, label in (("name", ("Nom", "Name")), ("siren", ("SIREN", "SIREN")), ("finess", ("FINESS", "FINESS"))):
        if not _same(None, old_est.get(key), new_est.get(key)):
            changes.append(Change(establishment, pick(label, lang), str(old_est.get(key) or ""),
                                  str(new_est.get(key) or "")))
    old_sections, new_sections = old_doc.get("sections") or {}, new_doc.get("sections") or {}
    for step in form.STEPS:
        old, new = old_sections.get(step.code) or {}, new_sections.get(step.code) or {}
        for field in step.fields:
            if not _same(field, old.get(field.name), new.get(field.name)):
                changes.append(Change(pick(step.title, lang), pick(field.label, lang),
                                      display(field, old.get(field.name), lang),
                                      display(field, new.get(field.name), lang)))
    risk_parts = (("risk_facts", ("Évaluation du risque : faits", "Risk assessment: facts")),
                  ("risk_override", ("Évaluation du risque : décision du DPO", "Risk assessment: DPO's override")))
    for key, title in risk_parts:
        old, new = old_doc.get(key) or {}, new_doc.get(key) or {}
        for name in sorted(set(old) | set(new)):
            if not _same(None, old.get(name), new.get(name)):
                changes.append(Change(pick(title, lang), name, _plain(old.get(name), lang),
                                      _plain(new.get(name), lang)))
    return changes


def _plain(value: Any, lang: str) -> str:
    if value in (None, "", []):
        return ""
    if isinstance(value, bool):
        return pick(YES_NO[value], lang)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


# --- the fixed text of the documents ------------------------------------------------------------------------------

STRINGS: dict[str, Text] = {
    "confidential": ("Confidentiel", "Confidential"),
    "reference": ("Référence interne", "Internal reference"),
    "establishment": ("Établissement", "Establishment"),
    "organisation": ("Organisme", "Organisation"),
    "address": ("Adresse", "Address"),
    "version": ("Version", "Version"),
    "kind": ("Nature de la version", "Version type"),
    "generated": ("Généré le", "Generated on"),
    "generated_by": ("par", "by"),
    "not_answered": ("Non renseigné", "Not answered"),
    "timing_title": ("Délai de notification", "Notification deadline"),
    "aware_at": ("Prise de connaissance", "Awareness"),
    "due": ("Échéance", "Deadline"),
    "done_at": ("Envoyé le", "Sent on"),
    "not_sent": ("Pas encore envoyé", "Not sent yet"),
    "verdict": ("Respect du délai", "Deadline met"),
    "delay_reasons": ("Motifs du retard", "Reasons for the delay"),
    "delay_reasons_missing": ("Motifs du retard non renseignés : l'article 33(1) du RGPD les exige.",
                              "Reasons for the delay not given: GDPR art. 33(1) requires them."),
    "no_awareness": ("Date de prise de connaissance non renseignée : le délai ne peut pas être calculé.",
                     "Awareness time not given: the deadline cannot be computed."),
    "changes_title": ("Modifications depuis la version", "Changes since version"),
    "changes_none": ("Aucun champ n'a changé depuis la version précédente.",
                     "No field changed since the previous version."),
    "field": ("Champ", "Field"),
    "section": ("Section", "Section"),
    "old": ("Ancienne valeur", "Old value"),
    "new": ("Nouvelle valeur", "New value"),
    "empty": ("(vide)", "(empty)"),
    "checklist_title": ("Contenu minimal de la notification (RGPD art. 33(3))",
                        "Minimum content of the notification (GDPR art. 33(3))"),
    "present": ("Renseigné", "Given"),
    "missing": ("À compléter (art. 33(4) : notification par phases)", "To complete (art. 33(4): phased notification)"),
    "see_sections": ("voir section", "see section"),
    "form_title": ("Réponses au formulaire de notification de la CNIL", "Answers to the CNIL notification form"),
    "form_intro": ("Les sections suivent l'ordre du formulaire en ligne notifications.cnil.fr.",
                   "The sections follow the order of the online form notifications.cnil.fr."),
    "risk_title": ("Évaluation du risque", "Risk assessment"),
    "risk_none": ("Aucune évaluation du risque n'est enregistrée pour cette violation.",
                  "No risk assessment is recorded for this breach."),
    "severity_score": ("Score de gravité", "Severity score"),
    "severity": ("Gravité", "Severity"),
    "risk_level": ("Niveau de risque", "Risk level"),
    "notify_authority": ("Notification à la CNIL (art. 33)", "Notification to the CNIL (art. 33)"),
    "inform_subjects": ("Information individuelle des personnes (art. 34)",
                        "Individual information of the people (art. 34)"),
    "public_communication": ("Communication publique (art. 34(3)(c))", "Public communication (art. 34(3)(c))"),
    "reasons": ("Motifs", "Reasons"),
    "override": ("Décision du DPO s'écartant de l'évaluation", "DPO's override of the assessment"),
    "method": ("Méthode", "Method"),
    "attachment": ("Pièce jointe", "Attachment"),
    "attachment_text": ("Ce PDF/A-3 contient en pièce jointe la fiche complète de la violation au format JSON "
                        "(format notifier-breach) : {name}.",
                        "This PDF/A-3 carries the complete breach record as an attached JSON file "
                        "(notifier-breach format): {name}."),
    "yes": ("Oui", "Yes"),
    "no": ("Non", "No"),
    "contact": ("Contact", "Contact"),
    "clock": ("Délai", "Deadline"),
    "ars_intro": (
        "Résumé préparé pour le formulaire « incident de sécurité des systèmes d'information » du portail "
        "signalement.social-sante.gouv.fr, qui transmet le signalement à l'ARS et au CERT Santé (ANS). "
        "Signalement sans délai : code de la santé publique art. L.1111-8-2, décret n° 2016-1214.",
        "Summary prepared for the 'information system security incident' form of the signalement.social-sante.gouv.fr "
        "portal, which sends the report to the ARS and to CERT Santé (ANS). To be reported without delay: code de la "
        "santé publique art. L.1111-8-2, décret n° 2016-1214."),
    "cert_sante_line": ("Incident majeur : astreinte CERT Santé au 09 72 43 91 25.",
                        "Major incident: CERT Santé on-call line 09 72 43 91 25."),
    "ars_declarant": ("Établissement déclarant", "Reporting establishment"),
    "ars_dates": ("Dates de l'incident", "Dates of the incident"),
    "ars_description": ("Description de l'incident", "Description of the incident"),
    "ars_care": ("Impact sur la prise en charge des patients et le fonctionnement",
                 "Impact on patient care and operations"),
    "care_disrupted": ("Soins annulés, reportés ou dégradés", "Care cancelled, postponed or degraded"),
    "availability_hours": ("Durée d'indisponibilité des données", "How long the data were unavailable"),
    "ars_people": ("Personnes et données concernées", "People and data concerned"),
    "ars_measures": ("Mesures prises et envisagées", "Measures taken and planned"),
    "ars_other": ("Autres signalements", "Other reports"),
    "ars_previous": ("Signalement ARS déjà fait", "ARS report already made"),
    "nis2_entity": ("Entité", "Entity"),
    "nis2_stages": ("Échéances NIS2 (art. 23(4))", "NIS2 deadlines (art. 23(4))"),
    "nis2_early_warning": ("Alerte précoce (art. 23(4)(a))", "Early warning (art. 23(4)(a))"),
    "nis2_malicious": ("Incident soupçonné d'être causé par des actes illicites ou malveillants",
                       "Incident suspected of being caused by unlawful or malicious acts"),
    "nis2_cross_border": ("Impact transfrontière possible", "Possible cross-border impact"),
    "nis2_assessment": ("Évaluation initiale : gravité et impact (art. 23(4)(b))",
                        "Initial assessment: severity and impact (art. 23(4)(b))"),
    "nis2_ioc": ("Indicateurs de compromission", "Indicators of compromise"),
    "nis2_ioc_text": ("Non consignés dans la fiche de violation : à joindre au formulaire s'ils sont disponibles.",
                      "Not kept in the breach record: attach them to the form when available."),
    "nis2_final": ("Rapport final (art. 23(4)(d))", "Final report (art. 23(4)(d))"),
    "nis2_description": ("Description détaillée de l'incident, gravité et impact",
                         "Detailed description of the incident, its severity and impact"),
    "nis2_root_cause": ("Type de menace ou cause profonde", "Type of threat or root cause"),
    "nis2_mitigation": ("Mesures d'atténuation appliquées et en cours", "Applied and ongoing mitigation measures"),
    "nis2_cross_border_impact": ("Impact transfrontière", "Cross-border impact"),
    "malicious_yes": ("Oui (cause : acte malveillant)", "Yes (cause: malicious act)"),
    "malicious_no": ("Non (cause accidentelle)", "No (accidental cause)"),
    "malicious_unknown": ("Inconnu à ce stade", "Unknown at this stage"),
    "nis2_intro": (
        "Résumé préparé pour l'autorité compétente ou le CSIRT (ANSSI / CERT-FR en France ; transposition de la "
        "directive NIS2 en cours), selon l'article 23(4) de la directive (UE) 2022/2555.",
        "Summary prepared for the competent authority or CSIRT (ANSSI / CERT-FR in France; transposition of the NIS2 "
        "directive pending), under art. 23(4) of directive (EU) 2022/2555."),
}


def strings(lang: str) -> dict[str, str]:
    return {key: pick(pair, lang) for key, pair in STRINGS.items()}


# --- generating and keeping versions ------------------------------------------------------------------------------

def versions(breach: Breach, document: str | None = None) -> list[ReportVersion]:
    """The versions of a breach's reports, newest first."""
    query = select(ReportVersion).where(ReportVersion.breach_id == breach.id)
    if document is not None:
        query = query.where(ReportVersion.document == document)
    return list(db.session.scalars(query.order_by(ReportVersion.document, ReportVersion.number.desc())))


def available_documents(breach: Breach) -> list[DocumentType]:
    """The CNIL report and the ARS summary always; the NIS2 stages when the establishment is in NIS2 scope."""
    return [d for d in DOCUMENTS.values() if not d.nis2 or breach.establishment.nis2_in_scope]


def default_kind(breach: Breach, document: str, *, period_hours: int = 72) -> str:
    """Complementary once the previous version has been sent (its clock is done), initial before: until it is sent,
    an initial report may be regenerated to correct it."""
    if not versions(breach, document):
        return ReportKind.INITIAL
    clock = _clock(breach, DOCUMENTS[document], period_hours, utcnow())
    return ReportKind.COMPLEMENTARY if clock is not None and clock.done_at is not None else ReportKind.INITIAL


def _clock(breach: Breach, document: DocumentType, period_hours: int, now: datetime) -> Clock | None:
    return next((c for c in breach_service.clocks(breach, period_hours=period_hours, now=now)
                 if c.code == document.clock), None)


def check_request(breach: Breach, document: str, kind: str | None, lang: str) -> DocumentType:
    if document not in DOCUMENTS:
        raise ReportError(f"document inconnu : {document[:40]} (attendu : {', '.join(DOCUMENTS)})",
                          f"unknown document: {document[:40]} (expected one of {', '.join(DOCUMENTS)})")
    if kind is not None and kind not in list(ReportKind):
        raise ReportError(f"nature de version inconnue : {kind[:40]} (attendu : initial ou complementary)",
                          f"unknown kind: {kind[:40]} (expected initial or complementary)")
    if lang not in LANGUAGES:
        raise ReportError(f"langue inconnue : {lang[:10]} (attendu : fr ou en)",
                          f"unknown language: {lang[:10]} (expected fr or en)")
    doc_type = DOCUMENTS[document]
    if doc_type.nis2 and not breach.establishment.nis2_in_scope:
        raise ReportError(f"l'établissement {breach.establishment.name} n'est pas dans le champ de NIS2",
                          f"establishment {breach.establishment.name} is not in NIS2 scope")
    return doc_type


def generate(breach: Breach, *, user: User | None, document: str = ReportDocument.CNIL, kind: str | None = None,
             lang: str = "fr", period_hours: int = 72, now: datetime | None = None) -> ReportVersion:
    """Render, store and record the next version of a report. Raises ReportError on a request that cannot be met:
    unknown document, kind or language, NIS2 outside its scope, a complementary version with nothing before it.

    Commits, unlike the other use cases: the version row and its stored file must agree, so the file is deleted
    when the commit fails (an archived version is never a row without its file, nor a file without its row)."""
    doc_type = check_request(breach, document, kind, lang)
    now = now or utcnow()
    if db.engine.dialect.name == "postgresql":
        # Two people generating at once: the second waits, then numbers after the first.
        db.session.execute(select(Breach.id).where(Breach.id == breach.id).with_for_update())
    previous = next(iter(versions(breach, document)), None)
    kind = kind or default_kind(breach, document, period_hours=period_hours)
    if kind == ReportKind.COMPLEMENTARY and previous is None:
        raise ReportError(
            "une version complémentaire suppose une version précédente : générez d'abord la version initiale",
            "a complementary version needs a previous one: generate the initial version first")
    number = previous.number + 1 if previous else 1
    export = breach_service.export_document(breach)
    export["exported_at"] = now.isoformat()
    attachment_name = f"{breach.reference}.json"
    context = report_context(breach, doc_type, kind=kind, lang=lang, number=number, now=now, user=user,
                             export=export, previous=previous if kind == ReportKind.COMPLEMENTARY else None,
                             period_hours=period_hours, attachment_name=attachment_name)
    # Every document issued carries a signed checkpoint of the audit trail in its footer (docs/security.md).
    pdf = render(doc_type, context, export, attachment_name, lang, now, audit_footer=audit.document_checkpoint(lang))
    digest = hashlib.sha256(pdf).hexdigest()
    storage_name = _store(pdf)
    version = ReportVersion(
        organisation_id=breach.organisation_id, breach_id=breach.id, document=document, number=number, kind=kind,
        lang=lang, storage_name=storage_name, sha256=digest, size=len(pdf),
        filename=f"{breach.reference}-{document}-v{number}-{lang}.pdf", generated_by_id=user.id if user else None,
        generated_at=now, breach_document=export)
    try:
        db.session.add(version)
        db.session.flush()
        audit.record("report.generate", user=user, obj=version, breach_id=breach.id,
                     organisation_id=breach.organisation_id,
                     details={"document": document, "number": number, "kind": kind, "lang": lang, "sha256": digest})
        db.session.commit()
    except Exception:
        db.session.rollback()
        storage_path(storage_name).unlink(missing_ok=True)
        raise
    return version


def report_context(breach: Breach, doc_type: DocumentType, *, kind: str, lang: str, number: int, now: datetime,
                   user: User | None, export: dict[str, Any], previous: ReportVersion | None, period_hours: int,
                   attachment_name: str) -> dict[str, Any]:
    """Everything a report template shows, already worded: templates only lay it out."""
    establishment = breach.establishment
    sections = breach.sections
    clocks = {c.code: c for c in breach_service.clocks(breach, period_hours=period_hours, now=now)}
    timings = {code: timing(c, breach.aware_at, lang) for code, c in clocks.items()}
    cnil = sections.get("cnil_submission") or {}
    return {
        "lang": lang,
        "s": strings(lang),
        "colon": nbsp_colon(lang),
        "document": {"code": doc_type.code, "label": pick(doc_type.label, lang), "source": doc_type.source},
        "breach": {"reference": breach.reference, "title": breach.title or "", "status": breach.status},
        "establishment": {
            "name": establishment.name, "siren": establishment.siren, "finess": establishment.finess,
            "address": establishment.address, "organisation": establishment.organisation.name,
            "nis2_in_scope": establishment.nis2_in_scope,
        },
        "version": {"number": number, "kind": kind, "kind_label": pick(KIND_LABELS[kind], lang),
                    "generated_at": format_instant(now, lang),
                    "generated_by": (user.name or user.email) if user else pick(("ligne de commande", "command line"),
                                                                                lang)},
        "timing": timings.get(doc_type.clock),
        "timings": timings,
        "delay_reasons": cnil.get("delay_reasons") or "",
        "cnil_reference": cnil.get("cnil_reference") or "",
        "sections": form_sections(sections, lang),
        "checklist": art_33_3_checklist(sections, lang),
        "risk": risk_summary(breach, lang),
        "previous": {"number": previous.number, "generated_at": format_instant(previous.generated_at, lang)}
        if previous else None,
        "changes": changes_between(previous.breach_document, export, lang) if previous else None,
        "facts": _facts(breach, lang),
        "labels": {field.name: pick(field.label, lang) for field in form.FIELD_BY_NAME.values()},
        "attachment_name": attachment_name,
    }


def _facts(breach: Breach, lang: str) -> dict[str, Any]:
    """The answers one by one, as text, for the ARS and NIS2 summaries that pick from them."""
    values = {}
    for step in form.STEPS:
        answers = breach.sections.get(step.code) or {}
        for field in step.fields:
            values[field.name] = display(field, answers.get(field.name), lang)
    cause = (breach.sections.get("origin") or {}).get("cause")
    values["malicious"] = ("yes" if cause in ("internal_malicious", "external_malicious")
                           else "unknown" if cause in (None, "unknown", "other") else "no")
    facts_doc = breach.sections.get("risk_facts") or {}
    care = facts_doc.get("care_disrupted") if isinstance(facts_doc, dict) else None
    values["care_disrupted"] = pick(YES_NO[care], lang) if isinstance(care, bool) else ""
    hours = facts_doc.get("availability_hours") if isinstance(facts_doc, dict) else None
    values["availability_hours"] = f"{hours:g} h" if isinstance(hours, (int, float)) else ""
    return values


def render(doc_type: DocumentType, context: dict[str, Any], export: dict[str, Any], attachment_name: str, lang: str,
           now: datetime, *, audit_footer: str | None = None) -> bytes:
    """The PDF/A-3b of a report, the breach's JSON export embedded, title/author/subject and language set."""
    from notifier.documents.render import PDF_A3, EmbeddedFile, PdfMetadata, render_pdf, render_template

    html = render_template(doc_type.template, **context)
    payload = json.dumps(export, ensure_ascii=False, indent=2).encode("utf-8")
    attachment = EmbeddedFile(
        name=attachment_name, data=payload, relationship="Data", modified=now,
        description=pick(("Fiche de la violation (format notifier-breach, JSON)",
                          "Breach record (notifier-breach format, JSON)"), lang))
    title = f"{context['document']['label']} — {context['breach']['reference']} — v{context['version']['number']}"
    metadata = PdfMetadata(
        title=title, author=context["establishment"]["name"],
        subject=f"{pick(('Violation de données personnelles', 'Personal data breach'), lang)} "
                f"{context['breach']['reference']}",
        keywords=("RGPD", "GDPR", doc_type.code, context["breach"]["reference"]))
    return render_pdf(html, pdf_variant=PDF_A3, attachments=[attachment], metadata=metadata, lang=lang,
                      stylesheets=REPORT_STYLESHEETS, audit_footer=audit_footer)


def storage_path(storage_name: str) -> Path:
    return Path(current_app.config["STORAGE_DIR"]) / "reports" / storage_name


def _store(pdf: bytes) -> str:
    """Write the PDF under a random, non-guessable name (128 bits), readable by the application user only."""
    storage_name = f"{secrets.token_hex(16)}.pdf"
    path = storage_path(storage_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    with open(temporary, "wb") as handle:
        handle.write(pdf)
        handle.flush()
        os.fsync(handle.fileno())
    temporary.chmod(0o600)
    temporary.replace(path)
    return storage_name


def get_version(version_id: int, organisation_id: int) -> ReportVersion | None:
    """A version of the given organisation, or None: never reveal whether another organisation's version exists."""
    version = db.session.get(ReportVersion, version_id)
    if version is None or version.organisation_id != organisation_id:
        return None
    return version


def read_version(version: ReportVersion) -> bytes:
    """The stored PDF, bit for bit as generated; ArchiveCorrupted if it is gone or no longer matches its SHA-256."""
    try:
        data = storage_path(version.storage_name).read_bytes()
    except OSError as error:
        raise ArchiveCorrupted(f"report version {version.id}: stored file unreadable ({error.strerror})") from None
    if hashlib.sha256(data).hexdigest() != version.sha256:
        raise ArchiveCorrupted(f"report version {version.id}: stored file does not match its SHA-256")
    return data


def download_version(version: ReportVersion, *, user: User | None) -> bytes:
    """The stored PDF handed to the user, recorded in the audit trail (flushed); a corrupted archive is recorded too
    (`report.archive_corrupted`) before ArchiveCorrupted is raised, so the request commits either entry."""
    try:
        data = read_version(version)
    except ArchiveCorrupted:
        audit.record("report.archive_corrupted", user=user, obj=version, breach_id=version.breach_id)
        raise
    audit.record("report.download", user=user, obj=version, breach_id=version.breach_id,
                 details={"document": version.document, "number": version.number})
    return data


@dataclass(frozen=True)
class PanelEntry:
    document: DocumentType
    clock: Clock | None
    versions: list[ReportVersion]
    default_kind: str


def panel(breach: Breach, *, period_hours: int = 72, now: datetime | None = None) -> list[PanelEntry]:
    """What the breach page shows for each report: its clock, its versions, the kind a new one would take."""
    now = now or utcnow()
    clocks = {c.code: c for c in breach_service.clocks(breach, period_hours=period_hours, now=now)}
    every = versions(breach)
    entries = []
    for doc_type in available_documents(breach):
        mine = [v for v in every if v.document == doc_type.code]
        clock = clocks.get(doc_type.clock)
        kind = (ReportKind.COMPLEMENTARY if mine and clock is not None and clock.done_at is not None
                else ReportKind.INITIAL)
        entries.append(PanelEntry(doc_type, clock, mine, kind))
    return entries
