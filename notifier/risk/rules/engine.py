"""The risk assessment of a breach: the ENISA severity score, then the decisions of GDPR art. 33 (notify the CNIL)
and art. 34 (tell the people), each with a sentence citing its source: a French msgid of the catalog with its
parameters, shown in French or English by ``Reason.text(lang)``.

Method: ENISA, "Recommendations for a methodology of the assessment of severity of personal data breaches",
working document v1.0, December 2013: SE = DPC x EI + CB. The rules added on top of the score, and why, are listed in
RULES and explained for a lawyer in docs/risk-method.md, with the 18 worked examples of EDPB Guidelines 01/2021 and
the examples of WP250 rev.01 Annex B (tests/risk/test_edpb_cases.py, tests/risk/test_wp250_cases.py).

A principle those examples show, encoded in ``_unlikely_availability_breach``: the context adjustments (many people,
vulnerable people) raise the severity of what happened to the data; they do not turn into a notification a breach that
the guidelines treat as unlikely to result in a risk, such as a short loss of availability restored without
consequence for the people (WP250 rev.01, Annex B, example iii and the note of example iv). Such a breach is
"unlikely to result in a risk" whatever the data (rule ``availability_without_consequence``), but only when the DPO
states that the people suffered no consequence (``no_consequence_for_people``): WP250 rev.01, section I.B.2, warns that
in a hospital critical medical data unavailable even temporarily may be a risk, so it is never presumed.
The DPO may override any verdict with a written justification; the application stores the override, not this module.
"""

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from notifier.breaches.rules import vocabulary
from notifier.core.formatting import format_count
from notifier.core.i18n import LANGUAGES, N_, SOURCE_LANGUAGE, translate
from notifier.risk.rules.facts import (
    AVAILABILITY,
    CHOICES,
    CONFIDENTIALITY,
    DATA_TYPES,
    IDENTIFIABILITY,
    INTEGRITY,
    MITIGATING_FACTS,
    PEOPLE_CATEGORIES,
    Choices,
    RiskFacts,
    RiskFactsError,
    facts_template,
    facts_to_document,
    validate_facts,
)

__all__ = [
    "AVAILABILITY", "CHOICES", "CONFIDENTIALITY", "DATA_TYPES", "DPC_CATEGORIES", "EXCEPTIONS", "IDENTIFIABILITY",
    "INTEGRITY", "MITIGATING_FACTS", "PEOPLE_CATEGORIES", "RISK_LEVELS", "RULES", "SEVERITIES", "Assessment",
    "RiskFacts", "RiskFactsError", "assess", "facts_template", "facts_to_document", "severity_band",
    "validate_facts",
]

# --- ENISA 2013: the three criteria -------------------------------------------------------------------------------

DPC_CATEGORIES: Choices = {
    # ENISA 2013, "Data processing context", basic scores 1 to 4 (Annex 1).
    "simple": N_("Données simples"),
    "behavioural": N_("Données comportementales"),
    "financial": N_("Données financières"),
    "sensitive": N_("Données sensibles"),
}
DPC_BASE_SCORE = {"simple": 1, "behavioural": 2, "financial": 3, "sensitive": 4}

DATA_TYPE_CATEGORY = {
    # ENISA Annex 1 "simple data": biographical data, contact details, full name, education, family life.
    "civil_status": "simple",
    "contact": "simple",
    "identification": "simple",
    # ENISA: credentials are no category of their own; they take the category of the data they open. The facts
    # record that data separately, and a reason reminds the DPO to list it.
    "credentials": "simple",
    # ENISA Annex 1 "behavioural data": location, traffic data, personal preferences and habits.
    "behavioural": "behavioural",
    "location": "behavioural",
    # ENISA Annex 1 "financial data": income, transactions, bank statements, credit cards, invoices.
    "financial": "financial",
    "payment": "financial",
    # Not named by ENISA. Identity papers and the French social security number open the way to identity theft and
    # to fraud on social benefits, a financial harm; the NIR's use is also restricted by law (loi 78-17 art. 30,
    # décret 2019-341) and the CNIL counts both among data "perçues comme sensibles". Scored as financial data.
    "official_documents": "financial",
    "nir": "financial",
    # GDPR art. 10 and ENISA Annex 1 "sensitive data" (which names criminal records).
    "offences": "sensitive",
    # GDPR art. 9(1) special categories; ENISA Annex 1 "sensitive data".
    "health": "sensitive",
    "genetic": "sensitive",
    "biometric": "sensitive",
    "racial_ethnic": "sensitive",
    "political": "sensitive",
    "religious": "sensitive",
    "trade_union": "sensitive",
    "sex_life": "sensitive",
}

EI_SCORE = {"negligible": 0.25, "limited": 0.5, "significant": 0.75, "maximum": 1.0}
"""ENISA 2013, "Ease of identification": four levels, linear."""

