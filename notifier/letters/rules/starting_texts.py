"""The starting texts of a new letter variant, written for patients (GDPR art. 34(2): "clear and plain language").

The wizard's answers are written for the CNIL ("exfiltration depuis un compte de service compromis", "DPI", "VPN");
copying them into 758,912 letters speaks the regulator's language to patients. The starting texts are instead built
from the record's facts (what was found when, what happened, which kinds of information, the likely consequences),
each in short sentences and everyday words. The DPO adapts them; the plain-language check (plain_language.py) still
reads whatever is finally written. Pure Python: French msgids, translated into the letter's language."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from notifier.core.i18n import N_

# What each CNIL data category means for the patient, in everyday words.
DATA_WORDS = {
    "civil_status": N_("votre nom, votre prénom et votre date de naissance"),
    "nir": N_("votre numéro de sécurité sociale"),
    "contact": N_("votre adresse, votre numéro de téléphone ou votre adresse électronique"),
    "identification": N_("vos identifiants de connexion"),
    "financial": N_("des informations bancaires ou de paiement"),
    "official_documents": N_("la copie d'une pièce d'identité"),
    "location": N_("des informations sur vos déplacements"),
    "health": N_("des informations sur votre santé ou vos soins, par exemple le service où vous avez été soigné"),
    "genetic": N_("des informations génétiques"),
    "biometric": N_("des informations biométriques, comme une photo ou une empreinte"),
    "offences": N_("des informations judiciaires"),
    "racial_ethnic": N_("des informations sur vos origines"),
    "political": N_("des informations sur vos opinions"),
    "religious": N_("des informations sur vos convictions"),
    "trade_union": N_("des informations sur votre appartenance syndicale"),
    "sex_life": N_("des informations sur votre vie privée"),
}

# What happened, from the most to the least serious (the first that the record states is said).
WHAT_HAPPENED = (
    ("exfiltration", N_("des personnes non autorisées ont copié une partie de nos fichiers")),
    ("publication", N_("une partie de nos fichiers a été rendue publique sans autorisation")),
    ("unauthorised_access", N_("des personnes non autorisées ont pu consulter une partie de nos fichiers")),
    ("disclosure", N_("des informations ont été envoyées par erreur à des personnes qui n'auraient pas dû les "
                      "recevoir")),
    ("encryption", N_("un logiciel malveillant a bloqué une partie de nos fichiers")),
    ("destruction", N_("une partie de nos fichiers a été détruite")),
    ("loss", N_("une partie de nos fichiers a été perdue")),
    ("modification", N_("une partie de nos fichiers a été modifiée sans autorisation")),
)
SOMETHING_HAPPENED = N_("un incident a touché une partie de nos fichiers")

CAUSE_WORDS = {
    "hacking_malware_phishing": N_("à la suite d'une attaque informatique"),
    "equipment_lost_stolen": N_("à la suite de la perte ou du vol d'un équipement"),
    "paper_lost_stolen": N_("à la suite de la perte ou du vol de documents papier"),
    "mail_lost_opened": N_("à la suite de la perte d'un courrier"),
}
ACCIDENT = N_("à la suite d'une erreur")

CONSEQUENCE_WORDS = (
    (("identity_theft", "fraud", "financial_loss"),
     N_("Ces informations pourraient être utilisées pour vous envoyer de faux messages (courriels, SMS, appels) qui "
        "se font passer pour l'hôpital, votre banque ou l'Assurance maladie. Le but serait de vous soutirer de "
        "l'argent ou d'autres informations.")),
    (("loss_of_professional_secrecy", "discrimination", "reputation_damage"),
     N_("Des informations sur votre santé, protégées par le secret médical, pourraient être connues de personnes "
        "qui n'ont pas à les connaître.")),
    (("loss_of_control", "limitation_of_rights", "pseudonymisation_reversal"),
     N_("Vous ne pouvez plus savoir avec certitude qui détient ces informations.")),
)

ADVICE_WORDS = (
    (None, N_("Méfiez-vous de tout message qui parle de vos soins et vous demande de cliquer sur un lien, de rappeler "
              "un numéro ou de payer. Nous ne vous demanderons jamais vos coordonnées bancaires ni vos mots de "
              "passe.")),
    ("nir", N_("Vérifiez vos remboursements sur ameli.fr. Signalez à votre caisse d'assurance maladie tout "
               "remboursement que vous ne reconnaissez pas.")),
    ("financial", N_("Surveillez vos relevés bancaires. Si vous voyez une opération inconnue, appelez votre "
                     "banque.")),
    ("identification", N_("Changez votre mot de passe, et partout où vous utilisez le même.")),
    (None, N_("En cas de doute, raccrochez et appelez le standard de l'hôpital au numéro affiché sur notre site.")),
)

MEASURES = N_("Dès que nous l'avons appris, nous avons fait cesser l'incident et renforcé la protection de nos "
              "fichiers.")
CNIL_INFORMED = N_("Nous avons informé la Commission nationale de l'informatique et des libertés (CNIL).")
DISCOVERED = N_("Le %(date)s, nous avons découvert que %(what)s, %(cause)s.")
DISCOVERED_UNDATED = N_("Nous avons découvert que %(what)s, %(cause)s.")
DATA = N_("Ces fichiers contenaient des informations vous concernant\u00a0:")


def starting_texts(sections: Mapping[str, Any], tr: Callable[..., str], discovered_on: str | None,
                   examples: Mapping[str, str], *, cnil_informed: bool = False) -> dict[str, str]:
    """nature, consequences, measures and advice for patients, from the record's sections. `tr(msgid, **params)`
    translates into the letter's language; `discovered_on` is the discovery date as the letter writes it; what the
    record does not say comes from `examples`."""
    nature = sections.get("nature") or {}
    stated = set(nature.get("confidentiality_subtypes") or []) | set(nature.get("availability_subtypes") or []) \
        | set(nature.get("integrity_subtypes") or [])
    what = next((text for code, text in WHAT_HAPPENED if code in stated), SOMETHING_HAPPENED)
    origin = sections.get("origin") or {}
    cause_code = next((code for code in origin.get("origins") or [] if code in CAUSE_WORDS), None)
    cause = CAUSE_WORDS[cause_code] if cause_code else (
        ACCIDENT if origin.get("cause") in ("internal_accidental", "external_accidental") else None)
    data_codes = [code for code in (sections.get("data") or {}).get("data_categories") or [] if code in DATA_WORDS]
    if stated or data_codes:
        cause_text = tr(cause) if cause else ""
        first = (tr(DISCOVERED, date=discovered_on, what=tr(what), cause=cause_text) if discovered_on
                 else tr(DISCOVERED_UNDATED, what=tr(what), cause=cause_text))
        if not cause:
            first = first.replace(", .", ".")
        # French elision: "que un incident" is written "qu'un incident".
        first = re.sub(r"\bque ([aeiouhéè])", r"qu'\1", first)
        first = first[:1].upper() + first[1:]
        text = first
        if data_codes:
            # One line per kind of information: a list reads more easily than one long sentence.
            text += "\n\n" + tr(DATA) + "".join(f"\n- {tr(DATA_WORDS[code])}" for code in data_codes)
    else:
        text = examples["nature"]
    consequences_codes = set((sections.get("consequences") or {}).get("consequences") or [])
    consequences = [tr(words) for codes, words in CONSEQUENCE_WORDS if consequences_codes & set(codes)]
    advice = [tr(words) for code, words in ADVICE_WORDS if code is None or code in data_codes]
    return {
        "nature": text,
        "consequences": "\n\n".join(consequences) or examples["consequences"],
        "measures": tr(MEASURES) + (" " + tr(CNIL_INFORMED) if cnil_informed else ""),
        "advice": "\n\n".join(advice),
    }
