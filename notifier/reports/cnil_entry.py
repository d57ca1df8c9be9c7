"""The "Saisie sur notifications.cnil.fr" sheet: every field of the CNIL's online notification form in its order, with
the value to type, the boxes to tick under the CNIL's own labels, and what is still missing.

The CNIL téléservice has no API: the DPO types the notification. This module turns the breach record into the list
the page and its one-page PDF show; it decides nothing. CNIL_FORM is the mapping from the online form's sections to
the breach record's fields: when the CNIL (or the EDPB common template, still a draft) changes its form, change
CNIL_FORM and nothing else; tests/reports/test_cnil_entry.py checks that every field of the record that the CNIL asks
for has its place here.

Values are written the way the online form takes them: dates as JJ/MM/AAAA HH:MM in Paris time, numbers without
separators, choice lists under the labels of the CNIL's form (notifier.breaches.rules.vocabulary)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from notifier.breaches.models import Breach
from notifier.breaches.rules import awareness, form, vocabulary
from notifier.breaches.rules.deadlines import cnil_deadline
from notifier.core.i18n import N_, translate
from notifier.core.types import utcnow

PARIS = ZoneInfo("Europe/Paris")

Sections = dict[str, dict[str, Any]]

# --- the CNIL online form, section by section ----------------------------------------------------------------------

ESTABLISHMENT_NAME = "establishment_name"
ESTABLISHMENT_SIREN = "establishment_siren"
"""Two entries that come from the establishment, not from the breach record's sections."""
PEOPLE_INFORMED = "people_informed"
"""The people actually informed, by channel, with the first and last day (GDPR art. 34; the complementary
notification reports them, EDPB common template "communication to data subjects"): not a field of the record but
what the letters, e-mails and public notice recorded (notifier.reports.services.people_informed_totals). One entry
per channel that informed someone, named ``people_informed_<channel>``."""

CNIL_FORM: tuple[tuple[str, tuple[str, ...]], ...] = (
    (N_("Type de notification"), ("notification_type", "cnil_previous_reference", "notification_state",
                                  "withdrawal_reason")),
    (N_("Organisme"), (ESTABLISHMENT_NAME, ESTABLISHMENT_SIREN, "joint_controllers", "joint_controller_identity")),
    (N_("Personne à contacter"), ("contact_name", "contact_role", "contact_email", "contact_phone", "filer_name",
                                  "filer_role", "filer_email", "filer_phone")),
    (N_("Représentant légal"), ("legal_rep_name", "legal_rep_role")),
    (N_("Dates et circonstances"), ("started_at", "started_unknown", "discovered_at", "discovered_unknown",
                                    "aware_at", "aware_unknown", "ongoing", "ended_at", "discovery_circumstances",
                                    "delay_reasons")),
    (N_("Nature de la violation"), ("natures", "confidentiality_subtypes", "integrity_subtypes",
                                    "availability_subtypes", "breach_certainty", "nature_details")),
    (N_("Origine et cause"), ("origins", "cause", "origin_details", "systems", "processors_involved",
                              "processor_name", "processor_alerted_at", "processor_hds", "processors")),
    (N_("Personnes concernées"), ("people_categories", "people_count", "people_count_approximate")),
    (N_("Données concernées"), ("data_categories", "records_count", "records_count_approximate", "data_details")),
    (N_("Conséquences probables"), ("consequence_natures", "consequences", "consequences_details", "severity",
                                    "risk_method", "risk_method_name", "risk_method_result")),
    (N_("Mesures"), ("security_measures_before", "security_measures_before_details", "measures_taken",
                     "recurrence_measures", "measures_planned")),
    (N_("Information des personnes"), ("information_status", "information_date", "information_channels",
                                       PEOPLE_INFORMED, "information_content", "art_34_3_exception",
                                       "information_justification")),
    (N_("Autres autorités et traitement transfrontalier"), ("other_authorities", "cross_border",
                                                             "cross_border_countries")),
)