CONFIDENTIALITY_POINTS = {"none": 0.0, "exposed": 0.0, "known_recipients": 0.25, "unknown_recipients": 0.5}
INTEGRITY_POINTS = {"none": 0.0, "altered_no_misuse": 0.0, "recoverable": 0.25, "not_recoverable": 0.5}
AVAILABILITY_POINTS = {"none": 0.0, "recovered_easily": 0.0, "temporary": 0.25, "permanent": 0.5}
MALICIOUS_POINTS = 0.5
"""ENISA 2013, "Circumstances of breach": added to DPC x EI."""

SEVERITIES: Choices = {
    # ENISA 2013: SE < 2 low, 2 <= SE < 3 medium, 3 <= SE < 4 high, SE >= 4 very high.
    "low": N_("Faible"),
    "medium": N_("Moyenne"),
    "high": N_("Élevée"),
    "very_high": N_("Très élevée"),
}

RISK_LEVELS: Choices = {
    # The three levels the GDPR decides on: art. 33(1) "unlikely to result in a risk", art. 34(1) "high risk".
    "unlikely": N_("Risque improbable"),
    "risk": N_("Risque"),
    "high": N_("Risque élevé"),
}
RISK_LEVEL_OF_SEVERITY = {"low": "unlikely", "medium": "risk", "high": "high", "very_high": "high"}
"""ENISA 2013's reading of its levels: low, the people are not affected or meet a few inconveniences; medium,
significant inconveniences; high and very high, significant or irreversible consequences."""

EXCEPTIONS: Choices = vocabulary.ART_34_3_EXCEPTIONS

# --- the rules added to the score ---------------------------------------------------------------------------------

LARGE_VOLUME_BAND = "more_than_5000"
"""Above 5,000 people, the CNIL form's highest band (vocabulary.people_count_band), the DPC goes up one step."""
PROLONGED_UNAVAILABILITY_HOURS = 24.0
"""From one day without the data, an availability breach is notified. EDPB 01/2021 case 1 (restored in a few hours:
not notified) and case 2 (five days: notified) set the bounds; the guidelines give no number, one day is our choice."""
VULNERABLE_CATEGORIES = ("minors", "vulnerable")
CONTEXT_ADJUSTMENTS = ("vulnerable_people", "large_volume")
"""The DPC adjustments for who the people are and how many: they weigh what happened to the data, see
``_no_lasting_effect``."""


@dataclass(frozen=True)
class Rule:
    label: str
    """French msgid."""
    source: str


RULES: dict[str, Rule] = {
    "no_substantial_insight": Rule(
        N_("DPC ramené à 1 : les données ne révèlent rien de substantiel"),
        "ENISA 2013, Annex 1 (e.g. 'had general blood tests' scores 1 among sensitive data)"),
    "vulnerable_people": Rule(
        N_("DPC +1 : mineurs ou personnes vulnérables"),
        "EDPB Guidelines 9/2022, section IV.B 'special characteristics of the individual'; ENISA 2013, DPC "
        "contextual factors"),
    "large_volume": Rule(
        N_("DPC +1 : plus de 5 000 personnes"),
        "EDPB Guidelines 9/2022, section IV.B 'number of affected individuals'; ENISA 2013 (number of individuals, "
        "left out of the formula, to weigh afterwards); EDPB Guidelines 01/2021 case 11"),
    "context_without_effect": Rule(
        N_("Contexte (volume, personnes vulnérables) sans effet\u00a0: rien de durable n'est arrivé aux données"),
        "WP250 rev.01 (Article 29 Working Party, endorsed by the EDPB), Annex B example iii (brief power outage: "
        "neither the authority nor the people are notified) and example iv's note (data restored in good time: no "
        "notification); EDPB Guidelines 01/2021 case 1"),
    "availability_without_consequence": Rule(
        N_("Indisponibilité brève, rétablie, sans conséquence pour les personnes\u00a0: risque improbable"),
        "WP250 rev.01, Annex B example iii (power outage of several minutes: not notifiable, recorded under art. "
        "33(5)) and example iv's note (restored in good time: neither the authority nor the people); WP250 rev.01 "
        "section I.B.2 (availability breaches: in a hospital, critical medical data unavailable even temporarily "
        "may be a risk, hence the DPO's explicit statement that the people suffered no consequence); GDPR art. "
        "33(1) and 33(5)"),
    "dpo_adjustment": Rule(
        N_("DPC ajusté par le DPO, avec sa justification"),
        "ENISA 2013, DPC contextual factors (volume, controller, individuals, invalidity, public availability)"),
    "confidentiality_unintelligible": Rule(
        N_("Confidentialité neutralisée : données inintelligibles"),
        "GDPR art. 34(3)(a); EDPB Guidelines 9/2022 (encrypted data, key not compromised); ENISA 2013 (EI is "
        "identification by whoever holds the data)"),
    "confidentiality_trusted_recipient": Rule(
        N_("Confidentialité neutralisée : destinataire de confiance qui a supprimé les données"),
        "EDPB Guidelines 9/2022, section IV.B (a trusted recipient 'may eradicate the severity of the "
        "consequences'); EDPB Guidelines 01/2021 case 9"),
    "ei_negligible": Rule(
        N_("EI négligeable : personne d'autre ne peut exploiter les données"),
        "ENISA 2013, EI: identification by the party who has access to the data"),
    "prolonged_unavailability": Rule(
        N_("Indisponibilité prolongée : au moins un risque"),
        "EDPB Guidelines 01/2021 case 2; EDPB Guidelines 9/2022 (availability breaches)"),
    "care_disrupted": Rule(
        N_("Soins perturbés : risque élevé"),
        "EDPB Guidelines 01/2021 case 3; EDPB Guidelines 9/2022 (hospital example of an availability breach)"),
    "discovered_by_authority": Rule(
        N_("Violation découverte par la CNIL : pas de notification"),
        "Conseil d'État, 22 July 2022, n°449694; GDPR art. 33(5)"),
    "art_34_3_b": Rule(EXCEPTIONS["34.3.b"], "GDPR art. 34(3)(b)"),
    "art_34_3_c": Rule(EXCEPTIONS["34.3.c"], "GDPR art. 34(3)(c)"),
}


