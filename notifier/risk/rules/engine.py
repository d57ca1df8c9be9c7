"""The risk assessment of a breach: the ENISA severity score, then the decisions of GDPR art. 33 (notify the CNIL)
and art. 34 (tell the people), each with a sentence citing its source, in French and in English.

Method: ENISA, "Recommendations for a methodology of the assessment of severity of personal data breaches",
working document v1.0, December 2013: SE = DPC x EI + CB. The rules added on top of the score, and why, are listed in
RULES and explained for a lawyer in docs/risk-method.md, with the 18 worked examples of EDPB Guidelines 01/2021.
The DPO may override any verdict with a written justification; the application stores the override, not this module.
"""

from dataclasses import dataclass

from notifier.breaches.rules import vocabulary
from notifier.core.formatting import format_count
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

LANGUAGES = ("fr", "en")

# --- ENISA 2013: the three criteria -------------------------------------------------------------------------------

DPC_CATEGORIES: Choices = {
    # ENISA 2013, "Data processing context", basic scores 1 to 4 (Annex 1).
    "simple": ("Données simples", "Simple data"),
    "behavioural": ("Données comportementales", "Behavioural data"),
    "financial": ("Données financières", "Financial data"),
    "sensitive": ("Données sensibles", "Sensitive data"),
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
    "low": ("Faible", "Low"),
    "medium": ("Moyenne", "Medium"),
    "high": ("Élevée", "High"),
    "very_high": ("Très élevée", "Very high"),
}

RISK_LEVELS: Choices = {
    # The three levels the GDPR decides on: art. 33(1) "unlikely to result in a risk", art. 34(1) "high risk".
    "unlikely": ("Risque improbable", "Risk unlikely"),
    "risk": ("Risque", "Risk"),
    "high": ("Risque élevé", "High risk"),
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


@dataclass(frozen=True)
class Rule:
    label_fr: str
    label_en: str
    source: str


RULES: dict[str, Rule] = {
    "no_substantial_insight": Rule(
        "DPC ramené à 1 : les données ne révèlent rien de substantiel", "DPC lowered to 1: the data reveal nothing "
        "substantial", "ENISA 2013, Annex 1 (e.g. 'had general blood tests' scores 1 among sensitive data)"),
    "vulnerable_people": Rule(
        "DPC +1 : mineurs ou personnes vulnérables", "DPC +1: minors or vulnerable people",
        "EDPB Guidelines 9/2022, section IV.B 'special characteristics of the individual'; ENISA 2013, DPC "
        "contextual factors"),
    "large_volume": Rule(
        "DPC +1 : plus de 5 000 personnes", "DPC +1: more than 5,000 people",
        "EDPB Guidelines 9/2022, section IV.B 'number of affected individuals'; ENISA 2013 (number of individuals, "
        "left out of the formula, to weigh afterwards); EDPB Guidelines 01/2021 case 11"),
    "dpo_adjustment": Rule(
        "DPC ajusté par le DPO, avec sa justification", "DPC adjusted by the DPO, with a written reason",
        "ENISA 2013, DPC contextual factors (volume, controller, individuals, invalidity, public availability)"),
    "confidentiality_unintelligible": Rule(
        "Confidentialité neutralisée : données inintelligibles", "Confidentiality neutralised: unintelligible data",
        "GDPR art. 34(3)(a); EDPB Guidelines 9/2022 (encrypted data, key not compromised); ENISA 2013 (EI is "
        "identification by whoever holds the data)"),
    "confidentiality_trusted_recipient": Rule(
        "Confidentialité neutralisée : destinataire de confiance qui a supprimé les données",
        "Confidentiality neutralised: trusted recipient who deleted the data",
        "EDPB Guidelines 9/2022, section IV.B (a trusted recipient 'may eradicate the severity of the "
        "consequences'); EDPB Guidelines 01/2021 case 9"),
    "ei_negligible": Rule(
        "EI négligeable : personne d'autre ne peut exploiter les données",
        "EI negligible: nobody else can make use of the data",
        "ENISA 2013, EI: identification by the party who has access to the data"),
    "prolonged_unavailability": Rule(
        "Indisponibilité prolongée : au moins un risque", "Prolonged unavailability: at least a risk",
        "EDPB Guidelines 01/2021 case 2; EDPB Guidelines 9/2022 (availability breaches)"),
    "care_disrupted": Rule(
        "Soins perturbés : risque élevé", "Care disrupted: high risk",
        "EDPB Guidelines 01/2021 case 3; EDPB Guidelines 9/2022 (hospital example of an availability breach)"),
    "discovered_by_authority": Rule(
        "Violation découverte par la CNIL : pas de notification", "Breach discovered by the CNIL: no notification",
        "Conseil d'État, 22 July 2022, n°449694; GDPR art. 33(5)"),
    "art_34_3_b": Rule(EXCEPTIONS["34.3.b"][0], EXCEPTIONS["34.3.b"][1], "GDPR art. 34(3)(b)"),
    "art_34_3_c": Rule(EXCEPTIONS["34.3.c"][0], EXCEPTIONS["34.3.c"][1], "GDPR art. 34(3)(c)"),
}


# --- the result ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Reason:
    code: str
    fr: str
    en: str

    def text(self, lang: str) -> str:
        return self.fr if lang == "fr" else self.en


@dataclass(frozen=True)
class Adjustment:
    code: str
    points: int
    label_fr: str
    label_en: str


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
    label_fr: str
    label_en: str


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
            "reasons_i18n": [{"code": r.code, "fr": r.fr, "en": r.en} for r in self.reasons],
            "rules_applied": list(self.rules_applied),
            "parts": {
                "dpc": {
                    "value": self.dpc.value, "base": self.dpc.base, "data_type": self.dpc.data_type,
                    "category": self.dpc.category, "capped": self.dpc.capped,
                    "adjustments": [{"code": a.code, "points": a.points, "label_fr": a.label_fr,
                                     "label_en": a.label_en} for a in self.dpc.adjustments],
                },
                "ei": {"level": self.ei.level, "applied_level": self.ei.applied_level, "value": self.ei.value},
                "cb": [{"code": t.code, "level": t.level, "points": t.points, "label_fr": t.label_fr,
                        "label_en": t.label_en} for t in self.cb],
                "dpc_x_ei": self.dpc.value * self.ei.value,
                "cb_total": sum(t.points for t in self.cb),
            },
            "lang": lang,
        }


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