NOT_ON_THE_CNIL_FORM = frozenset({
    # Internal to the establishment.
    "title",
    # The other regimes (ARS / CERT Santé, police, NIS2, ANSSI): their own documents (notifier.reports.services).
    "ars_reported", "ars_reported_at", "ars_reference", "police_complaint", "police_complaint_at", "police_reference",
    "nis2_early_warning_sent_at", "nis2_notification_sent_at", "nis2_final_report_sent_at", "ars_response_state",
    "degraded_mode", "crisis_cell", "care_impact", "organisation_impact", "cert_sante_support",
    "cert_sante_support_details", "nis2_intermediate_requested_at", "nis2_intermediate_due_at",
    "nis2_intermediate_sent_at", "nis2_progress_report_sent_at", "nis2_incident_handled_at", "anssi_reported_at",
    "anssi_reference",
    # What the CNIL answers once the form is sent: recorded below the sheet.
    "cnil_sent_at", "cnil_reference",
    # The DPO's own follow-up of a notification in phases (art. 33(4)): a deadline, not a field of the form.
    "cnil_complement_due_at", "cnil_complement_sent_at",
})

OPTIONAL = frozenset({
    # Second contact and free-text precisions: the CNIL form does not require them.
    "filer_name", "filer_role", "filer_email", "filer_phone", "contact_role", "legal_rep_role", "origin_details",
    "data_details", "consequences_details", "security_measures_before_details", "other_authorities",
    "measures_planned", "recurrence_measures",
})


def _late(sections: Sections, period_hours: int, now: datetime) -> bool:
    aware = sections.get("dates", {}).get("aware_at")
    if not aware:
        return False
    sent = sections.get("cnil_submission", {}).get("cnil_sent_at")
    return (datetime.fromisoformat(sent) if sent else now) > cnil_deadline(datetime.fromisoformat(aware),
                                                                          period_hours)


def _relevance(sections: Sections, period_hours: int, now: datetime) -> dict[str, Callable[[], bool]]:
    """When a field is asked at all: the online form shows it only after some answers."""
    flat = {name: value for section in sections.values() if isinstance(section, dict)
            for name, value in section.items()}
    natures = flat.get("natures") or []
    status = flat.get("information_status")
    return {
        "cnil_previous_reference": lambda: flat.get("notification_type") == "complementary",
        "withdrawal_reason": lambda: flat.get("notification_state") == "withdrawn",
        "joint_controller_identity": lambda: bool(flat.get("joint_controllers")),
        "started_at": lambda: not flat.get("started_unknown"),
        "discovered_at": lambda: not flat.get("discovered_unknown"),
        "aware_at": lambda: not flat.get("aware_unknown"),
        "ended_at": lambda: not flat.get("ongoing"),
        # GDPR art. 33(1): reasons for the delay only after 72 hours.
        "delay_reasons": lambda: _late(sections, period_hours, now),
        "confidentiality_subtypes": lambda: "confidentiality" in natures,
        "integrity_subtypes": lambda: "integrity" in natures,
        "availability_subtypes": lambda: "availability" in natures,
        "processor_name": lambda: bool(flat.get("processors_involved")),
        "processor_alerted_at": lambda: bool(flat.get("processors_involved")),
        "processor_hds": lambda: bool(flat.get("processors_involved")),
        "processors": lambda: bool(flat.get("processors_involved")),
        "risk_method_name": lambda: flat.get("risk_method") == "other",
        "information_date": lambda: status in ("done", "will_be"),
        "information_channels": lambda: status in ("done", "will_be"),
        "information_content": lambda: status in ("done", "will_be"),
        # GDPR art. 34(3): the exception invoked when the people are not told.
        "art_34_3_exception": lambda: status == "will_not_be",
        "information_justification": lambda: status == "will_not_be",
        "cross_border_countries": lambda: bool(flat.get("cross_border")),
    }


# --- what the sheet shows ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Option:
    label: str
    checked: bool


@dataclass(frozen=True)
class Entry:
    name: str
    label: str
    value: str
    """The text to type or paste, "" when there is none (a choice list only ticks boxes)."""
    options: tuple[Option, ...]
    """The boxes of the online form under the CNIL's labels, those to tick marked."""
    missing: bool
    multiline: bool = False
    note: str = ""


@dataclass(frozen=True)
class EntrySection:
    number: int
    title: str
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class Sheet:
    reference: str
    sections: tuple[EntrySection, ...]
    missing: tuple[tuple[int, str], ...]
    """(section number, field label) of every field asked and not answered, in the order of the form."""
    art_33_3_missing: tuple[str, ...]
    cnil_reference: str
    cnil_sent_at: str
    warnings: tuple[str, ...] = ()
    """Answers to check before typing them (notifier.breaches.rules.awareness: the awareness time against the
    processor's alert), worded in the sheet's language."""

    @property
    def entries(self) -> list[Entry]:
        return [entry for section in self.sections for entry in section.entries]