# --- the result ---------------------------------------------------------------------------------------------------

Shown = str | int | float | Callable[[str], str]
"""A reason's parameter: shown as is, or, for a function of the language, as what it returns for it (a label in
that language, a number written the French or the English way)."""


@dataclass(frozen=True)
class Reason:
    """One sentence of the verdict: a French msgid with ``%(name)s`` placeholders, translated when shown."""

    code: str
    message: str
    params: tuple[tuple[str, Shown], ...] = ()

    def text(self, lang: str) -> str:
        values = {name: value(lang) if callable(value) else value for name, value in self.params}
        return translate(self.message, lang, **values)

    def texts(self) -> dict[str, str]:
        """The sentence in every language, as assessments store it (``reasons_i18n``)."""
        return {lang: self.text(lang) for lang in LANGUAGES}


@dataclass(frozen=True)
class StoredReason:
    """A reason read back from a stored assessment (``reasons_i18n``): its sentence in each language, as written
    when it was assessed."""

    code: str
    sentences: Mapping[str, str]

    def text(self, lang: str) -> str:
        return self.sentences.get(lang) or self.sentences[SOURCE_LANGUAGE]

    def texts(self) -> dict[str, str]:
        return {lang: self.text(lang) for lang in LANGUAGES}


@dataclass(frozen=True)
class Adjustment:
    code: str
    points: int
    label: str
    """French msgid."""
    effective: bool = True
    """It moved the DPC: an adjustment that the 1-to-4 scale cut back entirely changed nothing, and is not listed
    among the rules applied (it is still explained, as "without effect")."""


@dataclass(frozen=True)
class DpcPart:
    value: int
    base: int
    data_type: str
    """The data type that set the base score: the most sensitive one."""
    category: str
    adjustments: tuple[Adjustment, ...]
    capped: bool
    """The adjustments went past 1 or 4 and were cut back."""


@dataclass(frozen=True)
class EiPart:
    level: str
    """As stated in the facts."""
    applied_level: str
    """As scored: negligible when the confidentiality is neutralised and nothing else was lost."""
    value: float


@dataclass(frozen=True)
class CbTerm:
    code: str
    level: str
    points: float
    label: str
    """French msgid."""


@dataclass(frozen=True)
class Assessment:
    severity_score: float
    severity: str
    risk_level: str
    notify_authority: bool
    inform_subjects: bool
    """Each person must be told individually (art. 34(1)): a letter per patient. False under art. 34(3)(c), where
    public_communication_required says the people are told by a public communication instead."""
    public_communication_required: bool
    exceptions: tuple[str, ...]
    """The points of art. 34(3) whose conditions the facts meet, whether or not the risk made them decisive."""
    reasons: tuple[Reason, ...]
    dpc: DpcPart
    ei: EiPart
    cb: tuple[CbTerm, ...]
    rules_applied: tuple[str, ...]
    lang: str = "en"
    register: bool = True
    """GDPR art. 33(5): every breach is documented, notified or not."""

    def to_dict(self, lang: str | None = None) -> dict:
        """The `notifier assess --json` contract (docs/risk-method.md), reasons in `lang` (default: the
        assessment's)."""
        lang = lang or self.lang
        return {
            "severity_score": self.severity_score,
            "severity": self.severity,
            "risk_level": self.risk_level,
            "register": self.register,
            "notify_authority": self.notify_authority,
            "inform_subjects": self.inform_subjects,
            "public_communication_required": self.public_communication_required,
            "exceptions": list(self.exceptions),
            "reasons": [reason.text(lang) for reason in self.reasons],
            "reasons_i18n": [{"code": r.code, **r.texts()} for r in self.reasons],
            "rules_applied": list(self.rules_applied),
            "parts": {
                "dpc": {
                    "value": self.dpc.value, "base": self.dpc.base, "data_type": self.dpc.data_type,
                    "category": self.dpc.category, "capped": self.dpc.capped,
                    "adjustments": [{"code": a.code, "points": a.points, "effective": a.effective,
                                     **_labels(a.label)} for a in self.dpc.adjustments],
                },
                "ei": {"level": self.ei.level, "applied_level": self.ei.applied_level, "value": self.ei.value},
                "cb": [{"code": t.code, "level": t.level, "points": t.points, **_labels(t.label)} for t in self.cb],
                "dpc_x_ei": self.dpc.value * self.ei.value,
                "cb_total": sum(t.points for t in self.cb),
            },
            "lang": lang,
        }