class _Notes:
    """The reasons and rule codes of one assessment, in the order they were reached."""

    def __init__(self) -> None:
        self.reasons: list[Reason] = []
        self.rules: list[str] = []

    def say(self, code: str, fr: str, en: str) -> None:
        self.reasons.append(Reason(code, fr, en))

    def rule(self, code: str, fr: str, en: str) -> None:
        self.rules.append(code)
        self.say(code, fr, en)


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
        f"Gravité ENISA (2013) : SE = DPC {dpc.value} × EI {_n(ei.value, 'fr')} + CB "
        f"{_n(sum(t.points for t in cb), 'fr')} = {_n(score, 'fr')}, niveau "
        f"« {SEVERITIES[severity][0].lower()} », lu comme « {RISK_LEVELS[risk_level][0].lower()} ».",
        f"ENISA (2013) severity: SE = DPC {dpc.value} × EI {_n(ei.value, 'en')} + CB "
        f"{_n(sum(t.points for t in cb), 'en')} = {_n(score, 'en')}, level '{SEVERITIES[severity][1].lower()}', "
        f"read as '{RISK_LEVELS[risk_level][1].lower()}'.",
    ))

    risk_level = _apply_floors(facts, risk_level, notes)
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
        f"DPC {base} : la donnée la plus sensible est « {DATA_TYPES[data_type][0]} » "
        f"({DPC_CATEGORIES[category][0].lower()}, ENISA 2013, annexe 1).",
        f"DPC {base}: the most sensitive data type is '{DATA_TYPES[data_type][1]}' "
        f"({DPC_CATEGORIES[category][1].lower()}, ENISA 2013, Annex 1).",
    )
    adjustments: list[Adjustment] = []
    value = base
    if facts.no_substantial_insight and base > 1:
        adjustments.append(Adjustment("no_substantial_insight", 1 - base, *_rule_labels("no_substantial_insight")))
        value = 1
        notes.rule(
            "no_substantial_insight",
            "DPC ramené à 1 : les données ne révèlent rien de substantiel sur leur catégorie (ENISA 2013, annexe 1 : "
            "« a fait une prise de sang de routine » vaut 1 parmi les données de santé).",
            "DPC lowered to 1: the data reveal nothing substantial about their category (ENISA 2013, Annex 1: "
            "'had general blood tests' scores 1 among health data).",
        )
    vulnerable = [code for code in VULNERABLE_CATEGORIES if code in facts.people_categories]
    if vulnerable:
        adjustments.append(Adjustment("vulnerable_people", 1, *_rule_labels("vulnerable_people")))
        value += 1
        names_fr = ", ".join(PEOPLE_CATEGORIES[c][0].lower() for c in vulnerable)
        names_en = ", ".join(PEOPLE_CATEGORIES[c][1].lower() for c in vulnerable)
        notes.rule(
            "vulnerable_people",
            f"DPC +1 : la violation touche des personnes vulnérables ({names_fr}) ; lignes directrices 9/2022 du "
            "CEPD, section IV.B, « caractéristiques particulières de la personne ».",
            f"DPC +1: the breach affects vulnerable people ({names_en}); EDPB Guidelines 9/2022, section IV.B, "
            "'special characteristics of the individual'.",
        )
    if vocabulary.people_count_band(facts.people_count) == LARGE_VOLUME_BAND:
        adjustments.append(Adjustment("large_volume", 1, *_rule_labels("large_volume")))
        value += 1
        notes.rule(
            "large_volume",
            f"DPC +1 : {format_count(facts.people_count, 'fr')} personnes, au-delà de 5 000 (tranche la plus haute du "
            "formulaire de la CNIL) ; lignes directrices 9/2022 du CEPD, section IV.B, « nombre de personnes "
            "concernées » ; lignes directrices 01/2021, cas 11.",
            f"DPC +1: {format_count(facts.people_count, 'en')} people, more than 5,000 (the CNIL form's highest band); "
            "EDPB Guidelines 9/2022, section IV.B, 'number of affected individuals'; EDPB Guidelines 01/2021, "
            "case 11.",
        )
    if facts.dpc_adjustment:
        adjustments.append(Adjustment("dpo_adjustment", facts.dpc_adjustment, *_rule_labels("dpo_adjustment")))
        value += facts.dpc_adjustment
        notes.rule(
            "dpo_adjustment",
            f"DPC {facts.dpc_adjustment:+d} par le délégué à la protection des données (facteurs de contexte, "
            f"ENISA 2013) : {facts.dpc_adjustment_reason}",
            f"DPC {facts.dpc_adjustment:+d} by the data protection officer (context factors, ENISA 2013): "
            f"{facts.dpc_adjustment_reason}",
        )
    capped = not 1 <= value <= 4
    if capped:
        value = min(4, max(1, value))
        notes.say(
            "dpc_capped",
            f"Le DPC reste dans l'échelle de 1 à 4 de la méthode ENISA : {value}.",
            f"The DPC stays within the ENISA scale of 1 to 4: {value}.",
        )
    if "credentials" in facts.data_types:
        notes.say(
            "credentials",
            "Identifiants : la méthode ENISA les classe dans la catégorie des données auxquelles ils donnent accès ; "
            "ajoutez ces données aux types de données si ce n'est pas fait.",
            "Credentials: the ENISA method scores them in the category of the data they give access to; add that "
            "data to the data types if it is not listed.",
        )
    if "patients" in facts.people_categories and category != "sensitive":
        notes.say(
            "patients_health",
            "Les données recueillies lors de l'inscription ou de la prise en charge en vue de soins sont des données "
            "de santé (RGPD, considérant 35) : si ces données de patients en proviennent, ajoutez « données de "
            "santé ».",
            "Data collected when registering for or receiving care are health data (GDPR recital 35): if these "
            "patients' data come from their care, add 'health data'.",
        )
    return DpcPart(value=value, base=base, data_type=data_type, category=category, adjustments=tuple(adjustments),
                   capped=capped)