def _typed(field: form.Field, value: Any) -> str:
    """A stored value as the online form takes it."""
    if value in (None, "", []):
        return ""
    if field.kind == "datetime":
        return datetime.fromisoformat(value).astimezone(PARIS).strftime("%d/%m/%Y %H:%M")
    if field.kind == "date":
        return date.fromisoformat(value).strftime("%d/%m/%Y")
    if field.kind == "int":
        return str(value)
    if field.kind in ("text", "textarea"):
        return str(value)
    return ""


def _options(field: form.Field, value: Any, lang: str) -> tuple[Option, ...]:
    if field.kind == "bool":
        return (Option(translate(N_("Oui"), lang), value is True), Option(translate(N_("Non"), lang), value is False))
    if field.kind == "choice":
        return tuple(Option(translate(label, lang), code == value) for code, label in field.options.items())
    if field.kind == "multi":
        chosen = set(value or [])
        return tuple(Option(translate(label, lang), code in chosen) for code, label in field.options.items())
    if field.name == "people_count" and isinstance(value, int):
        band = vocabulary.people_count_band(value)
        return tuple(Option(translate(label, lang), code == band)
                     for code, label in vocabulary.PEOPLE_COUNT_BANDS.items())
    return ()


Informed = tuple[str, int, datetime | None, datetime | None]
"""(channel code, people, first, last): notifier.reports.services.people_informed_totals."""


def _day(instant: datetime) -> str:
    return instant.astimezone(PARIS).strftime("%d/%m/%Y")


def _informed_entries(informed: Sequence[Informed], status: Any, lang: str) -> list[Entry]:
    """The people informed by each channel, as the complementary notification reports them: the number to type,
    the first and last day beside it. Asked once the people are or will be informed; nothing recorded yet is said,
    not counted as missing (letters may have gone out of the application)."""
    if not informed:
        if status not in ("done", "will_be"):
            return []
        return [Entry(PEOPLE_INFORMED, translate(N_("Personnes effectivement informées"), lang), "", (), False,
                      note=translate(N_("Aucune personne informée n'est encore enregistrée."), lang))]
    entries = []
    for channel, count, first, last in informed:
        if first and last and _day(first) != _day(last):
            when = translate(N_("du %(first)s au %(last)s"), lang, first=_day(first), last=_day(last))
        elif first or last:
            when = translate(N_("le %(day)s"), lang, day=_day(first or last))
        else:
            when = ""
        label = translate(N_("Personnes effectivement informées (%(channel)s)"), lang,
                          channel=vocabulary.label(vocabulary.INFORMATION_CHANNELS, channel, lang).lower())
        entries.append(Entry(f"{PEOPLE_INFORMED}_{channel}", label, str(count), (), False, note=when))
    return entries


def build_sheet(breach: Breach, *, lang: str, risk_result: str = "", period_hours: int = 72,
                now: datetime | None = None, informed: Sequence[Informed] = ()) -> Sheet:
    """The sheet of one breach. ``risk_result``: the application's own assessment in words, shown as the result of
    the ENISA method when the DPO chose it and wrote none; ``informed``: the people informed so far, by channel."""
    now = now or utcnow()
    sections: Sections = breach.sections or {}
    flat = {name: value for section in sections.values() if isinstance(section, dict)
            for name, value in section.items()}
    relevant = _relevance(sections, period_hours, now)
    establishment = breach.establishment
    result_sections, missing = [], []
    for number, (title, names) in enumerate(CNIL_FORM, 1):
        entries = []
        for name in names:
            if name == ESTABLISHMENT_NAME:
                entry = Entry(name, translate(N_("Nom de l'organisme"), lang), establishment.name, (),
                              not establishment.name)
            elif name == ESTABLISHMENT_SIREN:
                entry = Entry(name, translate(N_("SIREN"), lang), establishment.siren or "", (),
                              not establishment.siren)
            elif name == PEOPLE_INFORMED:
                entries.extend(_informed_entries(informed, flat.get("information_status"), lang))
                continue
            else:
                field = form.FIELD_BY_NAME[name]
                value = flat.get(name)
                typed, note = _typed(field, value), ""
                if name == "risk_method_result" and not typed and flat.get("risk_method") == "enisa" and risk_result:
                    typed, note = risk_result, translate(N_("D'après l'évaluation enregistrée dans l'application"),
                                                         lang)
                asked = relevant.get(name, lambda: True)()
                answered = value not in (None, "", []) or field.kind == "bool" or bool(typed)
                entry = Entry(name, translate(field.label, lang), typed, _options(field, value, lang),
                              asked and not answered and name not in OPTIONAL, field.kind == "textarea", note)
            if entry.missing:
                missing.append((number, entry.label))
            entries.append(entry)
        result_sections.append(EntrySection(number, translate(title, lang), tuple(entries)))
    submission = sections.get("cnil_submission") or {}
    sent = submission.get("cnil_sent_at")
    return Sheet(
        reference=breach.reference, sections=tuple(result_sections), missing=tuple(missing),
        art_33_3_missing=tuple(translate(label, lang) for _, label in form.missing_art_33_3(sections)),
        cnil_reference=submission.get("cnil_reference") or "",
        cnil_sent_at=datetime.fromisoformat(sent).astimezone(PARIS).strftime("%Y-%m-%dT%H:%M") if sent else "",
        warnings=tuple(warning.text(lang)
                       for warning in awareness.awareness_warnings(sections, period_hours=period_hours)))