def _labels(label: str) -> dict[str, str]:
    """A label in every language, under the JSON keys of docs/risk-method.md (label_ + the language code)."""
    return {f"label_{lang}": translate(label, lang) for lang in LANGUAGES}


def severity_band(score: float) -> str:
    """ENISA 2013: SE < 2 low; 2 <= SE < 3 medium; 3 <= SE < 4 high; SE >= 4 very high."""
    if score < 2:
        return "low"
    if score < 3:
        return "medium"
    if score < 4:
        return "high"
    return "very_high"


def _n(value: float, lang: str) -> str:
    text = f"{value:g}"
    return text.replace(".", ",") if lang == "fr" else text


def _number(value: float) -> Callable[[str], str]:
    return lambda lang: _n(value, lang)


def _label(label: str, shape: Callable[[str], str] = str.lower) -> Callable[[str], str]:
    """A label of a choice list, translated when the reason is shown, then shaped (lower case by default)."""
    return lambda lang: shape(translate(label, lang))


def _level(text: str) -> str:
    """An ease-of-identification label without its explanation, in lower case (the part before the colon)."""
    return text.split(":")[0].strip().lower()


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


class _Notes:
    """The reasons and rule codes of one assessment, in the order they were reached."""

    def __init__(self) -> None:
        self.reasons: list[Reason] = []
        self.rules: list[str] = []

    def say(self, code: str, message: str, **params: Shown) -> None:
        self.reasons.append(Reason(code, message, tuple(params.items())))

    def rule(self, code: str, message: str, **params: Shown) -> None:
        self.rules.append(code)
        self.say(code, message, **params)


# --- the assessment -----------------------------------------------------------------------------------------------

