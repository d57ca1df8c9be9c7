"""The breach record: the wizard's steps, their fields, how a submitted value is checked, and the JSON document.

One definition serves the web wizard, the JSON import/export and its JSON Schema, so the three cannot drift.
The sections follow the CNIL online notification form and the EDPB common template (see docs/breach-format.md).
No Flask import: the CLI and the tests use this module directly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from notifier.breaches.rules import vocabulary as vocab
from notifier.breaches.rules.deadlines import DeadlineInputError, local_to_utc
from notifier.breaches.states import BreachStatus

FORMAT_NAME = "notifier-breach"
FORMAT_VERSION = 1
PARIS = ZoneInfo("Europe/Paris")

Text = tuple[str, str]  # (French, English)


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # text | textarea | choice | multi | bool | int | datetime | date
    label: Text
    choices: str | None = None  # a key of vocabulary.VOCABULARIES
    max_length: int = 200
    help: Text | None = None

    @property
    def options(self) -> vocab.Choices:
        return vocab.VOCABULARIES[self.choices] if self.choices else {}


@dataclass(frozen=True)
class Step:
    code: str
    title: Text
    fields: tuple[Field, ...]
    source: str  # where the section comes from in the CNIL form / the law


def _t(name, label_fr, label_en, max_length=200, help=None):
    return Field(name, "text", (label_fr, label_en), max_length=max_length, help=help)


def _area(name, label_fr, label_en, help=None):
    return Field(name, "textarea", (label_fr, label_en), max_length=10000, help=help)


def _when(name, label_fr, label_en):
    return Field(name, "datetime", (label_fr, label_en))


def _yes(name, label_fr, label_en):
    return Field(name, "bool", (label_fr, label_en))


STEPS: tuple[Step, ...] = (
    Step("notification", ("Type de notification", "Notification type"), (
        Field("notification_type", "choice", ("Type de notification", "Notification type"), "notification_types"),
        _t("title", "Intitulé interne de la violation", "Internal name of the breach"),
        _t("cnil_previous_reference", "Référence CNIL de la notification initiale (si complémentaire)",
           "CNIL reference of the initial notification (if complementary)", 100),
    ), "GDPR art. 33(4); CNIL form, section 'Type de notification'"),
    Step("contacts", ("Contact et représentant légal", "Contact person and legal representative"), (
        _t("contact_name", "Personne à contacter (DPO)", "Contact person (DPO)"),
        _t("contact_role", "Fonction", "Role"),
        _t("contact_email", "Courriel", "E-mail"),
        _t("contact_phone", "Téléphone", "Telephone", 50),
        _t("legal_rep_name", "Représentant légal", "Legal representative"),
        _t("legal_rep_role", "Qualité du représentant légal", "Legal representative's title"),
    ), "GDPR art. 33(3)(b); CNIL form, sections 'Contact' and 'Représentant légal'"),
    Step("dates", ("Dates et circonstances", "Dates and circumstances"), (
        _when("started_at", "Début de la violation", "Start of the breach"),
        _yes("started_unknown", "Début inconnu pour l'instant", "Start unknown for now"),
        _when("discovered_at", "Découverte de la violation", "Discovery of the breach"),
        _yes("discovered_unknown", "Découverte inconnue pour l'instant", "Discovery unknown for now"),
        _when("aware_at", "Prise de connaissance (point de départ des 72 h)", "Awareness (start of the 72 hours)"),
        _yes("aware_unknown", "Prise de connaissance inconnue pour l'instant", "Awareness unknown for now"),
        _yes("ongoing", "La violation est toujours en cours", "The breach is still ongoing"),
        _when("ended_at", "Fin de la violation", "End of the breach"),
        _area("discovery_circumstances", "Circonstances de la découverte", "Circumstances of discovery"),
    ), "GDPR art. 33(1); EDPB Guidelines 9/2022 on awareness; CNIL form, section 'Dates'"),
    Step("nature", ("Nature de la violation", "Nature of the breach"), (
        Field("natures", "multi", ("Nature", "Nature"), "natures"),
        Field("confidentiality_subtypes", "multi", ("Confidentialité : précisez", "Confidentiality: details"),
              "confidentiality_subtypes"),
        Field("integrity_subtypes", "multi", ("Intégrité : précisez", "Integrity: details"), "integrity_subtypes"),
        Field("availability_subtypes", "multi", ("Disponibilité : précisez", "Availability: details"),
              "availability_subtypes"),
        _area("nature_details", "Description de la violation", "Description of the breach"),
    ), "GDPR art. 33(3)(a); CNIL form, section 'Nature'"),
    Step("origin", ("Origine et cause", "Origin and cause"), (
        Field("origins", "multi", ("Origine de l'incident", "Origin of the incident"), "origins"),
        Field("cause", "choice", ("Cause de l'incident", "Cause of the incident"), "causes"),
        _area("origin_details", "Précisions sur l'origine", "Details of the origin"),
    ), "CNIL form, sections 'Origine' and 'Cause'"),
    Step("systems", ("Systèmes et sous-traitants", "Systems and processors"), (
        _area("systems", "Systèmes, logiciels et supports concernés", "Systems, software and media involved"),
        _yes("processors_involved", "Un sous-traitant est concerné", "A processor is involved"),
        _area("processors", "Sous-traitants (nom, rôle, date de leur alerte)",
              "Processors (name, role, when they informed you)"),
    ), "GDPR art. 33(2); EDPB common template, 'systems and processors'"),
    Step("people", ("Personnes concernées", "People concerned"), (
        Field("people_categories", "multi", ("Catégories de personnes", "Categories of people"), "people_categories"),
        Field("people_count", "int", ("Nombre de personnes concernées", "Number of people concerned")),
        _yes("people_count_approximate", "Ce nombre est approximatif", "This number is approximate"),
    ), "GDPR art. 33(3)(a); CNIL form, section 'Personnes concernées'"),
    Step("data", ("Données concernées", "Data concerned"), (
        Field("data_categories", "multi", ("Catégories de données", "Categories of data"), "data_categories"),
        Field("records_count", "int", ("Nombre approximatif d'enregistrements", "Approximate number of records")),
        _yes("records_count_approximate", "Ce nombre est approximatif", "This number is approximate"),
        _area("data_details", "Précisions sur les données", "Details of the data"),
    ), "GDPR art. 33(3)(a), art. 9(1); CNIL form, section 'Données'"),
    Step("consequences", ("Conséquences probables", "Likely consequences"), (
        Field("consequences", "multi", ("Conséquences pour les personnes", "Consequences for the people"),
              "consequences"),
        _area("consequences_details", "Description des conséquences probables", "Description of likely consequences"),
        Field("severity", "choice", ("Gravité estimée", "Estimated severity"), "severity_levels"),
    ), "GDPR art. 33(3)(c); CNIL form, section 'Conséquences'"),
    Step("measures", ("Mesures", "Measures"), (
        _area("measures_taken", "Mesures prises pour remédier à la violation et en atténuer les effets",
              "Measures taken to address the breach and mitigate its effects"),
        _area("measures_planned", "Mesures envisagées", "Measures planned"),
    ), "GDPR art. 33(3)(d); CNIL form, section 'Mesures'"),
    Step("information", ("Information des personnes", "Information of the people"), (
        Field("information_status", "choice", ("Information des personnes", "Information of the people"),
              "information_statuses"),
        Field("information_date", "date", ("Date de l'information", "Date of the information")),
        Field("information_channels", "multi", ("Moyens utilisés", "Channels"), "information_channels"),
        _area("information_content", "Contenu de l'information", "Content of the information"),
        Field("art_34_3_exception", "choice",
              ("Exception de l'article 34(3) invoquée", "Art. 34(3) exception relied on"), "art_34_3_exceptions"),
        _area("information_justification", "Justification (si les personnes ne sont pas informées)",
              "Justification (if the people are not informed)"),
    ), "GDPR art. 34; CNIL form, section 'Information des personnes'"),
    Step("other_bodies", ("Autres organismes", "Other bodies"), (
        _yes("ars_reported", "Incident signalé à l'ARS / CERT Santé", "Incident reported to the ARS / CERT Santé"),
        _when("ars_reported_at", "Date du signalement ARS", "ARS report date"),
        _t("ars_reference", "Référence du signalement", "Report reference", 100),
        _yes("police_complaint", "Plainte déposée", "Police complaint filed"),
        _when("police_complaint_at", "Date de la plainte", "Complaint date"),
        _t("police_reference", "Référence de la plainte", "Complaint reference", 100),
        _area("other_authorities", "Autres autorités informées", "Other authorities informed"),
        _yes("cross_border", "Traitement transfrontalier", "Cross-border processing"),
        _t("cross_border_countries", "États membres concernés", "Member states concerned"),
        _when("nis2_early_warning_sent_at", "NIS2 : alerte précoce envoyée le", "NIS2: early warning sent on"),
        _when("nis2_notification_sent_at", "NIS2 : notification envoyée le", "NIS2: notification sent on"),
        _when("nis2_final_report_sent_at", "NIS2 : rapport final envoyé le", "NIS2: final report sent on"),
    ), "CSP L.1111-8-2 and décret 2016-1214 (ARS); directive 2022/2555 art. 23 (NIS2); GDPR art. 56 (cross-border)"),
    Step("cnil_submission", ("Envoi à la CNIL", "Filing with the CNIL"), (
        _when("cnil_sent_at", "Notification envoyée à la CNIL le", "Notification sent to the CNIL on"),
        _t("cnil_reference", "Numéro d'accusé de réception de la CNIL", "CNIL acknowledgement number", 100),
        _area("delay_reasons", "Motifs du retard (obligatoire au-delà de 72 h)",
              "Reasons for the delay (required after 72 hours)"),
    ), "GDPR art. 33(1): a notification made after 72 hours is accompanied by the reasons for the delay"),
)

STEP_BY_CODE = {step.code: step for step in STEPS}
FIELD_BY_NAME = {field.name: field for step in STEPS for field in step.fields}

_INT_RE = re.compile(r"^\s*\d[\d\s\u00a0\u202f.]*$")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

MESSAGES: dict[str, Text] = {
    "unknown_choice": ("Choix inconnu : {value}", "Unknown choice: {value}"),
    "too_long": ("{max} caractères au plus", "At most {max} characters"),
    "not_a_number": ("Nombre entier positif attendu", "A whole positive number is expected"),
    "too_large": ("Nombre trop grand", "Number too large"),
    "not_a_datetime": ("Date et heure invalides (JJ/MM/AAAA HH:MM)", "Invalid date and time (DD/MM/YYYY HH:MM)"),
    "not_a_date": ("Date invalide (JJ/MM/AAAA)", "Invalid date (DD/MM/YYYY)"),
    "nonexistent_time": ("Cette heure n'existe pas (passage à l'heure d'été) : {value}",
                         "This time does not exist (clocks go forward): {value}"),
    "in_future": ("Cette date est dans le futur", "This date is in the future"),
    "before_start": ("Antérieure au début de la violation", "Earlier than the start of the breach"),
    "before_discovery": ("Antérieure à la découverte", "Earlier than the discovery"),
    "unknown_and_given": ("Cochez « inconnue » ou donnez la date, pas les deux",
                          "Tick 'unknown' or give the date, not both"),
    "delay_reasons_required": (
        "Notification tardive ({late}) : l'article 33(1) du RGPD exige les motifs du retard",
        "Late notification ({late}): GDPR art. 33(1) requires the reasons for the delay",
    ),
    "not_text": ("Texte attendu", "Text expected"),
    "not_bool": ("Oui ou non attendu", "Yes or no expected"),
    "not_list": ("Liste de choix attendue", "A list of choices is expected"),
    "control_chars": ("Caractères de contrôle interdits", "Control characters are not allowed"),
}

MAX_COUNT = 10**10


class FieldError(ValueError):
    def __init__(self, code: str, **params: Any):
        super().__init__(code)
        self.code = code
        self.params = params

    def message(self, lang: str = "fr") -> str:
        fr, en = MESSAGES[self.code]
        return (en if lang == "en" else fr).format(**self.params)


# --- one value ----------------------------------------------------------------------------------------------------

def parse_form_value(field: Field, raw: str | list[str] | None) -> Any:
    """A value as typed in the web form (strings) -> its stored form. Raises FieldError."""
    if field.kind == "multi":
        values = raw if isinstance(raw, list) else ([raw] if raw else [])
        return _check_multi(field, values)
    if field.kind == "bool":
        return raw in ("y", "on", "true", "1", "yes")
    text = (raw or "").strip() if isinstance(raw, str) else ""
    if not text:
        return None
    if field.kind in ("text", "textarea"):
        return _check_text(field, text)
    if field.kind == "choice":
        return _check_choice(field, text)
    if field.kind == "int":
        if not _INT_RE.match(text):
            raise FieldError("not_a_number")
        number = int(re.sub(r"[\s\u00a0\u202f.]", "", text))
        if number > MAX_COUNT:
            raise FieldError("too_large")
        return number
    if field.kind == "datetime":
        return _parse_local_datetime(text).isoformat()
    if field.kind == "date":
        return _parse_date(text).isoformat()
    raise AssertionError(field.kind)


def check_json_value(field: Field, value: Any) -> Any:
    """A value from an imported JSON document -> its stored form. Raises FieldError."""
    if value is None:
        return [] if field.kind == "multi" else (False if field.kind == "bool" else None)
    if field.kind == "multi":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise FieldError("not_list")
        return _check_multi(field, value)
    if field.kind == "bool":
        if not isinstance(value, bool):
            raise FieldError("not_bool")
        return value
    if field.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise FieldError("not_a_number")
        if value > MAX_COUNT:
            raise FieldError("too_large")
        return value
    if not isinstance(value, str):
        raise FieldError("not_text")
    if field.kind in ("text", "textarea"):
        return _check_text(field, value)
    if field.kind == "choice":
        return _check_choice(field, value)
    if field.kind == "datetime":
        try:
            instant = datetime.fromisoformat(value)
        except ValueError:
            raise FieldError("not_a_datetime") from None
        if instant.tzinfo is None:  # a time without offset is Paris local time, as in the web form
            return _to_utc(instant).isoformat()
        return instant.astimezone(UTC).isoformat()
    if field.kind == "date":
        return _parse_date(value).isoformat()
    raise AssertionError(field.kind)


def _check_text(field: Field, text: str) -> str:
    if _CONTROL_RE.search(text):
        raise FieldError("control_chars")
    text = text.replace("\r\n", "\n")
    if len(text) > field.max_length:
        raise FieldError("too_long", max=field.max_length)
    return text


def _check_choice(field: Field, code: str) -> str:
    if code not in field.options:
        raise FieldError("unknown_choice", value=code[:50])
    return code


def _check_multi(field: Field, codes: list[str]) -> list[str]:
    for code in codes:
        _check_choice(field, code)
    return list(dict.fromkeys(codes))  # the order given, without duplicates


def _to_utc(local: datetime) -> datetime:
    try:
        return local_to_utc(local, "Europe/Paris").instant
    except DeadlineInputError:
        raise FieldError("nonexistent_time", value=local.strftime("%d/%m/%Y %H:%M")) from None


def _parse_local_datetime(text: str) -> datetime:
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"):
        try:
            local = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return _to_utc(local)
    raise FieldError("not_a_datetime")


def _parse_date(text: str) -> date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise FieldError("not_a_date")


# --- one step -----------------------------------------------------------------------------------------------------

def check_step(step: Step, values: dict[str, Any], *, now: datetime, aware_at: datetime | None = None,
               period_hours: int = 72) -> dict[str, FieldError]:
    """Rules that tie the fields of a step together. ``values`` are already in their stored form."""
    errors: dict[str, FieldError] = {}
    if step.code == "dates":
        instants = {name: _instant(values.get(name)) for name in ("started_at", "discovered_at", "aware_at",
                                                                   "ended_at")}
        for name, instant in instants.items():
            if instant and instant > now:
                errors[name] = FieldError("in_future")
        for name in ("started", "discovered", "aware"):
            if values.get(f"{name}_unknown") and instants[f"{name}_at"]:
                errors.setdefault(f"{name}_at", FieldError("unknown_and_given"))
        started, discovered, aware = instants["started_at"], instants["discovered_at"], instants["aware_at"]
        if started and discovered and discovered < started:
            errors.setdefault("discovered_at", FieldError("before_start"))
        # EDPB Guidelines 9/2022 §31: awareness follows discovery (a short investigation may come in between).
        if discovered and aware and aware < discovered:
            errors.setdefault("aware_at", FieldError("before_discovery"))
        if started and instants["ended_at"] and instants["ended_at"] < started:
            errors.setdefault("ended_at", FieldError("before_start"))
    if step.code in ("other_bodies", "cnil_submission"):
        for field in step.fields:
            instant = _instant(values.get(field.name)) if field.kind == "datetime" else None
            if instant and instant > now:
                errors[field.name] = FieldError("in_future")
    if step.code == "cnil_submission" and aware_at and "cnil_sent_at" not in errors:
        from notifier.breaches.rules.deadlines import cnil_deadline
        from notifier.core.formatting import format_duration

        sent = _instant(values.get("cnil_sent_at"))
        deadline = cnil_deadline(aware_at, period_hours)
        # GDPR art. 33(1): "where the notification is not made within 72 hours, it shall be accompanied by
        # reasons for the delay".
        if sent and sent > deadline and not (values.get("delay_reasons") or "").strip():
            errors["delay_reasons"] = FieldError("delay_reasons_required", late=format_duration(sent - deadline))
    return errors


def _instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def empty_section(step: Step) -> dict[str, Any]:
    return {f.name: ([] if f.kind == "multi" else False if f.kind == "bool" else None) for f in step.fields}


def empty_sections() -> dict[str, dict[str, Any]]:
    return {step.code: empty_section(step) for step in STEPS}


# --- art. 33(3) completeness ----------------------------------------------------------------------------------------

# GDPR art. 33(3): the minimum content of a notification, as (element, label, requirements): every requirement
# must be met, and a requirement is met by any one of its fields.
ART_33_3_ELEMENTS: tuple[tuple[str, Text, tuple[tuple[str, ...], ...]], ...] = (
    ("33.3.a_nature", ("Nature de la violation", "Nature of the breach"), (("natures",),)),
    ("33.3.a_people", ("Catégories et nombre approximatif de personnes",
                       "Categories and approximate number of people"), (("people_categories",), ("people_count",))),
    ("33.3.a_records", ("Catégories et nombre approximatif d'enregistrements",
                        "Categories and approximate number of records"), (("data_categories",), ("records_count",))),
    ("33.3.b_contact", ("Nom et coordonnées du DPO ou d'un point de contact",
                        "Name and contact details of the DPO or contact point"),
     (("contact_name",), ("contact_email", "contact_phone"))),
    ("33.3.c_consequences", ("Conséquences probables", "Likely consequences"),
     (("consequences", "consequences_details"),)),
    ("33.3.d_measures", ("Mesures prises ou envisagées", "Measures taken or proposed"),
     (("measures_taken", "measures_planned"),)),
)


def missing_art_33_3(sections: dict[str, dict[str, Any]]) -> list[tuple[str, Text]]:
    """The art. 33(3) elements not yet answered."""
    flat = {name: value for section in sections.values() if isinstance(section, dict)
            for name, value in section.items()}

    def answered(name):
        return flat.get(name) not in (None, "", [])

    return [(code, label) for code, label, requirements in ART_33_3_ELEMENTS
            if not all(any(answered(name) for name in alternatives) for alternatives in requirements)]


# --- the JSON document ----------------------------------------------------------------------------------------------

def json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of the breach document, generated from STEPS. Shipped as
    notifier/schemas/breach.schema.json; a test keeps the two identical."""

    def field_schema(field: Field) -> dict[str, Any]:
        title = {"title": field.label[1]}
        if field.kind in ("text", "textarea"):
            return {**title, "type": ["string", "null"], "maxLength": field.max_length}
        if field.kind == "choice":
            return {**title, "enum": [*field.options, None]}
        if field.kind == "multi":
            return {**title, "type": "array", "items": {"enum": list(field.options)}, "uniqueItems": True}
        if field.kind == "bool":
            return {**title, "type": "boolean"}
        if field.kind == "int":
            return {**title, "type": ["integer", "null"], "minimum": 0, "maximum": MAX_COUNT}
        if field.kind == "datetime":
            return {**title, "type": ["string", "null"], "format": "date-time",
                    "description": "ISO 8601; without an offset, Europe/Paris local time"}
        if field.kind == "date":
            return {**title, "type": ["string", "null"], "format": "date"}
        raise AssertionError(field.kind)

    sections = {
        step.code: {
            "type": "object",
            "title": step.title[1],
            "description": step.source,
            "additionalProperties": False,
            "properties": {field.name: field_schema(field) for field in step.fields},
        }
        for step in STEPS
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://notifier.example/schemas/breach.schema.json",
        "title": "Personal data breach record (notifier)",
        "type": "object",
        "required": ["format", "format_version", "establishment", "sections"],
        "additionalProperties": False,
        "properties": {
            "format": {"const": FORMAT_NAME},
            "format_version": {"const": FORMAT_VERSION},
            "reference": {"type": ["string", "null"], "maxLength": 50},
            "status": {"enum": [*(status.value for status in BreachStatus), None]},
            "exported_at": {"type": ["string", "null"], "format": "date-time"},
            "establishment": {
                "type": "object",
                "required": ["name"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": 200},
                    "siren": {"type": ["string", "null"], "pattern": "^[0-9]{9}$"},
                    "finess": {"type": ["string", "null"], "pattern": "^[0-9A-Z]{9}$"},
                },
            },
            "sections": {
                "type": "object",
                "additionalProperties": False,
                "properties": sections,
            },
            "risk_facts": {
                "type": ["object", "null"],
                "description": "The risk assessment's facts document (see docs/risk-method.md)",
            },
            "risk_override": {"type": ["object", "null"]},
        },
    }


