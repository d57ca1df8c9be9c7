"""Clear and plain language in patient letters (GDPR art. 34(2): the communication "shall describe in clear and plain
language the nature of the personal data breach"; EDPB Guidelines 9/2022 § 99: "clear and plain language", no
technical jargon).

Before a version is approved, its texts are read for what a patient cannot be expected to understand: the jargon of
the CNIL form and of IT security (a list kept here, in French and English, each term with a plainer wording), long
sentences, and advice that is missing or tells the reader nothing to do. These are warnings for the DPO and legal,
never a refusal: the approver decides. Pure Python: no Flask, no SQLAlchemy."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import NamedTuple

from notifier.core.i18n import N_

# A sentence of more than 25 words is hard to read for a large part of the public: plain-language guides commonly
# advise 15 to 25 words. **The threshold is our choice.**
LONG_SENTENCE_WORDS = 25

# Terms a patient is not expected to know, with a plainer wording to use instead. Acronyms are matched in capitals
# only ("SI" is jargon, "si" is not); other terms without case or accents.
JARGON: dict[str, dict[str, str]] = {
    "fr": {
        "compte de service": N_("un accès technique à nos systèmes"),
        "DPI": N_("votre dossier à l'hôpital"),
        "dossier patient informatisé": N_("votre dossier à l'hôpital"),
        "VPN": N_("un accès à distance à nos systèmes"),
        "exfiltration": N_("copie de données par des personnes non autorisées"),
        "exfiltré": N_("copié sans autorisation"),
        "exfiltrées": N_("copiées sans autorisation"),
        "exfiltrés": N_("copiés sans autorisation"),
        "rançongiciel": N_("un logiciel malveillant qui bloque les fichiers"),
        "ransomware": N_("un logiciel malveillant qui bloque les fichiers"),
        "malware": N_("un logiciel malveillant"),
        "phishing": N_("faux messages"),
        "infogérance": N_("notre prestataire informatique"),
        "serveur": N_("ordinateur"),
        "base de données": N_("fichier"),
        "journaux": N_("traces informatiques"),
        "logs": N_("traces informatiques"),
        "SI": N_("nos systèmes informatiques"),
        "système d'information": N_("nos systèmes informatiques"),
        "RSSI": N_("notre responsable de la sécurité informatique"),
        "EDR": N_("un logiciel de surveillance des ordinateurs"),
        "SOC": N_("une équipe de surveillance informatique"),
        "pare-feu": N_("une protection de notre réseau"),
        "chiffrement": N_("protection des données par un code secret"),
        "pseudonymisation": N_("remplacement des noms par des codes"),
        "données à caractère personnel": N_("informations vous concernant"),
        "IPP": N_("votre numéro de patient"),
        "NIR": N_("votre numéro de sécurité sociale"),
        "DPO": N_("délégué à la protection des données"),
        "CERT": N_("le service de l'État qui traite les attaques informatiques"),
        "ANSSI": N_("l'agence de l'État pour la sécurité informatique"),
        "addictologie": N_("soins des addictions"),
        "identifiants": N_("nom d'utilisateur et mot de passe"),
        "authentification": N_("vérification de l'identité"),
    },
    "en": {
        "service account": N_("a technical access to our systems"),
        "EHR": N_("your hospital record"),
        "electronic health record": N_("your hospital record"),
        "VPN": N_("a remote access to our systems"),
        "exfiltration": N_("copying of data by unauthorised people"),
        "exfiltrated": N_("copied without permission"),
        "ransomware": N_("a malicious program that locks files"),
        "malware": N_("a malicious program"),
        "phishing": N_("fake messages"),
        "server": N_("computer"),
        "database": N_("file"),
        "logs": N_("computer records"),
        "CISO": N_("our head of IT security"),
        "EDR": N_("a program that watches our computers"),
        "SOC": N_("an IT monitoring team"),
        "firewall": N_("a protection of our network"),
        "encryption": N_("protection of data by a secret code"),
        "pseudonymisation": N_("replacing names by codes"),
        "personal data": N_("information about you"),
        "DPO": N_("data protection officer"),
        "credentials": N_("user name and password"),
        "authentication": N_("checking who you are"),
    },
}

# Advice tells the reader what to do: at least one of these verbs or phrases (imperative or "you can / should").
ADVICE_ACTIONS = {
    "fr": ("méfiez", "vérifiez", "surveillez", "changez", "modifiez", "appelez", "contactez", "signalez", "ne ",
           "raccrochez", "conservez", "prévenez", "pouvez", "devez", "nous vous conseillons", "n'hésitez"),
    "en": ("be wary", "beware", "check", "watch", "change", "call", "contact", "report", "do not", "don't", "never",
           "keep", "you can", "you should", "we advise", "hang up"),
}

WARNINGS: dict[str, str] = {
    "jargon": N_("Bloc «\u00a0%(block)s\u00a0»\u00a0: «\u00a0%(term)s\u00a0» est un terme technique\u00a0; "
                 "préférez par exemple «\u00a0%(plain)s\u00a0» (RGPD art. 34(2), termes clairs et simples)."),
    "long_sentence": N_("Bloc «\u00a0%(block)s\u00a0»\u00a0: une phrase de %(words)s mots (plus de %(limit)s), "
                        "qui commence par «\u00a0%(start)s\u00a0»\u00a0: coupez-la."),
    "advice_missing": N_("Aucun conseil aux patients\u00a0: dites-leur ce qu'ils peuvent faire pour se protéger "
                         "(CNIL, décision Free Mobile, janvier 2026)."),
    "advice_not_concrete": N_("Les conseils ne disent pas au patient quoi faire\u00a0: donnez des gestes concrets "
                              "(se méfier des messages, vérifier ses relevés, appeler tel numéro)."),
}


class TextWarning(NamedTuple):
    code: str
    """A key of WARNINGS."""
    block: str
    """The text block it is about (a key of the letter's texts), "" for the whole letter."""
    params: dict[str, str | int]


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.lower().replace("’", "'"))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _term_pattern(term: str) -> re.Pattern:
    if term.isupper():
        return re.compile(rf"(?<![\w-]){re.escape(term)}(?![\w-])")
    return re.compile(rf"(?<![\w-]){re.escape(_fold(term))}(?![\w-])")


