"""The breach record: the wizard's steps, their fields, how a submitted value is checked, and the JSON document.

One definition serves the web wizard, the JSON import/export and its JSON Schema, so the three cannot drift.
The sections follow the CNIL online notification form and the EDPB common template (see docs/breach-format.md).
No Flask import: the CLI and the tests use this module directly.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from notifier.breaches.rules import awareness
from notifier.breaches.rules import vocabulary as vocab
from notifier.breaches.rules.deadlines import DeadlineInputError, local_to_utc
from notifier.breaches.states import BreachStatus
from notifier.core import identifiers
from notifier.core.i18n import N_, translate

FORMAT_NAME = "notifier-breach"
FORMAT_VERSION = 1
PARIS = ZoneInfo("Europe/Paris")

@dataclass(frozen=True)
class Field:
    """A field of the wizard. ``label``, ``help`` and a step's ``title`` and ``source`` are French msgids of the
    catalog, translated where they are shown (``translate(field.label, lang)``, or ``_()`` in a template)."""

    name: str
    kind: str  # text | textarea | choice | multi | bool | int | datetime | date
    label: str
    choices: str | None = None  # a key of vocabulary.VOCABULARIES
    max_length: int = 200
    help: str | None = None
    check: str | None = None  # "email" | "phone_fr": a text field whose value must be one (core/identifiers.py)

    @property
    def options(self) -> vocab.Choices:
        return vocab.VOCABULARIES[self.choices] if self.choices else {}


@dataclass(frozen=True)
class Step:
    code: str
    title: str
    fields: tuple[Field, ...]
    source: str  # where the section comes from in the CNIL form / the law


def _t(name, label, max_length=200, help=None, check=None):
    return Field(name, "text", label, max_length=max_length, help=help, check=check)


def _area(name, label, help=None):
    return Field(name, "textarea", label, max_length=10000, help=help)


def _when(name, label):
    return Field(name, "datetime", label)


def _yes(name, label):
    return Field(name, "bool", label)


STEPS: tuple[Step, ...] = (
    Step("notification", N_("Type de notification"), (
        Field("notification_type", "choice", N_("Type de notification"), "notification_types"),
        _t("title", N_("Intitulé interne de la violation")),
        _t("cnil_previous_reference", N_("Référence CNIL de la notification initiale (si complémentaire)"), 100),
        # EDPB common template (draft): complete / incomplete / withdrawn, beside new / follow-up.
        Field("notification_state", "choice", N_("État de la notification"), "notification_states"),
        _area("withdrawal_reason", N_("Motif du retrait de la notification")),
    ),
        N_("RGPD art. 33(4)\u00a0; formulaire CNIL, rubrique «\u00a0Type de notification\u00a0»")),
    Step("contacts", N_("Contact et représentant légal"), (
        _t("contact_name", N_("Personne à contacter (DPO)")),
        _t("contact_role", N_("Fonction")),
        _t("contact_email", N_("Courriel"), check="email"),
        _t("contact_phone", N_("Téléphone"), 50, check="phone_fr"),
        _t("legal_rep_name", N_("Représentant légal")),
        _t("legal_rep_role", N_("Qualité du représentant légal")),
        # EDPB common template (draft): the person filing the notification is a contact of its own, beside the DPO.
        _t("filer_name", N_("Personne qui dépose la notification")),
        _t("filer_role", N_("Fonction de la personne qui dépose la notification")),
        _t("filer_email", N_("Courriel de la personne qui dépose la notification"), check="email"),
        _t("filer_phone", N_("Téléphone de la personne qui dépose la notification"), 50, check="phone_fr"),
        # GDPR art. 26; EDPB Guidelines 9/2022 and WP250 rev.01 section II.A.3 (joint controllers).
        _yes("joint_controllers", N_("Traitement sous responsabilité conjointe")),
        _area("joint_controller_identity", N_("Autre responsable conjoint (nom, SIREN, contact)")),
    ),
        N_("RGPD art. 33(3)(b)\u00a0; formulaire CNIL, rubriques «\u00a0Contact\u00a0» et «\u00a0Représentant "
           "légal\u00a0»")),
    Step("dates", N_("Dates et circonstances"), (
        _when("started_at", N_("Début de la violation")),
        _yes("started_unknown", N_("Début inconnu pour l'instant")),
        _when("discovered_at", N_("Découverte de la violation")),
        _yes("discovered_unknown", N_("Découverte inconnue pour l'instant")),
        _when("aware_at", N_("Prise de connaissance (point de départ des 72 h)")),
        _yes("aware_unknown", N_("Prise de connaissance inconnue pour l'instant")),
        _yes("ongoing", N_("La violation est toujours en cours")),
        _when("ended_at", N_("Fin de la violation")),
        _area("discovery_circumstances", N_("Circonstances de la découverte")),
    ),
        N_("RGPD art. 33(1)\u00a0; lignes directrices 9/2022 du CEPD sur la prise de connaissance\u00a0; "
           "formulaire CNIL, rubrique «\u00a0Dates\u00a0»")),
    Step("nature", N_("Nature de la violation"), (
        Field("natures", "multi", N_("Nature de l'atteinte"), "natures"),
        Field("confidentiality_subtypes", "multi", N_("Confidentialité : précisez"),
              "confidentiality_subtypes"),
        Field("integrity_subtypes", "multi", N_("Intégrité : précisez"), "integrity_subtypes"),
        Field("availability_subtypes", "multi", N_("Disponibilité : précisez"),
              "availability_subtypes"),
        _area("nature_details", N_("Description de la violation")),
        # EDPB common template (draft); EDPB Guidelines 9/2022 §33 (notify while the investigation goes on).
        Field("breach_certainty", "choice", N_("Violation avérée ou suspectée au moment de la notification"),
              "breach_certainties"),
    ),
        N_("RGPD art. 33(3)(a)\u00a0; formulaire CNIL, rubrique «\u00a0Nature\u00a0»")),
    Step("origin", N_("Origine et cause"), (
        Field("origins", "multi", N_("Origine de l'incident"), "origins"),
        Field("cause", "choice", N_("Cause de l'incident"), "causes"),
        _area("origin_details", N_("Précisions sur l'origine")),
    ),
        N_("Formulaire CNIL, rubriques «\u00a0Origine\u00a0» et «\u00a0Cause\u00a0»")),
    Step("systems", N_("Systèmes et sous-traitants"), (
        _area("systems", N_("Systèmes, logiciels et supports concernés")),
        _yes("processors_involved", N_("Un sous-traitant est concerné")),
        _area("processors", N_("Sous-traitants (nom, rôle, date de leur alerte)")),
        _t("processor_name", N_("Sous-traitant qui a alerté l'établissement")),
        # GDPR art. 33(2): the processor notifies the controller without undue delay; EDPB Guidelines 9/2022: the
        # controller is aware once the processor has informed it.
        _when("processor_alerted_at", N_("Alerte du sous-traitant reçue le (art. 33(2))")),
        # CSP art. L.1111-8: the host of health data must be certified HDS.
        Field("processor_hds", "choice", N_("Certification HDS du sous-traitant"), "hds_statuses"),
    ),
        N_("RGPD art. 33(2)\u00a0; modèle commun du CEPD, «\u00a0systèmes et sous-traitants\u00a0»")),
    Step("people", N_("Personnes concernées"), (
        Field("people_categories", "multi", N_("Catégories de personnes"), "people_categories"),
        Field("people_count", "int", N_("Nombre de personnes concernées")),
        _yes("people_count_approximate", N_("Ce nombre est approximatif")),
    ),
        N_("RGPD art. 33(3)(a)\u00a0; formulaire CNIL, rubrique «\u00a0Personnes concernées\u00a0»")),
    Step("data", N_("Données concernées"), (
        Field("data_categories", "multi", N_("Catégories de données"), "data_categories"),
        Field("records_count", "int", N_("Nombre approximatif d'enregistrements")),
        _yes("records_count_approximate", N_("Ce nombre est approximatif")),
        _area("data_details", N_("Précisions sur les données")),
    ),
        N_("RGPD art. 33(3)(a) et art. 9(1)\u00a0; formulaire CNIL, rubrique «\u00a0Données\u00a0»")),
    Step("consequences", N_("Conséquences probables"), (
        Field("consequences", "multi", N_("Conséquences pour les personnes"),
              "consequences"),
        _area("consequences_details", N_("Description des conséquences probables")),
        Field("severity", "choice", N_("Gravité estimée"), "severity_levels"),
        # The CNIL form's "nature des conséquences potentielles", besides the harms above.
        Field("consequence_natures", "multi", N_("Nature des conséquences"), "consequence_natures"),
        # EDPB common template (draft): the method of the risk assessment and its outcome.
        Field("risk_method", "choice", N_("Méthode d'évaluation du risque"), "risk_methods"),
        _t("risk_method_name", N_("Nom de l'autre méthode")),
        _area("risk_method_result", N_("Résultat de l'évaluation selon cette méthode")),
    ),
        N_("RGPD art. 33(3)(c)\u00a0; formulaire CNIL, rubrique «\u00a0Conséquences\u00a0»")),
    Step("measures", N_("Mesures"), (
        _area("measures_taken", N_("Mesures prises pour remédier à la violation et en atténuer les effets")),
        _area("measures_planned", N_("Mesures envisagées")),
        # EDPB common template (draft): the measures in place before the breach, apart from those taken after.
        Field("security_measures_before", "multi", N_("Mesures de sécurité en place avant la violation"),
              "security_measures"),
        _area("security_measures_before_details", N_("Précisions sur les mesures en place avant la violation")),
        _area("recurrence_measures", N_("Mesures pour éviter que la violation se reproduise")),
    ),
        N_("RGPD art. 33(3)(d)\u00a0; formulaire CNIL, rubrique «\u00a0Mesures\u00a0»")),
    Step("information", N_("Information des personnes"), (
        Field("information_status", "choice", N_("Information des personnes"),
              "information_statuses"),
        Field("information_date", "date", N_("Date de l'information")),
        Field("information_channels", "multi", N_("Moyens utilisés"), "information_channels"),
        _area("information_content", N_("Contenu de l'information")),
        Field("art_34_3_exception", "choice",
              N_("Exception de l'article 34(3) invoquée"), "art_34_3_exceptions"),
        _area("information_justification", N_("Justification (si les personnes ne sont pas informées)")),
    ),
        N_("RGPD art. 34\u00a0; formulaire CNIL, rubrique «\u00a0Information des personnes\u00a0»")),
    Step("other_bodies", N_("Autres organismes"), (
        _yes("ars_reported", N_("Incident signalé à l'ARS / CERT Santé")),
        _when("ars_reported_at", N_("Date du signalement ARS")),
        _t("ars_reference", N_("Référence du signalement"), 100),
        _yes("police_complaint", N_("Plainte déposée")),
        _when("police_complaint_at", N_("Date de la plainte")),
        _t("police_reference", N_("Référence de la plainte"), 100),
        _area("other_authorities", N_("Autres autorités informées")),
        _yes("cross_border", N_("Traitement transfrontalier")),
        _t("cross_border_countries", N_("États membres concernés")),
        _when("nis2_early_warning_sent_at", N_("NIS2 : alerte précoce envoyée le")),
        _when("nis2_notification_sent_at", N_("NIS2 : notification envoyée le")),
        _when("nis2_final_report_sent_at", N_("NIS2 : rapport final envoyé le")),
        # Arrêté du 30 octobre 2017, form of the "incident de sécurité des SI" signalement (ARS / CERT Santé).
        Field("ars_response_state", "choice", N_("État de la prise en charge de l'incident"),
              "ars_response_states"),
        _yes("degraded_mode", N_("Fonctionnement en mode dégradé")),
        _yes("crisis_cell", N_("Cellule de crise activée")),
        _area("care_impact", N_("Conséquences sur la prise en charge des patients")),
        _area("organisation_impact", N_("Conséquences sur le fonctionnement de l'établissement")),
        _yes("cert_sante_support", N_("Besoin d'un appui du CERT Santé")),
        _area("cert_sante_support_details", N_("Appui attendu du CERT Santé")),
        # Directive (EU) 2022/2555 art. 23(4)(c): an intermediate report at the request of the CSIRT or authority.
        _when("nis2_intermediate_requested_at", N_("NIS2 : rapport intermédiaire demandé le")),
        _when("nis2_intermediate_due_at", N_("NIS2 : rapport intermédiaire attendu pour le")),
        _when("nis2_intermediate_sent_at", N_("NIS2 : rapport intermédiaire envoyé le")),
        # Art. 23(4)(e): incident still ongoing at the final-report date: a progress report then, the final report
        # within one month of the end of its handling.
        _when("nis2_progress_report_sent_at", N_("NIS2 : rapport d'avancement envoyé le")),
        _when("nis2_incident_handled_at", N_("NIS2 : fin du traitement de l'incident")),
        # Loi n° 2018-133 art. 7 and décret n° 2018-384 art. 11 (NIS1): operators of essential services declare
        # their incidents to the ANSSI without delay.
        _when("anssi_reported_at", N_("Déclaration à l'ANSSI (opérateur de services essentiels) le")),
        _t("anssi_reference", N_("Référence de la déclaration à l'ANSSI"), 100),
    ),
        N_("CSP L.1111-8-2, décret 2016-1214 et arrêté du 30 octobre 2017 (ARS / CERT Santé)\u00a0; directive "
           "2022/2555 art. 23 (NIS2)\u00a0; loi 2018-133 art. 7 et décret 2018-384 art. 11 (ANSSI, opérateurs de "
           "services essentiels)\u00a0; RGPD art. 56 (traitement transfrontalier)")),
    Step("cnil_submission", N_("Envoi à la CNIL"), (
        _when("cnil_sent_at", N_("Notification envoyée à la CNIL le")),
        _t("cnil_reference", N_("Numéro d'accusé de réception de la CNIL"), 100),
        _area("delay_reasons", N_("Motifs du retard (obligatoire au-delà de 72 h)")),
        # GDPR art. 33(4): an initial notification "à compléter" promises a complementary one; the date announced
        # to the CNIL is a deadline (breaches/services.clocks), kept until the complement is sent.
        _when("cnil_complement_due_at", N_("Notification complémentaire promise à la CNIL pour le")),
        _when("cnil_complement_sent_at", N_("Notification complémentaire envoyée le")),
    ),
        N_("RGPD art. 33(1)\u00a0: une notification faite après 72 heures est accompagnée des motifs du retard")),
)

STEP_BY_CODE = {step.code: step for step in STEPS}
FIELD_BY_NAME = {field.name: field for step in STEPS for field in step.fields}

_INT_RE = re.compile(r"^\s*\d[\d\s\u00a0\u202f.]*$")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

MESSAGES: dict[str, str] = {
    "unknown_choice": N_("Choix inconnu : %(value)s"),
    "too_long": N_("%(max)s caractères au plus"),
    "not_a_number": N_("Nombre entier positif attendu"),
    "too_large": N_("Nombre trop grand"),
    "not_a_datetime": N_("Date et heure invalides (JJ/MM/AAAA HH:MM)"),
    "not_a_date": N_("Date invalide (JJ/MM/AAAA)"),
    "nonexistent_time": N_("Cette heure n'existe pas (passage à l'heure d'été) : %(value)s"),
    "in_future": N_("Cette date est dans le futur"),
    "before_start": N_("Antérieure au début de la violation"),
    "before_discovery": N_("Antérieure à la découverte"),
    "unknown_and_given": N_("Cochez « inconnue » ou donnez la date, pas les deux"),
    "delay_reasons_required": N_("Notification tardive (%(late)s) : "
                                 "l'article 33(1) du RGPD exige les motifs du retard"),
    "not_text": N_("Texte attendu"),
    "not_bool": N_("Oui ou non attendu"),
    "not_list": N_("Liste de choix attendue"),
    "control_chars": N_("Caractères de contrôle interdits"),
    "title_required": N_("Donnez un intitulé interne\u00a0: c'est sous ce nom que la violation figure au registre"),
    "email": N_("Adresse électronique invalide (par exemple claire.martin@clinique.fr)"),
    "phone_fr": N_("Numéro de téléphone invalide\u00a0: 10 chiffres (04 72 10 20 30) ou +33 suivi de 9 chiffres"),
    "withdrawal_reason_required": N_("Une notification retirée doit dire pourquoi"),
    "method_name_required": N_("Nommez la méthode utilisée"),
    "before_request": N_("Antérieure à la demande"),
}

MAX_COUNT = 10**10

FUTURE_ALLOWED = frozenset({"nis2_intermediate_due_at", "cnil_complement_due_at"})
"""Dates that may lie ahead: the date the authority set for a report to come, the date promised for one."""


class FieldError(ValueError):
    def __init__(self, code: str, **params: Any):
        super().__init__(code)
        self.code = code
        self.params = params

    def message(self, lang: str = "fr") -> str:
        return translate(MESSAGES[self.code], lang, **self.params)


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
    if field.check and text.strip():
        checker = {"email": identifiers.check_email, "phone_fr": identifiers.check_phone_fr}[field.check]
        try:
            return checker(text)
        except identifiers.IdentifierError as error:
            raise FieldError(error.code) from None
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
        # ... and the start of the breach, when it is known (notifier.breaches.rules.awareness).
        for name, code in awareness.order_errors(started, discovered, aware).items():
            errors.setdefault(name, FieldError(code))
        if started and instants["ended_at"] and instants["ended_at"] < started:
            errors.setdefault("ended_at", FieldError("before_start"))
    if step.code in ("other_bodies", "cnil_submission", "systems"):
        for field in step.fields:
            if field.name in FUTURE_ALLOWED:
                continue
            instant = _instant(values.get(field.name)) if field.kind == "datetime" else None
            if instant and instant > now:
                errors[field.name] = FieldError("in_future")
    if step.code == "other_bodies":
        requested, due = (_instant(values.get("nis2_intermediate_requested_at")),
                          _instant(values.get("nis2_intermediate_due_at")))
        if requested and due and due < requested:
            errors.setdefault("nis2_intermediate_due_at", FieldError("before_request"))
    # EDPB common template (draft): a withdrawn notification gives its reason.
    if step.code == "notification" and values.get("notification_state") == "withdrawn" \
            and not (values.get("withdrawal_reason") or "").strip():
        errors["withdrawal_reason"] = FieldError("withdrawal_reason_required")
    if step.code == "consequences" and values.get("risk_method") == "other" \
            and not (values.get("risk_method_name") or "").strip():
        errors["risk_method_name"] = FieldError("method_name_required")
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
ART_33_3_ELEMENTS: tuple[tuple[str, str, tuple[tuple[str, ...], ...]], ...] = (
    ("33.3.a_nature", N_("Nature de la violation"), (("natures",),)),
    ("33.3.a_people", N_("Catégories et nombre approximatif de personnes"), (("people_categories",),
                                                                             ("people_count",))),
    ("33.3.a_records", N_("Catégories et nombre approximatif d'enregistrements"), (("data_categories",),
                                                                                   ("records_count",))),
    ("33.3.b_contact", N_("Nom et coordonnées du DPO ou d'un point de contact"),
     (("contact_name",), ("contact_email", "contact_phone"))),
    ("33.3.c_consequences", N_("Conséquences probables"),
     (("consequences", "consequences_details"),)),
    ("33.3.d_measures", N_("Mesures prises ou envisagées"),
     (("measures_taken", "measures_planned"),)),
)


def missing_art_33_3(sections: dict[str, dict[str, Any]]) -> list[tuple[str, str]]:
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
        title = {"title": translate(field.label, "en")}
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
            "title": translate(step.title, "en"),
            "description": translate(step.source, "en"),
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


def read_document(doc: Any, *, now: datetime, lang: str = "en",
                  other_checks: Callable[[dict[str, Any]], list[tuple[str, str]]] | None = None) -> dict[str, Any]:
    """Validate a breach document and return its sections in stored form. Raises BreachDocumentError listing
    every problem (JSON Schema first, then the same field and step rules as the wizard, their messages in
    ``lang``; the JSON Schema validator's own messages are in English). ``other_checks`` returns the problems of
    the parts other features own (the risk facts), once the document has the schema's shape."""
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
                problems.append((f"sections/{code}/{name}", error.message(lang)))
    if not problems:
        aware = _instant(sections["dates"]["aware_at"])
        for step in STEPS:
            for name, error in check_step(step, sections[step.code], now=now, aware_at=aware).items():
                problems.append((f"sections/{step.code}/{name}", error.message(lang)))
    if other_checks is not None:
        problems.extend(other_checks(doc))
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
