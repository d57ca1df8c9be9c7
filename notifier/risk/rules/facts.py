"""The facts document the risk assessment reads: its choice lists (stable codes, French and English labels), its
validation and a default document. The method that turns facts into a verdict is in notifier.risk.rules.engine; the
fields and their meaning are documented in docs/risk-method.md.

Plain Python: the web form, the breach import and the `notifier assess` command all call validate_facts()."""

import math
from dataclasses import dataclass
from typing import Any

from notifier.breaches.rules import vocabulary
from notifier.breaches.rules.vocabulary import Choices
from notifier.core.i18n import N_, translate

# The data types of the facts document: the CNIL form's data categories plus the three kinds of data the ENISA
# method scores apart (credentials, means of payment, behavioural data). Most sensitive last within each group.
_CNIL = vocabulary.DATA_CATEGORIES
DATA_TYPES: Choices = {
    "civil_status": _CNIL["civil_status"],
    "contact": _CNIL["contact"],
    "identification": _CNIL["identification"],
    "credentials": N_("Identifiants et mots de passe"),
    "behavioural": N_("Données comportementales (habitudes, préférences)"),
    "location": _CNIL["location"],
    "financial": _CNIL["financial"],
    "payment": N_("Moyens de paiement (carte bancaire, RIB)"),
    "official_documents": _CNIL["official_documents"],
    "nir": _CNIL["nir"],
    "offences": _CNIL["offences"],
    "health": _CNIL["health"],
    "genetic": _CNIL["genetic"],
    "biometric": _CNIL["biometric"],
    "racial_ethnic": _CNIL["racial_ethnic"],
    "political": _CNIL["political"],
    "religious": _CNIL["religious"],
    "trade_union": _CNIL["trade_union"],
    "sex_life": _CNIL["sex_life"],
}

IDENTIFIABILITY: Choices = {
    # ENISA 2013, "Ease of identification", Annex 2.
    "negligible": N_("Négligeable : très difficile de relier les données à une personne"),
    "limited": N_("Limitée : possible, mais avec difficulté"),
    "significant": N_("Importante : relativement facile"),
    "maximum": N_("Maximale : identification directe (nom et date de naissance ou adresse)"),
}

CONFIDENTIALITY: Choices = {
    # ENISA 2013, "Circumstances of breach", loss of confidentiality.
    "none": N_("Aucune perte de confidentialité"),
    "exposed": N_("Données exposées, sans preuve d'utilisation illicite"),
    "known_recipients": N_("Données communiquées à des destinataires connus"),
    "unknown_recipients": N_("Données communiquées à un nombre inconnu de destinataires (ou publiées)"),
}

INTEGRITY: Choices = {
    # ENISA 2013, "Circumstances of breach", loss of integrity.
    "none": N_("Aucune perte d'intégrité"),
    "altered_no_misuse": N_("Données modifiées, sans preuve d'utilisation illicite"),
    "recoverable": N_("Données modifiées et peut-être utilisées, mais récupérables"),
    "not_recoverable": N_("Données modifiées et peut-être utilisées, non récupérables"),
}

AVAILABILITY: Choices = {
    # ENISA 2013, "Circumstances of breach", loss of availability.
    "none": N_("Aucune perte de disponibilité"),
    "recovered_easily": N_("Données rétablies sans difficulté"),
    "temporary": N_("Indisponibilité temporaire"),
    "permanent": N_("Perte définitive (données non récupérables)"),
}

PEOPLE_CATEGORIES: Choices = {
    code: vocabulary.PEOPLE_CATEGORIES[code]
    for code in ("patients", "employees", "customers", "users", "students", "minors", "vulnerable", "other")
}

CHOICES: dict[str, Choices] = {
    "data_types": DATA_TYPES,
    "identifiability": IDENTIFIABILITY,
    "confidentiality": CONFIDENTIALITY,
    "integrity": INTEGRITY,
    "availability": AVAILABILITY,
    "people_categories": PEOPLE_CATEGORIES,
}

# Facts that lower the risk; everything else only makes a breach worse as it grows (see tests/domain/test_risk*.py).
MITIGATING_FACTS = ("unintelligible", "recipient_trusted", "risk_neutralised", "disproportionate_effort",
                    "no_substantial_insight", "discovered_by_authority", "no_consequence_for_people")

_REQUIRED_BOOLEANS = ("malicious", "unintelligible", "recipient_trusted", "risk_neutralised",
                      "disproportionate_effort", "care_disrupted")
_OPTIONAL_BOOLEANS = ("discovered_by_authority", "no_substantial_insight", "no_consequence_for_people")
REQUIRED_FIELDS = ("data_types", "identifiability", "confidentiality", "integrity", "availability", "people_count",
                   "people_categories", *_REQUIRED_BOOLEANS)