def assess(facts: RiskFacts, lang: str = "en") -> Assessment:
    """Score the breach with the ENISA method, apply the rules added to it, and decide art. 33 and art. 34."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {LANGUAGES}, not {lang!r}")
    notes = _Notes()
    dpc = _data_processing_context(facts, notes)
    neutralised_by = _confidentiality_neutralised_by(facts)
    ei = _ease_of_identification(facts, neutralised_by, notes)
    cb = _circumstances(facts, neutralised_by, notes)
    score = dpc.value * ei.value + sum(term.points for term in cb)
    severity = severity_band(score)
    risk_level = RISK_LEVEL_OF_SEVERITY[severity]
    notes.reasons.insert(0, Reason(
        "enisa_score",
        N_("Gravité ENISA (2013)\u00a0: SE = DPC %(dpc)s × EI %(ei)s + CB %(cb)s = %(score)s, niveau "
           "«\u00a0%(severity)s\u00a0», lu comme «\u00a0%(risk)s\u00a0»."),
        (("dpc", dpc.value), ("ei", _number(ei.value)), ("cb", _number(sum(t.points for t in cb))),
         ("score", _number(score)), ("severity", _label(SEVERITIES[severity])),
         ("risk", _label(RISK_LEVELS[risk_level]))),
    ))

    risk_level = _apply_floors(facts, risk_level, notes)
    risk_level = _availability_without_consequence(facts, risk_level, notes)
    notify = _notification(facts, risk_level, notes)
    exceptions = _exceptions(facts)
    inform, public = _communication(facts, risk_level, exceptions, notes)
    return Assessment(
        severity_score=score, severity=severity, risk_level=risk_level, notify_authority=notify,
        inform_subjects=inform, public_communication_required=public, exceptions=exceptions,
        reasons=tuple(notes.reasons), dpc=dpc, ei=ei, cb=cb, rules_applied=tuple(notes.rules), lang=lang,
    )


def _data_processing_context(facts: RiskFacts, notes: _Notes) -> DpcPart:
    """ENISA 2013, DPC: the basic score of the most sensitive data type, then whole steps for the context,
    kept within 1 to 4."""
    # Among equally sensitive types, the first the DPO listed is named.
    data_type = max(facts.data_types, key=lambda code: DPC_BASE_SCORE[DATA_TYPE_CATEGORY[code]])
    category = DATA_TYPE_CATEGORY[data_type]
    base = DPC_BASE_SCORE[category]
    notes.say(
        "dpc_base",
        N_("DPC %(base)s\u00a0: la donnée la plus sensible est «\u00a0%(data_type)s\u00a0» (%(category)s, ENISA "
           "2013, annexe 1)."),
        base=base, data_type=_label(DATA_TYPES[data_type], str), category=_label(DPC_CATEGORIES[category]),
    )
    adjustments: list[Adjustment] = []
    # (code, message, params) of each adjustment, said once its effect is known.
    pending: list[tuple[str, str, dict[str, Shown]]] = []

    def defer(code: str, message: str, **params: Shown) -> None:
        pending.append((code, message, params))

    value = base
    if facts.no_substantial_insight and base > 1:
        adjustments.append(Adjustment("no_substantial_insight", 1 - base, RULES["no_substantial_insight"].label))
        value = 1
        defer(
            "no_substantial_insight",
            N_("DPC ramené à 1 : les données ne révèlent rien de substantiel sur leur catégorie (ENISA 2013, annexe "
               "1 : "
               "« a fait une prise de sang de routine » vaut 1 parmi les données de santé)."),
        )
    vulnerable = [code for code in VULNERABLE_CATEGORIES if code in facts.people_categories]
    large = vocabulary.people_count_band(facts.people_count) == LARGE_VOLUME_BAND
    if (vulnerable or large) and _unlikely_availability_breach(facts):
        # WP250 rev.01 Annex B: the context raises the severity of what happened to the data; it does not make a
        # breach notifiable that the guidelines treat as unlikely to result in a risk (example iii, a brief outage).
        vulnerable, large = [], False
        notes.rule(
            "context_without_effect",
            N_("Le nombre de personnes ou leur vulnérabilité n'augmente pas le DPC\u00a0: ni la confidentialité ni "
               "l'intégrité n'ont été atteintes et les données ont été rétablies rapidement, sans conséquence pour "
               "les personnes selon le DPO\u00a0; le contexte aggrave ce qui arrive aux données, il ne rend pas "
               "notifiable une violation que les lignes directrices WP250 rev.01 (annexe B, exemple iii\u00a0; note "
               "de l'exemple iv) jugent non susceptible d'engendrer un risque."),
        )
    if vulnerable:
        adjustments.append(Adjustment("vulnerable_people", 1, RULES["vulnerable_people"].label))
        value += 1
        defer(
            "vulnerable_people",
            N_("DPC +1\u00a0: la violation touche des personnes vulnérables (%(names)s)\u00a0; lignes directrices "
               "9/2022 du CEPD, section IV.B, «\u00a0caractéristiques particulières de la personne\u00a0»."),
            names=lambda lang: ", ".join(translate(PEOPLE_CATEGORIES[c], lang).lower() for c in vulnerable),
        )
    if large:
        adjustments.append(Adjustment("large_volume", 1, RULES["large_volume"].label))
        value += 1
        defer(
            "large_volume",
            N_("DPC +1\u00a0: %(count)s personnes, au-delà de 5 000 (tranche la plus haute du formulaire de la "
               "CNIL)\u00a0; lignes directrices 9/2022 du CEPD, section IV.B, «\u00a0nombre de personnes "
               "concernées\u00a0»\u00a0; lignes directrices 01/2021, cas 11."),
            count=lambda lang: format_count(facts.people_count, lang),
        )
    if facts.dpc_adjustment:
        adjustments.append(Adjustment("dpo_adjustment", facts.dpc_adjustment, RULES["dpo_adjustment"].label))
        value += facts.dpc_adjustment
        defer(
            "dpo_adjustment",
            N_("DPC %(points)s par le délégué à la protection des données (facteurs de contexte, ENISA "
               "2013)\u00a0: %(reason)s"),
            points=f"{facts.dpc_adjustment:+d}", reason=facts.dpc_adjustment_reason,
        )
    # An adjustment is applied only when it moves the DPC within ENISA's 1-to-4 scale, taken in order: +1 on a DPC
    # already at 4 changes nothing and is said to be without effect, not listed among the rules applied.
    running = base
    for index, (code, message, params) in enumerate(pending):
        before = _within_scale(running)
        running += adjustments[index].points
        if _within_scale(running) != before:
            notes.rule(code, message, **params)
        else:
            adjustments[index] = dataclasses.replace(adjustments[index], effective=False)
            notes.say(code, message, **params)
            notes.say(
                "dpc_adjustment_without_effect",
                N_("Sans effet sur le score («\u00a0%(rule)s\u00a0»)\u00a0: le DPC est déjà à la borne de "
                   "l'échelle de 1 à 4 de la méthode ENISA (%(value)s)."),
                rule=_label(RULES[code].label, str), value=before,
            )
    capped = not 1 <= value <= 4
    if capped:
        value = min(4, max(1, value))
        notes.say(
            "dpc_capped",
            N_("Le DPC reste dans l'échelle de 1 à 4 de la méthode ENISA\u00a0: %(value)s."),
            value=value,
        )
    if "credentials" in facts.data_types:
        notes.say(
            "credentials",
            N_("Identifiants : la méthode ENISA les classe dans la catégorie des données auxquelles ils donnent "
               "accès ; "
               "ajoutez ces données aux types de données si ce n'est pas fait."),
        )
    if "patients" in facts.people_categories and category != "sensitive":
        notes.say(
            "patients_health",
            N_("Les données recueillies lors de l'inscription ou de la prise en charge en vue de soins sont des "
               "données "
               "de santé (RGPD, considérant 35) : si ces données de patients en proviennent, ajoutez « données de "
               "santé »."),
        )
    return DpcPart(value=value, base=base, data_type=data_type, category=category, adjustments=tuple(adjustments),
                   capped=capped)


def _no_lasting_effect(facts: RiskFacts) -> bool:
    """Nothing lasting happened to the data: no loss of confidentiality or integrity, the data available again
    without difficulty or after a short outage (under PROLONGED_UNAVAILABILITY_HOURS, its length known), and care
    not disrupted. WP250 rev.01 Annex B example iii (a power outage of a few minutes at a call centre: recorded
    under art. 33(5), not notified) and the note of example iv (data restored in good time from a backup: no
    permanent loss of availability or confidentiality, no notification)."""
    if facts.confidentiality != "none" or facts.integrity != "none" or facts.care_disrupted:
        return False
    if facts.availability in ("none", "recovered_easily"):
        return True
    return (facts.availability == "temporary" and facts.availability_hours is not None
            and facts.availability_hours < PROLONGED_UNAVAILABILITY_HOURS)


def _unlikely_availability_breach(facts: RiskFacts) -> bool:
    """An availability breach that WP250 rev.01 treats as unlikely to result in a risk: nothing lasting happened to
    the data (``_no_lasting_effect``) and the DPO states that the people suffered no consequence. The statement is
    required, never presumed from the silence of the facts: WP250 rev.01 section I.B.2 (in a hospital, critical
    medical data unavailable even temporarily may put patients at risk). Disrupted care contradicts it and wins."""
    return facts.no_consequence_for_people and _no_lasting_effect(facts)


def _within_scale(value: int) -> int:
    """ENISA 2013: the DPC is kept within 1 to 4."""
    return min(4, max(1, value))


def _confidentiality_neutralised_by(facts: RiskFacts) -> str | None:
    """Who holds the data cannot make use of them: encrypted or hashed data whose key or salt is safe (art. 34(3)(a)),
    or a trusted recipient bound by confidentiality who deleted them (EDPB Guidelines 9/2022, section IV.B). A
    trusted recipient cannot answer for an unknown number of recipients."""
    if facts.unintelligible:
        return "unintelligible"
    if facts.recipient_trusted and facts.confidentiality != "unknown_recipients":
        return "trusted_recipient"
    return None


def _nothing_lost_but_confidentiality(facts: RiskFacts) -> bool:
    return INTEGRITY_POINTS[facts.integrity] == 0 and AVAILABILITY_POINTS[facts.availability] == 0


def _ease_of_identification(facts: RiskFacts, neutralised_by: str | None, notes: _Notes) -> EiPart:
    """ENISA 2013, EI: how easily "a party who has access to the data" can identify the people. When no one outside
    can read the data and the establishment lost nothing else, that party is nobody: EI negligible. When
    integrity or availability were lost too, the people are harmed in the establishment's own files, where they are
    identified: the EI stays as stated."""
    applied = facts.identifiability
    if neutralised_by and _nothing_lost_but_confidentiality(facts) and facts.identifiability != "negligible":
        applied = "negligible"
        notes.rule(
            "ei_negligible",
            N_("EI négligeable (0,25) au lieu de «\u00a0%(level)s\u00a0»\u00a0: les données sont inexploitables "
               "par quiconque les détient hors de l'établissement, qui n'a rien perdu d'autre (ENISA 2013\u00a0: "
               "l'EI mesure l'identification par celui qui accède aux données)."),
            level=_label(IDENTIFIABILITY[facts.identifiability], _level),
        )
    else:
        notes.say(
            "ei",
            N_("EI %(value)s\u00a0: facilité d'identification «\u00a0%(level)s\u00a0» (ENISA 2013, annexe 2)."),
            value=_number(EI_SCORE[applied]), level=_label(IDENTIFIABILITY[applied], _level),
        )
    return EiPart(level=facts.identifiability, applied_level=applied, value=EI_SCORE[applied])


def _circumstances(facts: RiskFacts, neutralised_by: str | None, notes: _Notes) -> tuple[CbTerm, ...]:
    """ENISA 2013, CB: loss of confidentiality, integrity, availability and malicious intent, added."""
    confidentiality_points = CONFIDENTIALITY_POINTS[facts.confidentiality]
    if neutralised_by and facts.confidentiality != "none":
        stated = _number(confidentiality_points)
        confidentiality_points = 0.0
        if neutralised_by == "unintelligible":
            notes.rule(
                "confidentiality_unintelligible",
                N_("Confidentialité\u00a0: les données étaient inintelligibles pour qui n'est pas autorisé "
                   "(chiffrement ou hachage à l'état de l'art, clé ou sel non compromis, art. 34(3)(a) du "
                   "RGPD)\u00a0; la circonstance compte 0 au lieu de %(stated)s."),
                stated=stated,
            )
        else:
            notes.rule(
                "confidentiality_trusted_recipient",
                N_("Confidentialité\u00a0: le destinataire, connu, tenu à la confidentialité, a confirmé la "
                   "suppression (lignes directrices 9/2022 du CEPD, section IV.B\u00a0; lignes directrices "
                   "01/2021, cas 9)\u00a0; la circonstance compte 0 au lieu de %(stated)s."),
                stated=stated,
            )
    if facts.recipient_trusted and facts.confidentiality == "unknown_recipients":
        notes.say(
            "trusted_recipient_not_applicable",
            N_("Un destinataire de confiance ne répond pas d'un nombre inconnu de destinataires : la confidentialité "
               "reste comptée."),
        )
    terms = [
        CbTerm("confidentiality", facts.confidentiality, confidentiality_points,
               CONFIDENTIALITY[facts.confidentiality]),
        CbTerm("integrity", facts.integrity, INTEGRITY_POINTS[facts.integrity], INTEGRITY[facts.integrity]),
        CbTerm("availability", facts.availability, AVAILABILITY_POINTS[facts.availability],
               AVAILABILITY[facts.availability]),
    ]
    if facts.malicious:
        terms.append(CbTerm("malicious", "yes", MALICIOUS_POINTS, N_("Intention malveillante")))
    counted = [t for t in terms if t.points]
    total = _number(sum(t.points for t in terms))
    if counted:
        notes.say("cb", N_("CB %(total)s\u00a0: %(terms)s (ENISA 2013)."),
                  total=total, terms=lambda lang: ", ".join(
                      f"{_lower_first(translate(t.label, lang))} +{_n(t.points, lang)}" for t in counted))
    else:
        notes.say("cb", N_("CB %(total)s\u00a0: aucune circonstance aggravante (ENISA 2013)."), total=total)
    return tuple(terms)


def _unavailable_hours(facts: RiskFacts) -> float:
    """How long the people's data were out of reach. Data "recovered without difficulty" (ENISA's harmless level)
    count as no loss, whatever the hours; an unknown duration of a temporary loss counts as long, since nothing
    shows it was short."""
    if facts.availability in ("none", "recovered_easily"):
        return 0.0
    if facts.availability == "permanent" or facts.availability_hours is None:
        return float("inf")
    return facts.availability_hours


_LEVEL_ORDER = list(RISK_LEVELS)


def _raise_to(level: str, floor: str) -> str:
    return max(level, floor, key=_LEVEL_ORDER.index)


def _apply_floors(facts: RiskFacts, risk_level: str, notes: _Notes) -> str:
    """Rules from the EDPB's worked examples that the score alone does not reach: they only ever raise the level."""
    hours = _unavailable_hours(facts)
    if hours >= PROLONGED_UNAVAILABILITY_HOURS:
        risk_level = _raise_to(risk_level, "risk")
        if facts.availability == "permanent":
            how = _label(N_("définitivement"), str)
        elif hours == float("inf"):
            how = _label(N_("pour une durée inconnue"), str)
        else:
            how = lambda lang: translate(N_("pendant %(hours)s h"), lang,  # noqa: E731
                                         hours=_n(hours, lang))
        notes.rule(
            "prolonged_unavailability",
            N_("Les données ont été indisponibles %(how)s, au-delà de 24 h\u00a0: une perte de disponibilité "
               "prolongée présente un risque même sans divulgation (lignes directrices 01/2021 du CEPD, cas "
               "2\u00a0; lignes directrices 9/2022)\u00a0; au moins un risque."),
            how=how,
        )
    if facts.care_disrupted:
        risk_level = _raise_to(risk_level, "high")
        notes.rule(
            "care_disrupted",
            N_("Des soins ont été annulés, reportés ou dégradés : l'indisponibilité des données médicales met en jeu "
               "la "
               "santé des patients, un risque élevé (lignes directrices 01/2021 du CEPD, cas 3 ; lignes directrices "
               "9/2022, exemple de l'hôpital)."),
        )
    return risk_level