# --- the use cases ---------------------------------------------------------------------------------------------------

def risk_result(breach: Breach, lang: str) -> str:
    """The recorded assessment in words (ENISA score, level, decision), or "" without one."""
    from notifier.reports.services import risk_summary

    summary = risk_summary(breach, lang)
    if summary is None:
        return ""
    return translate(N_("ENISA\u00a0: SE = %(score)s, gravité %(severity)s, %(level)s"), lang, score=summary.score,
                     severity=summary.severity.lower(), level=summary.risk_level.lower())


def sheet_for(breach: Breach, *, lang: str, period_hours: int = 72, now: datetime | None = None) -> Sheet:
    from notifier.reports.services import people_informed_totals

    return build_sheet(breach, lang=lang, risk_result=risk_result(breach, lang), period_hours=period_hours, now=now,
                       informed=people_informed_totals(breach))


PDF_TEXT_LIMIT = 320
"""Characters of a long answer printed on the one-page sheet; the page shows it whole, with its copy button."""


def sheet_pdf(breach: Breach, *, user, lang: str, period_hours: int = 72, now: datetime | None = None) -> bytes:
    """The sheet as a one-page A4 PDF to work from beside the téléservice, recorded in the audit trail (flushed)."""
    from notifier.audit import services as audit
    from notifier.documents.render import PdfMetadata, render_pdf, render_template

    now = now or utcnow()
    sheet = sheet_for(breach, lang=lang, period_hours=period_hours, now=now)
    html = render_template("cnil_entry/sheet.html", lang=lang, sheet=sheet, limit=PDF_TEXT_LIMIT,
                           establishment=breach.establishment.name,
                           generated=now.astimezone(PARIS).strftime("%d/%m/%Y %H:%M"))
    title = f"{translate(N_('Saisie sur notifications.cnil.fr'), lang)} — {breach.reference}"
    pdf = render_pdf(html, lang=lang, stylesheets=("base.css", "cnil_entry/sheet.css"),
                     metadata=PdfMetadata(title=title, author=breach.establishment.name, subject=title,
                                          keywords=("RGPD", "GDPR", "CNIL", breach.reference)))
    audit.record("report.cnil_sheet", user=user, obj=breach, details={"lang": lang})
    return pdf


def record_acknowledgement(breach: Breach, *, reference: str, sent_at: str, user, expected_version: int | None,
                           period_hours: int = 72):
    """Record the CNIL's acknowledgement number and the time the notification was sent, through the wizard's own
    step "Envoi à la CNIL" (same checks, change history and audit entry); the reasons for a delay already given are
    kept. Returns the step's result (errors by field name when refused). Flushes, never commits."""
    from notifier.breaches import services as breach_service

    stored = (breach.sections or {}).get("cnil_submission") or {}
    raw = {"cnil_sent_at": sent_at, "cnil_reference": reference, "delay_reasons": stored.get("delay_reasons") or ""}
    return breach_service.save_step(breach, "cnil_submission", raw, user=user, expected_version=expected_version,
                                    period_hours=period_hours)