OPTIONAL_FIELDS = ("availability_hours", "dpc_adjustment", "dpc_adjustment_reason", *_OPTIONAL_BOOLEANS)
"""Any other top-level key is refused, unless it starts with EXTENSION_PREFIX (kept, never read)."""
EXTENSION_PREFIX = "x_"


@dataclass(frozen=True)
class RiskFacts:
    """What the DPO establishes about a breach, in the terms of the ENISA method and GDPR art. 33-34."""

    data_types: tuple[str, ...]
    identifiability: str
    confidentiality: str
    integrity: str
    availability: str
    people_count: int
    people_categories: tuple[str, ...]
    malicious: bool
    unintelligible: bool
    """Art. 34(3)(a): state-of-the-art encryption or hashing, key or salt not compromised."""
    recipient_trusted: bool
    """A known recipient bound by confidentiality who confirmed the deletion (EDPB Guidelines 9/2022)."""
    risk_neutralised: bool
    """Art. 34(3)(b): later measures make the high risk no longer likely to materialise."""
    disproportionate_effort: bool
    """Art. 34(3)(c): telling each person would take disproportionate effort; a public communication replaces it."""
    care_disrupted: bool
    """Care was cancelled, postponed or degraded because of the breach."""
    availability_hours: float | None = None
    """How long the data were unavailable; None when unknown or not relevant."""
    dpc_adjustment: int = 0
    dpc_adjustment_reason: str = ""
    discovered_by_authority: bool = False
    """The CNIL itself discovered the breach and told the establishment (Conseil d'État, 22 July 2022, n°449694)."""
    no_substantial_insight: bool = False
    """The data give no substantial insight into their category (ENISA 2013 Annex 1: "general blood tests")."""
    no_consequence_for_people: bool = False
    """The DPO states that the loss of availability had no consequence for the people: no care affected, nobody
    needed the data while they were out of reach. Never presumed: WP250 rev.01, section I.B.2 (availability): in a
    hospital, critical medical data unavailable even temporarily may be a risk (operations cancelled, lives put at
    risk); WP250 rev.01 Annex B example iii: a brief outage with no such effect is not notifiable."""


