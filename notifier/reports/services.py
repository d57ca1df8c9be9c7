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
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from notifier.accounts.models import User
from notifier.audit import services as audit
from notifier.breaches import services as breach_service
from notifier.breaches.models import Breach
from notifier.breaches.rules import form, vocabulary
from notifier.breaches.rules.deadlines import Clock
from notifier.core import events
from notifier.core import formatting as timefmt
from notifier.core.errors import Refusal
from notifier.core.formatting import format_count
from notifier.core.i18n import N_, translate
from notifier.core.types import utcnow
from notifier.documents.wording import clock_label, shown
from notifier.extensions import db
from notifier.reports.models import ReportVersion
from notifier.reports.states import ReportDocument, ReportKind

LANGUAGES = ("fr", "en")
PARIS = ZoneInfo("Europe/Paris")
REPORT_STYLESHEETS = ("base.css", "cnil_report/report.css")


@dataclass(frozen=True)
class DocumentType:
    code: str
    label: str
    """French msgid of the catalog."""
    template: str
    clock: str
    """The code of its clock in services.breaches.clocks."""
    source: str
    nis2: bool = False
    when_due: bool = False
    """Only made once its clock runs: the NIS2 intermediate report once requested, the progress report once the
    incident is ongoing at the final-report date."""


DOCUMENTS: dict[str, DocumentType] = {
    "cnil": DocumentType("cnil", N_("Notification à la CNIL"), "cnil_report/report.html",
                         "cnil", N_("RGPD art. 33")),
    "ars": DocumentType("ars", N_("Signalement ARS / CERT Santé (incident de sécurité des SI)"),
                        "ars_report/report.html", "ars_cert_sante",
                        N_("Code de la santé publique art. L.1111-8-2\u00a0; décret n° 2016-1214")),
    "nis2_early_warning": DocumentType(
        "nis2_early_warning", N_("NIS2 : alerte précoce"), "nis2/report.html",
        "nis2_early_warning", N_("Directive (UE) 2022/2555 art. 23(4)(a)"), nis2=True),
    "nis2_notification": DocumentType(
        "nis2_notification", N_("NIS2 : notification d'incident"), "nis2/report.html",
        "nis2_notification", N_("Directive (UE) 2022/2555 art. 23(4)(b)"), nis2=True),
    "nis2_final_report": DocumentType(
        "nis2_final_report", N_("NIS2 : rapport final"), "nis2/report.html",
        "nis2_final_report", N_("Directive (UE) 2022/2555 art. 23(4)(d)"), nis2=True),
    "nis2_intermediate_report": DocumentType(
        "nis2_intermediate_report", N_("NIS2\u00a0: rapport intermédiaire"), "nis2/report.html",
        "nis2_intermediate_report", N_("Directive (UE) 2022/2555 art. 23(4)(c)"), nis2=True, when_due=True),
    "nis2_progress_report": DocumentType(
        "nis2_progress_report", N_("NIS2\u00a0: rapport d'avancement"), "nis2/report.html",
        "nis2_progress_report", N_("Directive (UE) 2022/2555 art. 23(4)(e)"), nis2=True, when_due=True),
}

KIND_LABELS: dict[str, str] = {
    "initial": N_("Version initiale"),
    "complementary": N_("Version complémentaire"),
}


class ReportError(Refusal):
    """A report that cannot be made as asked; ``message(lang)`` is one line in that language."""


class ArchiveCorrupted(RuntimeError):
    """The stored file of a version is missing or no longer matches its recorded SHA-256."""


# --- values as people read them -----------------------------------------------------------------------------------