class BreachDocumentError(ValueError):
    """An imported document that cannot be accepted, with the path of every bad field."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(f"{path}: {message}" for path, message in problems))
        self.problems = problems


def read_document(doc: Any, *, now: datetime) -> dict[str, Any]:
    """Validate a breach document and return its sections in stored form. Raises BreachDocumentError listing
    every problem (JSON Schema first, then the same field and step rules as the wizard)."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(json_schema())
    problems = [
        ("/".join(str(p) for p in error.absolute_path) or "(document)", error.message)
        for error in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
    ]
    if problems:
        raise BreachDocumentError(problems)
    sections = empty_sections()
    for code, given in doc["sections"].items():
        for name, value in given.items():
            try:
                sections[code][name] = check_json_value(FIELD_BY_NAME[name], value)
            except FieldError as error:
                problems.append((f"sections/{code}/{name}", error.message("en")))
    if not problems:
        aware = _instant(sections["dates"]["aware_at"])
        for step in STEPS:
            for name, error in check_step(step, sections[step.code], now=now, aware_at=aware).items():
                problems.append((f"sections/{step.code}/{name}", error.message("en")))
    if doc.get("risk_facts") is not None:
        from notifier.risk.rules.facts import RiskFactsError, validate_facts

        try:
            validate_facts(doc["risk_facts"])
        except RiskFactsError as error:
            problems.extend((f"risk_facts/{path}", message) for path, message in error.problems)
    if problems:
        raise BreachDocumentError(problems)
    return sections


def export_value(field: Field, value: Any) -> Any:
    """Stored form -> the exported document: instants in Paris local time with their offset, for people."""
    if field.kind == "datetime" and value:
        return datetime.fromisoformat(value).astimezone(PARIS).isoformat()
    return value


if __name__ == "__main__":  # regenerate notifier/schemas/breach.schema.json
    import json
    import sys

    json.dump(json_schema(), sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