def _availability_without_consequence(facts: RiskFacts, risk_level: str, notes: _Notes) -> str:
    """WP250 rev.01 Annex B example iii and the note of example iv: a loss of availability only, short and restored,
    with no consequence for the people, is unlikely to result in a risk (GDPR art. 33(1)): not notified, nobody
    told, recorded in the register (art. 33(5)). The only rule that lowers the level the score gives: ENISA's DPC
    weighs the data (health data score 4 whatever happened), this rule what happened to the people."""
    if facts.no_consequence_for_people and facts.care_disrupted:
        notes.say(
            "no_consequence_contradicted",
            N_("«\u00a0Aucune conséquence pour les personnes\u00a0» contredit les soins perturbés\u00a0: les soins "
               "perturbés l'emportent."),
        )
    if not _unlikely_availability_breach(facts):
        return risk_level
    notes.rule(
        "availability_without_consequence",
        N_("Perte de disponibilité seule, brève et rétablie, sans conséquence pour les personnes (ni soins "
           "affectés, ni personne privée de ses données quand elle en avait besoin)\u00a0: la violation n'est pas "
           "susceptible d'engendrer un risque, quelle que soit la sensibilité des données (lignes directrices "
           "WP250 rev.01, annexe B, exemple iii et note de l'exemple iv\u00a0; section I.B.2 sur les atteintes à la "
           "disponibilité). Elle est inscrite au registre (art. 33(5) du RGPD)."),
    )
    return "unlikely"