def _rule_labels(code: str) -> tuple[str, str]:
    return RULES[code].label_fr, RULES[code].label_en


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
            f"EI négligeable (0,25) au lieu de « {IDENTIFIABILITY[facts.identifiability][0].split(' :')[0].lower()} » :"
            " les données sont inexploitables par quiconque les détient hors de l'établissement, qui n'a rien perdu "
            "d'autre (ENISA 2013 : l'EI mesure l'identification par celui qui accède aux données).",
            f"EI negligible (0.25) instead of '{IDENTIFIABILITY[facts.identifiability][1].split(':')[0].lower()}': "
            "whoever holds the data outside the establishment cannot use them, and the establishment lost nothing "
            "else (ENISA 2013: EI measures identification by the party who has access to the data).",
        )
    else:
        notes.say(
            "ei",
            f"EI {_n(EI_SCORE[applied], 'fr')} : facilité d'identification "
            f"« {IDENTIFIABILITY[applied][0].split(' :')[0].lower()} » (ENISA 2013, annexe 2).",
            f"EI {_n(EI_SCORE[applied], 'en')}: ease of identification "
            f"'{IDENTIFIABILITY[applied][1].split(':')[0].lower()}' (ENISA 2013, Annex 2).",
        )
    return EiPart(level=facts.identifiability, applied_level=applied, value=EI_SCORE[applied])