_PATTERNS = {lang: [(term, plain, _term_pattern(term)) for term, plain in terms.items()]
             for lang, terms in JARGON.items()}
# A sentence ends at a full stop, an exclamation or question mark, an ellipsis, or a line break (list, paragraph).
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\s*\n\s*")
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*|\d+(?:[.,\s]\d+)*", re.UNICODE)


def jargon(text: str, lang: str = "fr") -> list[tuple[str, str]]:
    """The jargon terms found in `text` (term, plainer wording msgid), in list order, each once."""
    folded = _fold(text)
    found = []
    for term, plain, pattern in _PATTERNS.get(lang, _PATTERNS["fr"]):
        if pattern.search(text if term.isupper() else folded):
            found.append((term, plain))
    return found


def long_sentences(text: str, limit: int = LONG_SENTENCE_WORDS) -> list[tuple[int, str]]:
    """(word count, first words) of each sentence longer than `limit` words."""
    found = []
    for sentence in _SENTENCE_END.split(text):
        words = _WORD.findall(sentence)
        if len(words) > limit:
            found.append((len(words), " ".join(sentence.split()[:6]) + "…"))
    return found


def check_texts(texts: Mapping[str, str | None], lang: str = "fr", blocks: tuple[str, ...] = ()) -> list[TextWarning]:
    """The plain-language warnings of a letter's texts, block by block in `blocks` order (all blocks by default)."""
    warnings: list[TextWarning] = []
    for block in blocks or tuple(texts):
        text = texts.get(block) or ""
        if not text.strip():
            continue
        for term, plain in jargon(text, lang):
            warnings.append(TextWarning("jargon", block, {"term": term, "plain": plain}))
        for words, start in long_sentences(text):
            warnings.append(TextWarning("long_sentence", block, {"words": words, "limit": LONG_SENTENCE_WORDS,
                                                             "start": start}))
    advice = (texts.get("advice") or "").strip()
    if not advice:
        warnings.append(TextWarning("advice_missing", "advice", {}))
    elif not any(action in _fold(advice) for action in map(_fold, ADVICE_ACTIONS.get(lang, ADVICE_ACTIONS["fr"]))):
        warnings.append(TextWarning("advice_not_concrete", "advice", {}))
    return warnings