def _notification(facts: RiskFacts, risk_level: str, notes: _Notes) -> bool:
    """GDPR art. 33(1): notify unless the breach is unlikely to result in a risk; art. 33(5): always register."""
    notes.say(
        "register",
        N_("Toute violation est consignée dans le registre interne, notifiée ou non (art. 33(5) du RGPD)."),
    )
    if risk_level == "unlikely":
        notes.say(
            "no_notification",
            N_("La violation n'est pas susceptible d'engendrer un risque pour les droits et libertés des personnes : "
               "pas de notification à la CNIL (art. 33(1) du RGPD)."),
        )
        return False
    if facts.discovered_by_authority:
        notes.rule(
            "discovered_by_authority",
            N_("La CNIL a elle-même découvert la violation et l'a signalée à l'établissement : la notification de "
               "l'article 33 n'est pas due (Conseil d'État, 22 juillet 2022, n° 449694) ; la violation reste inscrite "
               "au registre (art. 33(5))."),
        )
        return False
    notes.say(
        "notify_authority",
        N_("La violation est susceptible d'engendrer un risque pour les droits et libertés des personnes : la notifier "
           "à la CNIL dans les 72 heures après en avoir pris connaissance (art. 33(1) du RGPD)."),
    )
    return True


def _exceptions(facts: RiskFacts) -> tuple[str, ...]:
    """The points of art. 34(3) whose conditions hold. (a) needs data that left the establishment's control."""
    codes = []
    if facts.unintelligible and facts.confidentiality != "none":
        codes.append("34.3.a")
    # Art. 34(3)(b): the high risk "is no longer likely to materialise"; disrupted care is a harm that already
    # happened, which no later measure undoes (WP250 rev.01 section III, conditions where communication is not
    # required: action taken "before they were able to do anything with it"; Annex B example viii).
    if facts.risk_neutralised and not facts.care_disrupted:
        codes.append("34.3.b")
    if facts.disproportionate_effort:
        codes.append("34.3.c")
    return tuple(codes)