def _circumstances(facts: RiskFacts, neutralised_by: str | None, notes: _Notes) -> tuple[CbTerm, ...]:
    """ENISA 2013, CB: loss of confidentiality, integrity, availability and malicious intent, added."""
    confidentiality_points = CONFIDENTIALITY_POINTS[facts.confidentiality]
    if neutralised_by and facts.confidentiality != "none":
        stated_fr = _n(confidentiality_points, "fr")
        stated_en = _n(confidentiality_points, "en")
        confidentiality_points = 0.0
        if neutralised_by == "unintelligible":
            notes.rule(
                "confidentiality_unintelligible",
                f"Confidentialité : les données étaient inintelligibles pour qui n'est pas autorisé (chiffrement ou "
                f"hachage à l'état de l'art, clé ou sel non compromis, art. 34(3)(a) du RGPD) ; la circonstance "
                f"compte 0 au lieu de {stated_fr}.",
                f"Confidentiality: the data were unintelligible to anyone not authorised (state-of-the-art "
                f"encryption or hashing, key or salt not compromised, GDPR art. 34(3)(a)); the circumstance counts 0 "
                f"instead of {stated_en}.",
            )
        else:
            notes.rule(
                "confidentiality_trusted_recipient",
                f"Confidentialité : le destinataire, connu, tenu à la confidentialité, a confirmé la suppression "
                f"(lignes directrices 9/2022 du CEPD, section IV.B ; lignes directrices 01/2021, cas 9) ; la "
                f"circonstance compte 0 au lieu de {stated_fr}.",
                f"Confidentiality: the recipient, known and bound by confidentiality, confirmed the deletion (EDPB "
                f"Guidelines 9/2022, section IV.B; EDPB Guidelines 01/2021, case 9); the circumstance counts 0 "
                f"instead of {stated_en}.",
            )
    if facts.recipient_trusted and facts.confidentiality == "unknown_recipients":
        notes.say(
            "trusted_recipient_not_applicable",
            "Un destinataire de confiance ne répond pas d'un nombre inconnu de destinataires : la confidentialité "
            "reste comptée.",
            "A trusted recipient cannot answer for an unknown number of recipients: the loss of confidentiality "
            "still counts.",
        )
    terms = [
        CbTerm("confidentiality", facts.confidentiality, confidentiality_points,
               *CONFIDENTIALITY[facts.confidentiality]),
        CbTerm("integrity", facts.integrity, INTEGRITY_POINTS[facts.integrity], *INTEGRITY[facts.integrity]),
        CbTerm("availability", facts.availability, AVAILABILITY_POINTS[facts.availability],
               *AVAILABILITY[facts.availability]),
    ]
    if facts.malicious:
        terms.append(CbTerm("malicious", "yes", MALICIOUS_POINTS, "Intention malveillante", "Malicious intent"))
    counted = [t for t in terms if t.points]
    notes.say(
        "cb",
        "CB " + _n(sum(t.points for t in terms), "fr") + (
            " : " + ", ".join(f"{t.label_fr[0].lower()}{t.label_fr[1:]} +{_n(t.points, 'fr')}" for t in counted)
            if counted else " : aucune circonstance aggravante") + " (ENISA 2013).",
        "CB " + _n(sum(t.points for t in terms), "en") + (
            ": " + ", ".join(f"{t.label_en[0].lower()}{t.label_en[1:]} +{_n(t.points, 'en')}" for t in counted)
            if counted else ": no aggravating circumstance") + " (ENISA 2013).",
    )
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
            how_fr, how_en = "définitivement", "permanently"
        elif hours == float("inf"):
            how_fr, how_en = "pour une durée inconnue", "for an unknown time"
        else:
            how_fr, how_en = f"pendant {_n(hours, 'fr')} h", f"for {_n(hours, 'en')} h"
        notes.rule(
            "prolonged_unavailability",
            f"Les données ont été indisponibles {how_fr}, au-delà de 24 h : une perte de disponibilité prolongée "
            "présente un risque même sans divulgation (lignes directrices 01/2021 du CEPD, cas 2 ; lignes "
            "directrices 9/2022) ; au moins un risque.",
            f"The data were unavailable {how_en}, beyond 24 h: a prolonged loss of availability is a risk even "
            "without disclosure (EDPB Guidelines 01/2021, case 2; EDPB Guidelines 9/2022); at least a risk.",
        )
    if facts.care_disrupted:
        risk_level = _raise_to(risk_level, "high")
        notes.rule(
            "care_disrupted",
            "Des soins ont été annulés, reportés ou dégradés : l'indisponibilité des données médicales met en jeu la "
            "santé des patients, un risque élevé (lignes directrices 01/2021 du CEPD, cas 3 ; lignes directrices "
            "9/2022, exemple de l'hôpital).",
            "Care was cancelled, postponed or degraded: medical data out of reach endangers the patients' health, a "
            "high risk (EDPB Guidelines 01/2021, case 3; EDPB Guidelines 9/2022, hospital example).",
        )
    return risk_level