class RiskFactsError(ValueError):
    """A facts document that cannot be assessed, with the path of every bad field."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(f"{path}: {message}" for path, message in problems))
        self.problems = problems


def facts_template() -> dict[str, Any]:
    """A valid document to start from, cautious for a hospital: identified patients' health data, nothing yet known
    about the circumstances. The DPO lowers what the facts allow; a form built on it starts on the safe side."""
    return {
        "data_types": ["civil_status", "health"],
        "identifiability": "maximum",
        "confidentiality": "none",
        "integrity": "none",
        "availability": "none",
        "availability_hours": None,
        "malicious": False,
        "people_count": 1,
        "people_categories": ["patients"],
        "unintelligible": False,
        "recipient_trusted": False,
        "risk_neutralised": False,
        "disproportionate_effort": False,
        "care_disrupted": False,
        "discovered_by_authority": False,
        "no_substantial_insight": False,
        "no_consequence_for_people": False,
        "dpc_adjustment": 0,
        "dpc_adjustment_reason": "",
    }


def facts_to_document(facts: RiskFacts) -> dict[str, Any]:
    """The JSON document of validated facts: validate_facts(facts_to_document(f)) == f."""
    return {
        "data_types": list(facts.data_types),
        "identifiability": facts.identifiability,
        "confidentiality": facts.confidentiality,
        "integrity": facts.integrity,
        "availability": facts.availability,
        "availability_hours": facts.availability_hours,
        "malicious": facts.malicious,
        "people_count": facts.people_count,
        "people_categories": list(facts.people_categories),
        "unintelligible": facts.unintelligible,
        "recipient_trusted": facts.recipient_trusted,
        "risk_neutralised": facts.risk_neutralised,
        "disproportionate_effort": facts.disproportionate_effort,
        "care_disrupted": facts.care_disrupted,
        "discovered_by_authority": facts.discovered_by_authority,
        "no_substantial_insight": facts.no_substantial_insight,
        "no_consequence_for_people": facts.no_consequence_for_people,
        "dpc_adjustment": facts.dpc_adjustment,
        "dpc_adjustment_reason": facts.dpc_adjustment_reason,
    }


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


TYPE_NAMES = {"null": N_("null"), "boolean": N_("un booléen"), "number": N_("un nombre"), "string": N_("une chaîne"),
              "list": N_("une liste"), "object": N_("un objet")}


def validate_facts(doc: Any, lang: str = "en") -> RiskFacts:
    """Check a facts document and return its facts, or raise RiskFactsError listing every problem, its messages
    in ``lang``."""

    def _type_name(value: Any) -> str:
        name = _json_type(value)
        return translate(TYPE_NAMES[name], lang) if name in TYPE_NAMES else name

    def say(message: str, **params: Any) -> str:
        return translate(message, lang, **params)

    if not isinstance(doc, dict):
        raise RiskFactsError([("(document)", say(N_("doit être un objet JSON, pas %(type)s"), type=_type_name(doc)))])
    problems: list[tuple[str, str]] = []

    for key in doc:
        if key not in REQUIRED_FIELDS and key not in OPTIONAL_FIELDS and not str(key).startswith(EXTENSION_PREFIX):
            problems.append((str(key), say(N_("champ inconnu (un champ propre doit commencer par "
                                              "«\u00a0%(prefix)s\u00a0»)"), prefix=EXTENSION_PREFIX)))
    for key in REQUIRED_FIELDS:
        if key not in doc:
            problems.append((key, say(N_("champ obligatoire absent"))))

    def choice(key: str) -> str:
        value = doc.get(key)
        if key not in doc:
            return ""
        if not isinstance(value, str):
            problems.append((key, say(N_("doit être une chaîne, pas %(type)s"), type=_type_name(value))))
        elif value not in CHOICES[key]:
            problems.append((key, say(N_("code inconnu %(code)s (au choix\u00a0: %(codes)s)"), code=repr(value),
                                      codes=', '.join(CHOICES[key]))))
        return value if isinstance(value, str) else ""

    def code_list(key: str) -> tuple[str, ...]:
        value = doc.get(key)
        if key not in doc:
            return ()
        if not isinstance(value, list):
            problems.append((key, say(N_("doit être une liste, pas %(type)s"), type=_type_name(value))))
            return ()
        codes: list[str] = []
        for index, item in enumerate(value):
            if not isinstance(item, str):
                problems.append((f"{key}[{index}]", say(N_("doit être une chaîne, pas %(type)s"),
                                                        type=_type_name(item))))
            elif item not in CHOICES[key]:
                problems.append((f"{key}[{index}]", say(N_("code inconnu %(code)s"), code=repr(item))))
            elif item not in codes:
                codes.append(item)
        return tuple(codes)

    def boolean(key: str) -> bool:
        value = doc.get(key, False)
        if not isinstance(value, bool):
            problems.append((key, say(N_("doit valoir true ou false, pas %(type)s"), type=_type_name(value))))
            return False
        return value

    data_types = code_list("data_types")
    if "data_types" in doc and isinstance(doc["data_types"], list) and not doc["data_types"]:
        problems.append(("data_types", say(N_("doit citer au moins un type de données"))))
    identifiability = choice("identifiability")
    confidentiality = choice("confidentiality")
    integrity = choice("integrity")
    availability = choice("availability")
    people_categories = code_list("people_categories")
    booleans = {key: boolean(key) for key in (*_REQUIRED_BOOLEANS, *_OPTIONAL_BOOLEANS)}

    people_count = doc.get("people_count", 0)
    if isinstance(people_count, bool) or not isinstance(people_count, int):
        problems.append(("people_count", say(N_("doit être un nombre entier, pas %(type)s"),
                                             type=_type_name(people_count))))
        people_count = 0
    elif people_count < 0:
        problems.append(("people_count", say(N_("ne doit pas être négatif"))))

    hours = doc.get("availability_hours")
    if hours is not None:
        if isinstance(hours, bool) or not isinstance(hours, int | float):
            problems.append(("availability_hours", say(N_("doit être un nombre d'heures ou null, pas %(type)s"),
                                                       type=_type_name(hours))))
            hours = None
        elif not math.isfinite(hours) or hours < 0:
            problems.append(("availability_hours", say(N_("doit être un nombre d'heures fini, positif ou nul"))))
            hours = None
        else:
            hours = float(hours)

    adjustment = doc.get("dpc_adjustment", 0)
    if isinstance(adjustment, bool) or not isinstance(adjustment, int) or adjustment not in (-1, 0, 1):
        problems.append(("dpc_adjustment", say(N_("doit valoir -1, 0 ou 1, pas %(value)s"), value=repr(adjustment))))
        adjustment = 0
    reason = doc.get("dpc_adjustment_reason", "")
    if reason is None:
        reason = ""
    if not isinstance(reason, str):
        problems.append(("dpc_adjustment_reason", say(N_("doit être une chaîne, pas %(type)s"),
                                                      type=_type_name(reason))))
        reason = ""
    elif adjustment != 0 and not reason.strip():
        problems.append(("dpc_adjustment_reason", say(N_("obligatoire quand dpc_adjustment n'est pas 0\u00a0: dites "
                                                         "pourquoi, par écrit"))))

    if problems:
        raise RiskFactsError(problems)
    return RiskFacts(
        data_types=data_types, identifiability=identifiability, confidentiality=confidentiality,
        integrity=integrity, availability=availability, availability_hours=hours, people_count=people_count,
        people_categories=people_categories, dpc_adjustment=adjustment, dpc_adjustment_reason=reason.strip(),
        **booleans,
    )