def _communication(facts: RiskFacts, risk_level: str, exceptions: tuple[str, ...],
                   notes: _Notes) -> tuple[bool, bool]:
    """GDPR art. 34(1) and 34(3): (inform each person, public communication instead)."""
    if risk_level != "high":
        notes.say(
            "no_communication",
            N_("Le risque n'est pas élevé : l'information individuelle des personnes n'est pas obligatoire "
               "(art. 34(1) du RGPD) ; elle reste possible."),
        )
        return False, False
    if facts.risk_neutralised and facts.care_disrupted:
        notes.say(
            "art_34_3_b_materialised",
            N_("L'exception de l'art. 34(3)(b) ne s'applique pas\u00a0: les soins ont déjà été perturbés, le risque "
               "élevé s'est réalisé et les mesures prises ensuite ne peuvent plus l'empêcher. Seul un risque qui "
               "«\u00a0n'est plus susceptible de se matérialiser\u00a0» dispense d'informer les personnes (RGPD "
               "art. 34(3)(b)\u00a0; lignes directrices WP250 rev.01, section III, exemple d'une personne arrêtée "
               "«\u00a0avant qu'elle ait pu faire quoi que ce soit\u00a0» des données)."),
        )
    elif facts.risk_neutralised:
        notes.rule(
            "art_34_3_b",
            N_("Risque élevé, mais les mesures prises ensuite rendent sa réalisation improbable : l'information des "
               "personnes n'est pas requise (art. 34(3)(b) du RGPD) ; la CNIL peut en juger autrement (art. 34(4))."),
        )
        return False, False
    if facts.disproportionate_effort:
        notes.rule(
            "art_34_3_c",
            N_("Risque élevé, mais informer chaque personne exigerait des efforts disproportionnés : une communication "
               "publique, ou une mesure aussi efficace, remplace les courriers individuels (art. 34(3)(c) du RGPD)."),
        )
        return False, True
    if "34.3.a" in exceptions:
        # Encryption already took the confidentiality out of the score: what is still high comes from elsewhere.
        notes.say(
            "art_34_3_a_not_enough",
            N_("L'exception de l'art. 34(3)(a) ne couvre que la confidentialité : le risque élevé qui subsiste vient "
               "de "
               "l'intégrité, de la disponibilité ou des soins."),
        )
    notes.say(
        "inform_subjects",
        N_("Risque élevé : informer chaque personne dans les meilleurs délais (art. 34(1) du RGPD), en termes clairs "
           "et simples, avec le contenu de l'art. 34(2)."),
    )
    return True, False