def _notification(facts: RiskFacts, risk_level: str, notes: _Notes) -> bool:
    """GDPR art. 33(1): notify unless the breach is unlikely to result in a risk; art. 33(5): always register."""
    notes.say(
        "register",
        "Toute violation est consignée dans le registre interne, notifiée ou non (art. 33(5) du RGPD).",
        "Every breach is recorded in the internal register, notified or not (GDPR art. 33(5)).",
    )
    if risk_level == "unlikely":
        notes.say(
            "no_notification",
            "La violation n'est pas susceptible d'engendrer un risque pour les droits et libertés des personnes : "
            "pas de notification à la CNIL (art. 33(1) du RGPD).",
            "The breach is unlikely to result in a risk to people's rights and freedoms: no notification to the "
            "CNIL (GDPR art. 33(1)).",
        )
        return False
    if facts.discovered_by_authority:
        notes.rule(
            "discovered_by_authority",
            "La CNIL a elle-même découvert la violation et l'a signalée à l'établissement : la notification de "
            "l'article 33 n'est pas due (Conseil d'État, 22 juillet 2022, n° 449694) ; la violation reste inscrite "
            "au registre (art. 33(5)).",
            "The CNIL itself discovered the breach and reported it to the establishment: the art. 33 notification "
            "is not owed (Conseil d'État, 22 July 2022, n°449694); the breach is still recorded in the register "
            "(art. 33(5)).",
        )
        return False
    notes.say(
        "notify_authority",
        "La violation est susceptible d'engendrer un risque pour les droits et libertés des personnes : la notifier "
        "à la CNIL dans les 72 heures après en avoir pris connaissance (art. 33(1) du RGPD).",
        "The breach is likely to result in a risk to people's rights and freedoms: notify the CNIL within 72 hours "
        "of becoming aware of it (GDPR art. 33(1)).",
    )
    return True


def _exceptions(facts: RiskFacts) -> tuple[str, ...]:
    """The points of art. 34(3) whose conditions hold. (a) needs data that left the establishment's control."""
    codes = []
    if facts.unintelligible and facts.confidentiality != "none":
        codes.append("34.3.a")
    if facts.risk_neutralised:
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
            "Le risque n'est pas élevé : l'information individuelle des personnes n'est pas obligatoire "
            "(art. 34(1) du RGPD) ; elle reste possible.",
            "The risk is not high: telling each person is not required (GDPR art. 34(1)); it remains possible.",
        )
        return False, False
    if facts.risk_neutralised:
        notes.rule(
            "art_34_3_b",
            "Risque élevé, mais les mesures prises ensuite rendent sa réalisation improbable : l'information des "
            "personnes n'est pas requise (art. 34(3)(b) du RGPD) ; la CNIL peut en juger autrement (art. 34(4)).",
            "High risk, but the measures taken since make it no longer likely to materialise: telling the people is "
            "not required (GDPR art. 34(3)(b)); the CNIL may decide otherwise (art. 34(4)).",
        )
        return False, False
    if facts.disproportionate_effort:
        notes.rule(
            "art_34_3_c",
            "Risque élevé, mais informer chaque personne exigerait des efforts disproportionnés : une communication "
            "publique, ou une mesure aussi efficace, remplace les courriers individuels (art. 34(3)(c) du RGPD).",
            "High risk, but telling each person would involve disproportionate effort: a public communication, or "
            "an equally effective measure, replaces the individual letters (GDPR art. 34(3)(c)).",
        )
        return False, True
    if "34.3.a" in exceptions:
        # Encryption already took the confidentiality out of the score: what is still high comes from elsewhere.
        notes.say(
            "art_34_3_a_not_enough",
            "L'exception de l'art. 34(3)(a) ne couvre que la confidentialité : le risque élevé qui subsiste vient de "
            "l'intégrité, de la disponibilité ou des soins.",
            "The art. 34(3)(a) exception only covers confidentiality: the high risk that remains comes from "
            "integrity, availability or care.",
        )
    notes.say(
        "inform_subjects",
        "Risque élevé : informer chaque personne dans les meilleurs délais (art. 34(1) du RGPD), en termes clairs "
        "et simples, avec le contenu de l'art. 34(2).",
        "High risk: tell each person without undue delay (GDPR art. 34(1)), in clear and plain language, with the "
        "content of art. 34(2).",
    )
    return True, False