YES_NO: dict[bool, str] = {True: N_("Oui"), False: N_("Non")}


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
        return translate(YES_NO[bool(value)], lang)
    if field.kind == "int" and isinstance(value, int) and not isinstance(value, bool):
        text = format_count(value, lang)
        if field.name == "people_count":
            band = vocabulary.label(vocabulary.PEOPLE_COUNT_BANDS, vocabulary.people_count_band(value), lang)
            text += f" ({translate(N_('tranche CNIL'), lang)}{nbsp_colon(lang)} {band})"
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
        rows = tuple(Row(shown(field.label, lang), display(field, answers.get(field.name), lang),
                         field.kind == "textarea") for field in step.fields)
        result.append(Section(number, step.code, shown(step.title, lang), shown(step.source, lang), rows))
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
    return [Element(code, shown(label, lang), code not in missing,
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
        verdict = (translate(N_("Fait dans le délai."), lang) if not clock.immediate
                   else translate(N_("Fait."), lang))
    elif clock.status == "done_late":
        verdict = translate(N_("Fait en retard de %(lateness)s."), lang, lateness=duration(clock.lateness, lang))
    elif clock.immediate:
        verdict = translate(N_("À faire sans délai."), lang)
    elif clock.status == "pending":
        verdict = translate(N_("Pas encore fait\u00a0; reste %(remaining)s."), lang,
                            remaining=duration(clock.remaining, lang))
    else:
        verdict = translate(N_("Pas encore fait\u00a0; délai dépassé de %(lateness)s."), lang,
                            lateness=duration(clock.lateness, lang))
    return Timing(
        label=clock_label(clock, lang), source=shown(clock.source, lang), immediate=clock.immediate,
        status=clock.status, aware_at=format_instant(aware_at, lang), due=format_instant(clock.due, lang),
        done_at=format_instant(clock.done_at, lang), verdict=verdict,
        late=clock.status in ("done_late", "overdue") and not clock.immediate)


# --- the risk assessment ------------------------------------------------------------------------------------------

OVERRIDE_LABELS: dict[str, str] = {
    "notify_authority": N_("Notification à la CNIL"),
    "inform_subjects": N_("Information des personnes"),
    "public_communication_required": N_("Communication publique"),
    "risk_level": N_("Niveau de risque retenu"),
    "severity": N_("Gravité retenue"),
    "justification": N_("Justification"),
    "reason": N_("Justification"),
    "reasons": N_("Justification"),
    "by": N_("Par"),
    "author": N_("Par"),
    "user": N_("Par"),
    "at": N_("Le"),
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
        label = translate(OVERRIDE_LABELS[key], lang) if key in OVERRIDE_LABELS else key
        if isinstance(value, bool):
            text = translate(YES_NO[value], lang)
        elif key == "risk_level" and value in risk.RISK_LEVELS:
            text = shown(risk.RISK_LEVELS[value], lang)
        elif key == "severity" and value in risk.SEVERITIES:
            text = shown(risk.SEVERITIES[value], lang)
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
        severity=shown(risk.SEVERITIES[assessment.severity], lang),
        risk_level=shown(risk.RISK_LEVELS[assessment.risk_level], lang),
        notify_authority=assessment.notify_authority, inform_subjects=assessment.inform_subjects,
        public_communication=assessment.public_communication_required,
        reasons=tuple(reason.text(lang) for reason in assessment.reasons),
        override=_override_rows(override, lang),
        notify_decided=notify if isinstance(notify, bool) else assessment.notify_authority,
        inform_decided=inform if isinstance(inform, bool) else assessment.inform_subjects,
        source=translate(N_("ENISA 2013 (SE = DPC × EI + CB) ; RGPD art. 33 et 34"), lang),
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
    establishment = translate(N_("Établissement"), lang)
    for key, label in (("name", N_("Nom")), ("siren", N_("SIREN")), ("finess", N_("FINESS"))):
        if not _same(None, old_est.get(key), new_est.get(key)):
            changes.append(Change(establishment, translate(label, lang), str(old_est.get(key) or ""),
                                  str(new_est.get(key) or "")))
    old_sections, new_sections = old_doc.get("sections") or {}, new_doc.get("sections") or {}
    for step in form.STEPS:
        old, new = old_sections.get(step.code) or {}, new_sections.get(step.code) or {}
        for field in step.fields:
            if not _same(field, old.get(field.name), new.get(field.name)):
                changes.append(Change(shown(step.title, lang), shown(field.label, lang),
                                      display(field, old.get(field.name), lang),
                                      display(field, new.get(field.name), lang)))
    risk_parts = (("risk_facts", N_("Évaluation du risque : faits")),
                  ("risk_override", N_("Évaluation du risque : décision du DPO")))
    for key, title in risk_parts:
        old, new = old_doc.get(key) or {}, new_doc.get(key) or {}
        for name in sorted(set(old) | set(new)):
            if not _same(None, old.get(name), new.get(name)):
                changes.append(Change(translate(title, lang), name, _plain(old.get(name), lang),
                                      _plain(new.get(name), lang)))
    return changes


def _plain(value: Any, lang: str) -> str:
    if value in (None, "", []):
        return ""
    if isinstance(value, bool):
        return translate(YES_NO[value], lang)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


# --- the fixed text of the documents ------------------------------------------------------------------------------

STRINGS: dict[str, str] = {
    "confidential": N_("Confidentiel"),
    "reference": N_("Référence interne"),
    "establishment": N_("Établissement"),
    "organisation": N_("Organisme"),
    "address": N_("Adresse"),
    "version": N_("Version"),
    "kind": N_("Nature de la version"),
    "generated": N_("Généré le"),
    "generated_by": N_("par"),
    "not_answered": N_("Non renseigné"),
    "timing_title": N_("Délai de notification"),
    "aware_at": N_("Prise de connaissance"),
    "due": N_("Échéance"),
    "done_at": N_("Envoyé le"),
    "not_sent": N_("Pas encore envoyé"),
    "verdict": N_("Respect du délai"),
    "delay_reasons": N_("Motifs du retard"),
    "delay_reasons_missing": N_("Motifs du retard non renseignés : l'article 33(1) du RGPD les exige."),
    "no_awareness": N_("Date de prise de connaissance non renseignée : le délai ne peut pas être calculé."),
    "changes_title": N_("Modifications depuis la version"),
    "changes_none": N_("Aucun champ n'a changé depuis la version précédente."),
    "field": N_("Champ"),
    "section": N_("Section"),
    "old": N_("Ancienne valeur"),
    "new": N_("Nouvelle valeur"),
    "empty": N_("(vide)"),
    "checklist_title": N_("Contenu minimal de la notification (RGPD art. 33(3))"),
    "present": N_("Renseigné"),
    "missing": N_("À compléter (art. 33(4) : notification par phases)"),
    "see_sections": N_("voir section"),
    "form_title": N_("Réponses au formulaire de notification de la CNIL"),
    "form_intro": N_("Les sections suivent l'ordre du formulaire en ligne notifications.cnil.fr."),
    "risk_title": N_("Évaluation du risque"),
    "risk_none": N_("Aucune évaluation du risque n'est enregistrée pour cette violation."),
    "severity_score": N_("Score de gravité"),
    "severity": N_("Gravité"),
    "risk_level": N_("Niveau de risque"),
    "notify_authority": N_("Notification à la CNIL (art. 33)"),
    "inform_subjects": N_("Information individuelle des personnes (art. 34)"),
    "public_communication": N_("Communication publique (art. 34(3)(c))"),
    "reasons": N_("Motifs"),
    "override": N_("Décision du DPO s'écartant de l'évaluation"),
    "method": N_("Méthode"),
    "attachment": N_("Pièce jointe"),
    "attachment_text": N_("Ce PDF/A-3 contient en pièce jointe la fiche complète de la violation au format JSON "
                        "(format notifier-breach) : {name}."),
    "yes": N_("Oui"),
    "no": N_("Non"),
    "contact": N_("Contact"),
    "clock": N_("Délai"),
    "ars_intro": N_("Résumé préparé pour le formulaire « incident de sécurité des systèmes d'information » du portail "
        "signalement.social-sante.gouv.fr, qui transmet le signalement à l'ARS et au CERT Santé (ANS). "
        "Signalement sans délai : code de la santé publique art. L.1111-8-2, décret n° 2016-1214."),
    "cert_sante_line": N_("Incident majeur : astreinte CERT Santé au 09 72 43 91 25."),
    "ars_declarant": N_("Établissement déclarant"),
    "ars_dates": N_("Dates de l'incident"),
    "ars_description": N_("Description de l'incident"),
    "ars_care": N_("Impact sur la prise en charge des patients et le fonctionnement"),
    "care_disrupted": N_("Soins annulés, reportés ou dégradés"),
    "availability_hours": N_("Durée d'indisponibilité des données"),
    "ars_people": N_("Personnes et données concernées"),
    "ars_measures": N_("Mesures prises et envisagées"),
    "ars_other": N_("Autres signalements"),
    "ars_support": N_("Appui du CERT Santé"),
    "informed_title": N_("Personnes effectivement informées"),
    "informed_intro": N_("Relevé des courriers envoyés, des courriels et de l'avis public enregistrés dans "
                         "l'application (RGPD art. 34)."),
    "informed_none": N_("Aucune personne informée n'est encore enregistrée."),
    "informed_channel": N_("Moyen"),
    "informed_count": N_("Personnes"),
    "informed_first": N_("Premier envoi"),
    "informed_last": N_("Dernier envoi"),
    "nis2_intermediate": N_("Rapport intermédiaire\u00a0: état de la situation (art. 23(4)(c))"),
    "nis2_progress": N_("Rapport d'avancement\u00a0: incident toujours en cours (art. 23(4)(e))"),
    "ars_previous": N_("Signalement ARS déjà fait"),
    "nis2_entity": N_("Entité"),
    "nis2_stages": N_("Échéances NIS2 (art. 23(4))"),
    "nis2_early_warning": N_("Alerte précoce (art. 23(4)(a))"),
    "nis2_malicious": N_("Incident soupçonné d'être causé par des actes illicites ou malveillants"),
    "nis2_cross_border": N_("Impact transfrontière possible"),
    "nis2_assessment": N_("Évaluation initiale : gravité et impact (art. 23(4)(b))"),
    "nis2_ioc": N_("Indicateurs de compromission"),
    "nis2_ioc_text": N_("Non consignés dans la fiche de violation : à joindre au formulaire s'ils sont disponibles."),
    "nis2_final": N_("Rapport final (art. 23(4)(d))"),
    "nis2_description": N_("Description détaillée de l'incident, gravité et impact"),
    "nis2_root_cause": N_("Type de menace ou cause profonde"),
    "nis2_mitigation": N_("Mesures d'atténuation appliquées et en cours"),
    "nis2_cross_border_impact": N_("Impact transfrontière"),
    "malicious_yes": N_("Oui (cause : acte malveillant)"),
    "malicious_no": N_("Non (cause accidentelle)"),
    "malicious_unknown": N_("Inconnu à ce stade"),
    "nis2_intro": N_("Résumé préparé pour l'autorité compétente ou le CSIRT (ANSSI / CERT-FR en France ; "
                     "transposition de la directive NIS2 en cours), selon l'article 23(4) de la directive (UE) "
                     "2022/2555."),
}


def strings(lang: str) -> dict[str, str]:
    return {key: translate(text, lang) for key, text in STRINGS.items()}


# --- generating and keeping versions ------------------------------------------------------------------------------

def versions(breach: Breach, document: str | None = None) -> list[ReportVersion]:
    """The versions of a breach's reports, newest first."""
    query = select(ReportVersion).where(ReportVersion.breach_id == breach.id)
    if document is not None:
        query = query.where(ReportVersion.document == document)
    return list(db.session.scalars(query.order_by(ReportVersion.document, ReportVersion.number.desc())))


def available_documents(breach: Breach) -> list[DocumentType]:
    """The CNIL report and the ARS summary always; the NIS2 stages when the establishment is in NIS2 scope, the
    intermediate and progress reports once their clock runs."""
    running = {c.code for c in breach_service.clocks(breach)} if breach.establishment.nis2_in_scope else set()
    return [d for d in DOCUMENTS.values()
            if (not d.nis2 or breach.establishment.nis2_in_scope) and (not d.when_due or d.clock in running)]


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
        raise ReportError(N_("document inconnu\u00a0: %(document)s (attendu\u00a0: %(expected)s)"),
                          document=document[:40], expected=", ".join(DOCUMENTS))
    if kind is not None and kind not in list(ReportKind):
        raise ReportError(N_("nature de version inconnue\u00a0: %(kind)s (attendu\u00a0: initial ou complementary)"),
                          kind=kind[:40])
    if lang not in LANGUAGES:
        raise ReportError(N_("langue inconnue\u00a0: %(language)s (attendu\u00a0: fr ou en)"), language=lang[:10])
    doc_type = DOCUMENTS[document]
    if doc_type.nis2 and not breach.establishment.nis2_in_scope:
        raise ReportError(N_("l'établissement %(name)s n'est pas dans le champ de NIS2"),
                          name=breach.establishment.name)
    if doc_type.when_due and doc_type.clock not in {c.code for c in breach_service.clocks(breach)}:
        # Art. 23(4)(c): only at the authority's request; (e): only for an incident ongoing at the final-report date.
        raise ReportError(N_("%(document)s : pas encore dû pour cette violation"),
                          document=translate(doc_type.label, lang))
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
            N_("une version complémentaire suppose une version précédente\u00a0: générez d'abord la version initiale"))
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
        events.report_generated.send(version, user=user)
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
        "document": {"code": doc_type.code, "label": translate(doc_type.label, lang),
                     "source": translate(doc_type.source, lang)},
        "breach": {"reference": breach.reference, "title": breach.title or "", "status": breach.status},
        "establishment": {
            "name": establishment.name, "siren": establishment.siren, "finess": establishment.finess,
            "address": establishment.address, "organisation": establishment.organisation.name,
            "nis2_in_scope": establishment.nis2_in_scope,
        },
        "version": {"number": number, "kind": kind, "kind_label": translate(KIND_LABELS[kind], lang),
                    "generated_at": format_instant(now, lang),
                    "generated_by": (user.name or user.email) if user else translate(N_("ligne de commande"),
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
        "labels": {field.name: shown(field.label, lang) for field in form.FIELD_BY_NAME.values()},
        "attachment_name": attachment_name,
        "informed": people_informed(breach, lang),
        # Annexes other features add (the case's timeline, GDPR art. 33(3)(a) "describe the nature of the breach":
        # the dated facts as the case recorded them).
        "annexes": [annex for annex in events.gathered(events.report_annexes.send(breach, lang=lang))
                    if annex.get("items")],
    }


@dataclass(frozen=True)
class Informed:
    channel: str
    count: str
    first: str
    last: str


def people_informed(breach: Breach, lang: str) -> list[Informed]:
    """The people actually informed so far, by channel, as the features that inform them report it
    (events.people_informed: letters posted, the public notice, e-mails): for the complementary notification (GDPR
    art. 34; EDPB common template, "communication to data subjects"). Channels in the order of the CNIL's list."""
    return [Informed(vocabulary.label(vocabulary.INFORMATION_CHANNELS, channel, lang), format_count(count, lang),
                     timefmt.format_date(first.astimezone(PARIS).date(), lang) if first else "",
                     timefmt.format_date(last.astimezone(PARIS).date(), lang) if last else "")
            for channel, count, first, last in people_informed_totals(breach)]


def people_informed_totals(breach: Breach) -> list[tuple[str, int, datetime | None, datetime | None]]:
    """(channel code, people, first, last) of every channel that informed someone, in the order of the CNIL's list
    of channels: the figures of people_informed, unworded (the CNIL entry page types them as the form takes them)."""
    from notifier.core import events

    totals: dict[str, dict[str, Any]] = {}
    for _receiver, answer in events.people_informed.send(breach):
        for channel, figures in (answer or {}).items():
            total = totals.setdefault(channel, {"count": 0, "first": None, "last": None})
            total["count"] += figures.get("count") or 0
            for key, pick in (("first", min), ("last", max)):
                if figures.get(key) is not None:
                    total[key] = figures[key] if total[key] is None else pick(total[key], figures[key])
    order = list(vocabulary.INFORMATION_CHANNELS)
    return [(channel, total["count"], total["first"], total["last"])
            for channel, total in sorted(totals.items(), key=lambda item: order.index(item[0])
                                         if item[0] in order else len(order))
            if total["count"]]


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
    values["care_disrupted"] = translate(YES_NO[care], lang) if isinstance(care, bool) else ""
    hours = facts_doc.get("availability_hours") if isinstance(facts_doc, dict) else None
    values["availability_hours"] = f"{hours:g} h" if isinstance(hours, (int, float)) else ""
    return values


def render(doc_type: DocumentType, context: dict[str, Any], export: dict[str, Any], attachment_name: str, lang: str,
           now: datetime, *, audit_footer: str | None = None) -> bytes:
    """The PDF/A-3b of a report, the breach's JSON export embedded, title/author/subject and language set."""
    from notifier.documents.render import PDF_A3, EmbeddedFile, PdfMetadata, render_pdf, render_template

    html = render_template(doc_type.template, **context)  # context["lang"]: the document's language
    payload = json.dumps(export, ensure_ascii=False, indent=2).encode("utf-8")
    attachment = EmbeddedFile(
        name=attachment_name, data=payload, relationship="Data", modified=now,
        description=translate(N_("Fiche de la violation (format notifier-breach, JSON)"), lang))
    title = f"{context['document']['label']} — {context['breach']['reference']} — v{context['version']['number']}"
    metadata = PdfMetadata(
        title=title, author=context["establishment"]["name"],
        subject=f"{translate(N_('Violation de données personnelles'), lang)} "
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
