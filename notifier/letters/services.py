"""Patient letters (GDPR art. 34): template versions and their approval, references, previews and reprints, tracking
each letter's fate, held patients, and the public notice of art. 34(3)(c).

The generation job (chunks, lots, manifest) is in services/letter_jobs.py; the rendering engine in documents/.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import math
import os
import re
import string
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Any

from sqlalchemy import and_, case, exists, false, func, not_, or_, select, true, update
from sqlalchemy.orm import aliased

from notifier.accounts.models import User
from notifier.audit import services as audit
from notifier.breaches.closing import ensure_open
from notifier.breaches.models import Breach
from notifier.core import identifiers
from notifier.core.errors import Refusal
from notifier.core.formatting import format_date
from notifier.core.i18n import N_, translate
from notifier.core.types import utcnow
from notifier.documents.letter import (
    EXAMPLE_TEXTS,
    LETTER_ORDER,
    OPTIONAL_TEXT_KEYS,
    REQUIRED_TEXT_KEYS,
    Box,
    Establishment,
    LetterBoxes,
    LetterContent,
    LetterFields,
    missing_required_texts,
    render_letter_naive,
)
from notifier.documents.render import render_pdf, render_template
from notifier.documents.stamping import (
    MAX_ADDRESS_LINES,
    PreparedVariant,
    UnstampableLetter,
    letter_digest,
    letter_unstampable_characters,
    prepare_variant,
    render_single_letter,
)
from notifier.extensions import db
from notifier.letters.models import (
    Letter,
    LetterEmail,
    LetterEvent,
    LetterJob,
    LetterOutput,
    LetterReview,
    LetterTemplate,
    lot_file_name,
)
from notifier.letters.rules import plain_language, starting_texts
from notifier.letters.states import Audience, Channel, EmailStatus, LetterStatus, ReviewKind
from notifier.patients.models import Patient
from notifier.patients.rules import addresses
from notifier.patients.states import Addressee, PatientStatus

LANGUAGES = ("fr", "en")
TEXT_KEYS = (*REQUIRED_TEXT_KEYS, *OPTIONAL_TEXT_KEYS)
TEXT_LIMIT = 5000  # characters per block: a letter is read on paper, two pages at most
VARIANT_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
# La Poste window envelopes (docs/domain.md, "Window envelopes"): about 110 mm from the left and 55 mm from the top.
DEFAULT_WINDOW = {"left": 110.0, "top": 55.0}

TEXT_LABELS: dict[str, str] = {
    "nature": N_("Nature de la violation (ce qui s'est passé)"),
    "consequences": N_("Conséquences probables pour la personne"),
    "measures": N_("Mesures prises ou envisagées"),
    "advice": N_("Conseils concrets pour se protéger"),
    "dpo_contact": N_("Coordonnées du délégué à la protection des données"),
    "introduction": N_("Introduction (facultative)"),
    "closing": N_("Formule de politesse (facultative)"),
    "signatory": N_("Signataire (facultatif)"),
}
# The source of each required block: GDPR art. 34(2) refers to art. 33(3)(b), (c), (d).
TEXT_SOURCES = {
    "nature": "RGPD art. 34(2)", "dpo_contact": "RGPD art. 34(2) et 33(3)(b)",
    "consequences": "RGPD art. 34(2) et 33(3)(c)", "measures": "RGPD art. 34(2) et 33(3)(d)",
    "advice": "CNIL, décision Free Mobile (janvier 2026)",
}
CHANNEL_LABELS: dict[str, str] = {
    "paper": N_("Courrier papier pour tous"),
    "email_else_paper": N_("Courriel si une adresse est connue, courrier sinon"),
    "both": N_("Courrier et courriel"),
}
AUDIENCE_LABELS: dict[str, str] = {
    "any": N_("Tous les destinataires"),
    "patients": N_("Les patients eux-mêmes"),
    "representatives": N_("Représentants légaux (mineurs, majeurs protégés)"),
    "heirs": N_("Ayants droit de patients décédés"),
}
STATUS_LABELS: dict[str, str] = {
    "generated": N_("Généré"),
    "printed": N_("Imprimé"),
    "posted": N_("Posté"),
    "returned": N_("Revenu (NPAI)"),
    "resent": N_("Renvoyé"),
    "public_notice": N_("Remplacé par l'avis public"),
    "emailed": N_("Remplacé par un courriel"),
}
# What the print shop or La Poste may write in a `status` column, compared without case, accents or punctuation.
STATUS_ALIASES: dict[str, str] = {
    # "emailed" is the returned-mail page's outcome (returns.email_returned), never a print shop's or La Poste's.
    **{status.value: status.value for status in LetterStatus if status != LetterStatus.EMAILED},
    **dict.fromkeys(("genere",), LetterStatus.GENERATED),
    **dict.fromkeys(("imprime", "print"), LetterStatus.PRINTED),
    **dict.fromkeys(("poste", "envoye", "depose", "sent", "mailed"), LetterStatus.POSTED),
    **dict.fromkeys(("npai", "retour", "retourne", "revenu", "return"), LetterStatus.RETURNED),
    **dict.fromkeys(("renvoye", "reexpedie", "resend", "reenvoye"), LetterStatus.RESENT),
    **dict.fromkeys(("avispublic", "publicnotice", "communicationpublique"), LetterStatus.PUBLIC_NOTICE),
}


class LetterError(Refusal):
    """A request that cannot be met; ``message(lang)`` is one line in that language."""


# --- references ---------------------------------------------------------------------------------------------------

# A letter's number is its serial (1, 2, 3... in postcode order when first drawn) through an affine permutation of
# 0..9,999,999: unique and stable, but consecutive letters do not carry consecutive numbers.
NUMBER_MODULUS = 10_000_000
NUMBER_FACTOR = 3_861_169  # coprime with 10^7, so the permutation is a bijection
NUMBER_OFFSET = 2_718_281
MAX_LETTERS_PER_BREACH = NUMBER_MODULUS - 1
_ALPHANUMERIC = string.digits + string.ascii_uppercase


def letter_number(serial):
    """The number of the letter of this serial: an int, or a SQL expression when `serial` is one (jobs.assign_numbers
    numbers a whole breach in one statement with this same formula)."""
    return (serial * NUMBER_FACTOR + NUMBER_OFFSET) % NUMBER_MODULUS


def check_character(text: str) -> str:
    """ISO/IEC 7064 MOD 37,36 check character over the letters and digits of `text`: catches any single wrong
    character and any swap of two adjacent ones when a reference is typed from a returned envelope."""
    product = 36
    for char in text.upper():
        if char not in _ALPHANUMERIC:
            continue
        total = (product + _ALPHANUMERIC.index(char)) % 36 or 36
        product = (total * 2) % 37
    return _ALPHANUMERIC[(37 - product) % 36]


def letter_reference(breach_reference: str, number: int) -> str:
    """`{breach.reference}-{number:07d}-{check}`, e.g. VIO-2026-0001-6579450-K."""
    body = f"{breach_reference}-{number:07d}"
    return f"{body}-{check_character(body)}"


def parse_reference(breach_reference: str, text: str) -> int | None:
    """The letter number of a reference of this breach, or None (another breach, malformed, wrong check)."""
    text = "".join(text.split()).upper()
    prefix = breach_reference.upper() + "-"
    if not text.startswith(prefix):
        return None
    rest = text[len(prefix):]
    match = re.fullmatch(r"(\d{7})-([0-9A-Z])", rest)
    if not match:
        return None
    number = int(match.group(1))
    return number if letter_reference(breach_reference, number).upper() == text else None


# --- templates ----------------------------------------------------------------------------------------------------


def versions(breach_id: int, variant: str | None = None) -> list[LetterTemplate]:
    query = select(LetterTemplate).where(LetterTemplate.breach_id == breach_id)
    if variant is not None:
        query = query.where(LetterTemplate.variant == variant)
    return list(db.session.scalars(query.order_by(LetterTemplate.variant, LetterTemplate.version.desc())))


def current_templates(breach_id: int, *, include_retired: bool = False) -> list[LetterTemplate]:
    """The latest version of each variant, in priority order (see `priority`)."""
    latest: dict[str, LetterTemplate] = {}
    for template in versions(breach_id):
        latest.setdefault(template.variant, template)
    found = [t for t in latest.values() if include_retired or not t.retired]
    return sorted(found, key=priority)


def current_template(breach_id: int, variant: str) -> LetterTemplate | None:
    return db.session.scalar(select(LetterTemplate).where(
        LetterTemplate.breach_id == breach_id, LetterTemplate.variant == variant)
        .order_by(LetterTemplate.version.desc()).limit(1))


def priority(template: LetterTemplate) -> tuple:
    """Which variant a patient gets when several match: the most specific one. An addressee rule (representatives,
    heirs) weighs more than a segment list; a variant with neither is the default for everyone else. Overlaps of
    equal specificity are refused when a version is saved (`_conflicts`)."""
    specificity = (2 if template.audience != Audience.ANY else 0) + (1 if template.segments else 0)
    return (-specificity, template.variant)


def is_current(template: LetterTemplate) -> bool:
    latest = current_template(template.breach_id, template.variant)
    return latest is not None and latest.id == template.id


def default_texts(breach: Breach, lang: str = "fr") -> dict[str, str]:
    """Starting texts for a new variant, written for patients from the record's facts (letters.rules.starting_texts:
    GDPR art. 34(2), clear and plain language), not the answers written for the CNIL; the contact block from the
    breach's "Contact" step (art. 33(3)(b)); the examples where the record says nothing."""
    examples = EXAMPLE_TEXTS.get(lang, EXAMPLE_TEXTS["fr"])
    sections = breach.sections or {}
    discovered = (sections.get("dates") or {}).get("discovered_at")
    try:
        discovered_on = format_date(datetime.fromisoformat(discovered), lang) if discovered else None
    except (TypeError, ValueError):
        discovered_on = None
    texts = starting_texts.starting_texts(sections, lambda text, **params: translate(text, lang, **params),
                                          discovered_on, examples, cnil_informed=breach.cnil_sent_at is not None)
    contacts = sections.get("contacts") or {}
    contact_parts = [str(contacts.get(key) or "").strip() for key in ("contact_name", "contact_role")]
    establishment = breach.establishment
    contact_parts.append(establishment.address if establishment else "")
    contact_parts += [str(contacts.get(key) or "").strip() for key in ("contact_email", "contact_phone")]
    contact = ", ".join(part for part in contact_parts if part)
    return {
        **texts,
        "dpo_contact": f"{contact}." if contact and not contact.endswith(".") else contact or examples["dpo_contact"],
        "introduction": "", "closing": "", "signatory": "",
    }


DPO_GENDERS = ("f", "m")
_FEMININE_TITLE = re.compile(r"\b(d[ée]l[ée]gu[ée]e|directrice)\b", re.IGNORECASE)
_MASCULINE_TITLE = re.compile(r"\b(d[ée]l[ée]gu[ée]|directeur)\b", re.IGNORECASE)
_CITY_OF_LINE = re.compile(r"^\s*(?:\d{5}|\d{2}\s\d{3})\s+(?P<city>.+?)(?:\s+cedex(?:\s+\d+)?)?\s*$", re.IGNORECASE)


def gender_of_title(role: str | None) -> str:
    """"f", "m" or "" from the contact's title as typed in the breach ("Déléguée à la protection des données" is
    "f"): the letter's DPO heading agrees with it."""
    text = role or ""
    if _FEMININE_TITLE.search(text):
        return "f"
    if _MASCULINE_TITLE.search(text):
        return "m"
    return ""


def city_of_address(address: str | None) -> str:
    """The city of a one-line address ("12 avenue Rockefeller, 69008 Lyon Cedex 08" -> "Lyon"): the part after the
    postcode, CEDEX left out; "" when no part has a French postcode."""
    for part in reversed([part.strip() for part in (address or "").split(",")]):
        match = _CITY_OF_LINE.match(part)
        if match:
            return match.group("city").strip()
    return ""


def default_sender(breach: Breach) -> dict[str, Any]:
    """The sender block of a new variant: the establishment's name and address, and the contact the breach names
    (its "Contact" step: GDPR art. 33(3)(b)), the establishment's DPO only where the breach says nothing."""
    establishment = breach.establishment
    lines = [part.strip() for part in (establishment.address or "").split(",") if part.strip()]
    contacts = (breach.sections or {}).get("contacts") or {}

    def contact(key: str) -> str:
        value = contacts.get(key)
        return value.strip() if isinstance(value, str) else ""

    name, role = contact("contact_name") or establishment.dpo_name or "", contact("contact_role")
    # The DPO heading agrees with the person: the establishment's DPO civility when the breach's contact is that
    # DPO (the title prefilled on older breaches is the masculine one), else the contact's title as typed.
    is_the_dpo = not contact("contact_name") or contact("contact_name") == (establishment.dpo_name or "").strip()
    gender = (establishment.dpo_gender if is_the_dpo and establishment.dpo_gender in DPO_GENDERS else "") \
        or gender_of_title(role)
    return {"name": establishment.name, "address_lines": lines[:4],
            "phone": contact("contact_phone") or establishment.dpo_phone or "",
            "email": contact("contact_email") or establishment.dpo_email or "",
            "contact": ", ".join(part for part in (name, role[:1].lower() + role[1:] if role else "") if part),
            "city": city_of_address(establishment.address), "dpo_gender": gender}


def default_layout(config: dict | None = None) -> dict[str, float]:
    config = config or {}
    return {"left": float(config.get("LETTER_WINDOW_LEFT_MM", DEFAULT_WINDOW["left"])),
            "top": float(config.get("LETTER_WINDOW_TOP_MM", DEFAULT_WINDOW["top"]))}


def boxes_for(layout: dict[str, Any] | None) -> LetterBoxes:
    layout = layout or {}
    default = LetterBoxes()
    left = float(layout.get("left", default.address.left))
    top = float(layout.get("top", default.address.top))
    if (left, top) == (default.address.left, default.address.top):
        return default
    return LetterBoxes(address=Box(left=left, top=top, width=default.address.width, height=default.address.height))


def letter_content(template: LetterTemplate) -> LetterContent:
    sender = template.sender or {}
    return LetterContent(
        establishment=Establishment(sender.get("name", ""), tuple(sender.get("address_lines") or ()),
                                    phone=sender.get("phone", ""), email=sender.get("email", ""),
                                    contact=sender.get("contact", ""), city=sender.get("city", "")),
        dpo_gender=sender.get("dpo_gender", ""),
        letter_date=template.letter_date, texts=dict(template.texts), lang=template.lang,
        boxes=boxes_for(template.layout))


def plain_language_warnings(texts: dict[str, str], lang: str, shown_in: str) -> list[str]:
    """The plain-language warnings of a letter's texts (letters.rules.plain_language), as sentences in `shown_in`,
    block by block in the letter's order: shown to the DPO while writing and to legal before approving."""
    found = plain_language.check_texts(texts, lang, LETTER_ORDER)
    return [translate(plain_language.WARNINGS[w.code], shown_in,
                      **{**w.params, "plain": translate(str(w.params.get("plain", "")), lang),
                         "block": translate(TEXT_LABELS[w.block], shown_in) if w.block else ""})
            for w in found]


def template_problems(template: LetterTemplate) -> list[str]:
    """The art. 34(2) blocks still blank (codes of REQUIRED_TEXT_KEYS)."""
    return missing_required_texts(template.texts)


@dataclass
class TemplateDraft:
    """What the DPO submits for a variant; `save_template` turns it into the next version."""

    lang: str = "fr"
    audience: str = Audience.ANY
    segments: list[str] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)
    sender: dict[str, Any] = field(default_factory=dict)
    layout: dict[str, Any] = field(default_factory=dict)
    letter_date: date | None = None
    retired: bool = False
    channel: str = Channel.PAPER


def _clean_text(value: Any) -> str:
    text = str(value or "").replace("\r\n", "\n").replace("\r", "\n")
    return "".join(char for char in text if char in "\n\t" or unicodedata.category(char) != "Cc").strip()


def parse_segments(text: str | Iterable[str]) -> list[str]:
    items = text.split(",") if isinstance(text, str) else list(text)
    found: list[str] = []
    for item in items:
        item = " ".join(str(item).split())
        if item and item not in found:
            found.append(item[:60])
    return found


def save_template(breach: Breach, user: User | None, variant: str, draft: TemplateDraft,
                  *, config: dict | None = None) -> LetterTemplate:
    """Record the next version of a variant (versions are immutable: an edit never touches an approved row).
    Returns the current version unchanged when nothing differs from it, so a no-op save keeps its approval."""
    ensure_open(breach)
    variant = (variant or "").strip().lower()
    if not VARIANT_NAME.fullmatch(variant):
        raise LetterError(N_("Nom de variante invalide\u00a0: lettres minuscules, chiffres et tirets (40 au plus)."))
    if draft.lang not in LANGUAGES:
        raise LetterError(N_("Langue inconnue\u00a0: fr ou en."))
    if draft.audience not in list(Audience):
        raise LetterError(N_("Destinataires inconnus."))
    if draft.channel not in list(Channel):
        raise LetterError(N_("Canal d'envoi inconnu."))
    texts = {key: _clean_text(draft.texts.get(key)) for key in TEXT_KEYS}
    too_long = [key for key, value in texts.items() if len(value) > TEXT_LIMIT]
    if too_long:
        raise LetterError(N_("Texte trop long (%(limit)s caractères au plus)\u00a0: %(keys)s."), limit=TEXT_LIMIT,
                          keys=", ".join(too_long))
    sender_source = draft.sender or default_sender(breach)
    sender = {
        "name": _clean_text(sender_source.get("name"))[:200],
        "address_lines": [line for line in (_clean_text(x)[:80] for x in sender_source.get("address_lines") or [])
                          if line][:5],
        "phone": _clean_text(sender_source.get("phone"))[:50],
        "email": _clean_text(sender_source.get("email"))[:200],
        "contact": _clean_text(sender_source.get("contact"))[:200],
        "city": _clean_text(sender_source.get("city"))[:80],
        "dpo_gender": sender_source.get("dpo_gender") if sender_source.get("dpo_gender") in DPO_GENDERS else "",
    }
    if not sender["name"]:
        raise LetterError(N_("L'expéditeur (nom de l'établissement) est obligatoire."))
    # The sender block is the contact point every patient reads (GDPR art. 34(2), 33(3)(b)): an address and a number
    # that work, checked as in the wizard's contact step (core/identifiers.py).
    for key, check, message in (
            ("email", identifiers.check_email,
             N_("Courriel de l'expéditeur invalide (par exemple claire.martin@clinique.fr).")),
            ("phone", identifiers.check_phone_fr,
             N_("Téléphone de l'expéditeur invalide\u00a0: 10 chiffres (04 72 10 20 30) ou +33 suivi de 9 chiffres."))):
        if sender[key]:
            try:
                sender[key] = check(sender[key])
            except identifiers.IdentifierError:
                raise LetterError(message) from None
    layout = {**default_layout(config), **{k: float(v) for k, v in (draft.layout or {}).items()
                                          if k in ("left", "top") and v not in (None, "")}}
    if not all(math.isfinite(value) for value in layout.values()):  # NaN passes every comparison below
        raise LetterError(N_("Position de la fenêtre\u00a0: des nombres en millimètres."))
    problems = boxes_for(layout).problems()
    if problems:
        raise LetterError(N_("Position de la fenêtre impossible\u00a0: %(problems)s."), problems="; ".join(problems))
    segments = parse_segments(draft.segments)
    letter_date = draft.letter_date or date.today()
    current = current_template(breach.id, variant)
    values = {"lang": draft.lang, "audience": draft.audience, "segments": segments, "texts": texts, "sender": sender,
              "layout": layout, "letter_date": letter_date, "retired": bool(draft.retired), "channel": draft.channel}
    if current is not None and all(getattr(current, key) == value for key, value in values.items()):
        return current
    if not draft.retired:
        conflict = _conflicts(breach.id, variant, draft.audience, segments)
        if conflict:
            raise LetterError(N_(
                "Cette variante couvrirait les mêmes patients que la variante «\u00a0%(conflict)s\u00a0» (mêmes "
                "destinataires et segments communs, ou deux variantes par défaut)\u00a0: un patient ne reçoit qu'une "
                "lettre."), conflict=conflict)
    template = LetterTemplate(
        organisation_id=breach.organisation_id, breach_id=breach.id, variant=variant,
        version=(current.version + 1) if current else 1, created_by_id=user.id if user else None, **values)
    db.session.add(template)
    db.session.flush()
    if not template.retired and not template_problems(template):
        # A complete version is submitted for approval: it is what legal sees waiting on its dashboard.
        _review(template, ReviewKind.SUBMITTED, user)
    audit.record("letters.template_save", user=user, obj=template, breach_id=breach.id,
                 organisation_id=breach.organisation_id,
                 details={"variant": variant, "version": template.version, "lang": template.lang,
                          "audience": template.audience, "segments": segments, "retired": template.retired,
                          "channel": template.channel,
                          "missing": template_problems(template),
                          "voided_approval_of": current.version if current and current.approved else None})
    return template


def _conflicts(breach_id: int, variant: str, audience: str, segments: list[str]) -> str | None:
    for other in current_templates(breach_id):
        if other.variant == variant or other.audience != audience:
            continue
        if (not other.segments and not segments) or set(other.segments) & set(segments):
            return other.variant
    return None


REVIEW_COMMENT_LIMIT = 5000
CHANGES_COMMENT_MIN = 10
REVIEW_LABELS: dict[str, str] = {
    "submitted": N_("Soumise à l'approbation"),
    "changes_requested": N_("Modifications demandées"),
    "approved": N_("Approuvée"),
}


def _review(template: LetterTemplate, kind: str, user: User | None, comment: str = "") -> LetterReview:
    row = LetterReview(organisation_id=template.organisation_id, breach_id=template.breach_id,
                       template_id=template.id, kind=kind, comment=comment, user_id=user.id if user else None,
                       user_email=user.email if user else "", created_at=utcnow())
    db.session.add(row)
    return row


def _review_comment(comment: str | None) -> str:
    text = _clean_text(comment)
    if len(text) > REVIEW_COMMENT_LIMIT:
        raise LetterError(N_("Commentaire trop long (%(limit)s caractères au plus)."), limit=REVIEW_COMMENT_LIMIT)
    return text


def latest_review(template: LetterTemplate) -> LetterReview | None:
    return db.session.scalar(select(LetterReview).where(LetterReview.template_id == template.id)
                             .order_by(LetterReview.id.desc()).limit(1))


def changes_requested(template: LetterTemplate) -> LetterReview | None:
    """The request for changes this version is waiting on, if legal sent it back."""
    review = latest_review(template)
    return review if review is not None and review.kind == ReviewKind.CHANGES_REQUESTED else None


def review_history(breach_id: int, variant: str) -> list[LetterReview]:
    """Every submission, request for changes and approval of a variant, newest first."""
    return list(db.session.scalars(
        select(LetterReview).join(LetterTemplate, LetterReview.template_id == LetterTemplate.id)
        .where(LetterTemplate.breach_id == breach_id, LetterTemplate.variant == variant)
        .order_by(LetterReview.id.desc())))


def _check_reviewer(template: LetterTemplate, user: User) -> None:
    """Four eyes: legal reviews the current, complete version of an open breach, never one it wrote."""
    if not user.can("letters.approve"):
        raise LetterError(N_("Seul un juriste peut approuver un modèle de courrier."))
    if user.organisation_id != template.organisation_id:
        raise LetterError(N_("Modèle d'une autre organisation."))
    ensure_open(db.session.get(Breach, template.breach_id))
    if template.created_by_id is not None and template.created_by_id == user.id:
        raise LetterError(N_("L'approbateur doit être une autre personne que l'auteur de cette version."))
    if template.approved:
        raise LetterError(N_("Cette version est déjà approuvée."))
    if not is_current(template):
        raise LetterError(N_("Une version plus récente existe\u00a0: c'est elle qu'il faut approuver."))
    if template.retired:
        raise LetterError(N_("Cette variante est retirée."))
    missing = template_problems(template)
    if missing:
        raise LetterError(N_("Éléments de l'article 34(2) manquants\u00a0: %(missing)s."), missing=", ".join(missing))


def approve_template(template: LetterTemplate, user: User, comment: str | None = "") -> LetterTemplate:
    """Four eyes: a legal user approves one version, with an optional comment; never its own author; only the
    current, complete version, and not one it sent back for changes (the DPO answers with a new version)."""
    _check_reviewer(template, user)
    if changes_requested(template):
        raise LetterError(N_("Des modifications ont été demandées sur cette version\u00a0: c'est la version qui les "
                             "apporte qu'il faut approuver."))
    text = _review_comment(comment)
    template.approved_by_id = user.id
    template.approved_at = utcnow()
    _review(template, ReviewKind.APPROVED, user, text)
    audit.record("letters.template_approve", user=user, obj=template, breach_id=template.breach_id,
                 details={"variant": template.variant, "version": template.version, "comment_length": len(text)})
    return template


def request_changes(template: LetterTemplate, user: User, comment: str | None) -> LetterReview:
    """Legal sends the version back to the DPO with a written comment, shown on the template until a new version
    answers it. Refused without a comment: the DPO must know what to change."""
    _check_reviewer(template, user)
    if changes_requested(template):
        raise LetterError(N_("Des modifications sont déjà demandées sur cette version."))
    text = _review_comment(comment)
    if len(text) < CHANGES_COMMENT_MIN:
        raise LetterError(N_("Dites ce qu'il faut modifier (%(min)s caractères au moins)\u00a0: rien n'a été "
                             "enregistré."), min=CHANGES_COMMENT_MIN)
    review = _review(template, ReviewKind.CHANGES_REQUESTED, user, text)
    db.session.flush()
    audit.record("letters.template_changes_requested", user=user, obj=template, breach_id=template.breach_id,
                 details={"variant": template.variant, "version": template.version, "comment_length": len(text)})
    return review


def awaiting_approval(user: User) -> list[LetterTemplate]:
    """The versions waiting for this legal user's approval: the current version of each variant of the
    organisation's breaches not closed, complete, not retired, not approved, not sent back for changes, and not
    written by this user (who may not approve it)."""
    if not user.can("letters.approve"):
        return []
    candidates = db.session.scalars(
        select(LetterTemplate).join(Breach, LetterTemplate.breach_id == Breach.id)
        .where(LetterTemplate.organisation_id == user.organisation_id, Breach.organisation_id == user.organisation_id,
               Breach.status != "closed", LetterTemplate.approved_at.is_(None), LetterTemplate.retired.is_(False))
        .order_by(LetterTemplate.breach_id, LetterTemplate.variant, LetterTemplate.version.desc())).all()
    if not candidates:
        return []
    latest = {(breach_id, variant): version for breach_id, variant, version in db.session.execute(
        select(LetterTemplate.breach_id, LetterTemplate.variant, func.max(LetterTemplate.version))
        .where(LetterTemplate.breach_id.in_({t.breach_id for t in candidates}))
        .group_by(LetterTemplate.breach_id, LetterTemplate.variant))}
    current = [t for t in candidates if latest.get((t.breach_id, t.variant)) == t.version
               and t.created_by_id != user.id and not template_problems(t)]
    if not current:
        return []
    last_kind = dict(db.session.execute(
        select(LetterReview.template_id, LetterReview.kind)
        .where(LetterReview.id.in_(select(func.max(LetterReview.id))
                                   .where(LetterReview.template_id.in_([t.id for t in current]))
                                   .group_by(LetterReview.template_id)))).all())
    return [t for t in current if last_kind.get(t.id) != ReviewKind.CHANGES_REQUESTED]


_prepared: OrderedDict[str, PreparedVariant] = OrderedDict()


def _content_key(template: LetterTemplate) -> str:
    """What the rendering depends on. Row ids alone are not enough: a process may serve several databases."""
    content = json.dumps([template.variant, template.version, template.lang, template.texts, template.sender,
                          template.layout, template.letter_date.isoformat()], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(content.encode()).hexdigest()


def prepared_variant(template: LetterTemplate) -> PreparedVariant:
    """The template rendered once for stamping, cached per process (a version never changes)."""
    key = _content_key(template)
    found = _prepared.get(key)
    if found is None:
        found = prepare_variant(letter_content(template), name=f"{template.variant}-v{template.version}")
        _prepared[key] = found
        while len(_prepared) > 8:
            _prepared.popitem(last=False)
    return found


# --- who gets which variant ---------------------------------------------------------------------------------------


def audience_condition(audience: str):
    """SQL condition on Patient for an addressee rule. The importer decided who receives each letter: a minor's or a
    protected adult's legal representative (``addressee == "guardian"``, CSP L.1111-2), else the patient; a deceased
    patient's letter goes to the heirs (CSP L.1110-4 V) once a person released it."""
    deceased = Patient.deceased.is_(True)
    representative = and_(not_(deceased), Patient.addressee == Addressee.GUARDIAN)
    if audience == Audience.HEIRS:
        return deceased
    if audience == Audience.REPRESENTATIVES:
        return representative
    if audience == Audience.PATIENTS:
        return and_(not_(deceased), Patient.addressee != Addressee.GUARDIAN)
    return true()


def variant_condition(spec: dict[str, Any]):
    condition = audience_condition(spec["audience"])
    if spec["segments"]:
        condition = and_(condition, Patient.segment.in_(spec["segments"]))
    return condition


def variant_index_expression(specs: Sequence[dict[str, Any]]):
    """The index of the variant a patient gets (the first matching one in priority order), NULL when none."""
    if not specs:
        return case((false(), 0), else_=None)
    return case(*[(variant_condition(spec), index) for index, spec in enumerate(specs)], else_=None)


def template_spec(template: LetterTemplate) -> dict[str, Any]:
    return {"variant": template.variant, "template_id": template.id, "version": template.version,
            "audience": template.audience, "segments": list(template.segments),
            "letter_date": template.letter_date.isoformat(), "lang": template.lang,
            "channel": template.channel or Channel.PAPER}


def has_email():
    """The patient file gives an e-mail address (the import keeps only well-formed ones, in lower case)."""
    return and_(Patient.email.is_not(None), Patient.email != "")


def email_failed():
    """The patient's e-mail was refused by the relay or bounced: the patient is owed a letter."""
    sent = aliased(LetterEmail)  # never correlated to a LetterEmail of an enclosing statement
    return exists().where(sent.patient_pk == Patient.id, sent.status.in_(EmailStatus.failed()))


def gets_paper(specs: Sequence[dict[str, Any]]):
    """SQL condition on Patient: the patient's variant sends a paper letter. A variant "e-mail where known, paper
    otherwise" sends none to a patient with an address, unless that e-mail was refused or bounced (then the patient
    enters the next letter job, `--new-only` included). Jobs planned before channels existed are paper only."""
    email_only = [index for index, spec in enumerate(specs) if spec.get("channel") == Channel.EMAIL_ELSE_PAPER]
    if not email_only:
        return true()
    index = func.coalesce(variant_index_expression(specs), -1)
    return or_(index.not_in(email_only), not_(has_email()), email_failed())


def gets_email(specs: Sequence[dict[str, Any]]):
    """SQL condition on Patient: the patient's variant sends an e-mail and the patient gave an address."""
    with_email = [index for index, spec in enumerate(specs) if spec.get("channel") in Channel.with_email()]
    if not with_email:
        return false()
    return and_(func.coalesce(variant_index_expression(specs), -1).in_(with_email), has_email())


def addressable():
    """Ready patients with a postcode: the others (held for review, or without a postcode) get no letter."""
    return and_(Patient.status == PatientStatus.READY, Patient.postcode.is_not(None), Patient.postcode != "")


# --- the per-patient fields ---------------------------------------------------------------------------------------

def salutation_for(lang: str, audience: str, salutation: str | None, civility: str | None, deceased: bool,
                   minor: bool = False) -> str:
    """The import's salutation for French letters; for heirs and for English letters, one from the civility (never
    a minor's: the letter goes to the holders of parental authority, CSP L.1111-2)."""
    if lang == "fr" and salutation and not deceased:
        return salutation
    known_reader = not deceased and audience not in ("heirs", "representatives")
    return addresses.salutation(civility, lang, known_reader=known_reader, minor=minor)


def verification_url(reference: str, public_url: str | None = None) -> str:
    """What a letter's 2D code carries (issue 17): the public page's URL with the reference when the instance has a
    public address (NOTIFIER_PUBLIC_URL, e.g. https://www.hopital.fr/notifier), so that a phone's camera opens the
    answer "this letter is genuine"; the reference alone otherwise (returned mail is still matched by scanning)."""
    if public_url is None:
        from flask import current_app, has_app_context

        public_url = current_app.config.get("PUBLIC_URL") if has_app_context() else None
    public_url = (public_url or "").strip().rstrip("/")
    if not public_url:
        return reference
    from urllib.parse import quote

    return f"{public_url}/verifier?reference={quote(reference, safe='-')}"


def letter_fields(breach_reference: str, number: int, patient: Any, *, lang: str, audience: str) -> LetterFields:
    reference = letter_reference(breach_reference, number)
    return LetterFields(
        reference=reference, patient_id=patient.patient_id, code=verification_url(reference),
        postcode=patient.postcode or "", address_lines=addresses.address_lines_in(patient.address_lines or (), lang),
        salutation=salutation_for(lang, audience, patient.salutation, patient.civility, bool(patient.deceased),
                                  bool(getattr(patient, "minor", False))))


def needs_naive_rendering(fields: LetterFields) -> bool:
    """The fast path cannot draw this letter (characters, or too many address lines): WeasyPrint renders it."""
    lines = [line for line in fields.address_lines if (line or "").strip()]
    return bool(letter_unstampable_characters(fields)) or not lines or len(lines) > MAX_ADDRESS_LINES


def render_one(template: LetterTemplate, fields: LetterFields, *, draft: bool) -> tuple[bytes, bool]:
    """One letter as the lots draw it: (PDF, rendered by WeasyPrint rather than stamped)."""
    if not needs_naive_rendering(fields):
        try:
            return render_single_letter(prepared_variant(template), fields, draft=draft), False
        except UnstampableLetter:
            pass
    return render_letter_naive(letter_content(template), fields, draft=draft), True


NAIVE_DIGEST_VERSION = b"notifier-letter-naive-v1"


def naive_digest(pdf: bytes) -> str:
    """Manifest digest of a letter rendered by WeasyPrint (deterministic output: no timestamps)."""
    return hashlib.sha256(NAIVE_DIGEST_VERSION + b"\n" + pdf).hexdigest()


def output_digest(template: LetterTemplate, fields: LetterFields, pdf: bytes, *, naive: bool, draft: bool) -> str:
    return naive_digest(pdf) if naive else letter_digest(prepared_variant(template), fields, draft=draft)


# --- previews and reprints ----------------------------------------------------------------------------------------

SAMPLE_PATIENT = {
    "fr": ("Madame Exemple MODELE", "12 RUE DE LA PAIX", "75002 PARIS"),
    "en": ("Madame Exemple MODELE", "12 RUE DE LA PAIX", "75002 PARIS"),
}


@dataclass
class _Sample:
    patient_id: str = "EXEMPLE"
    postcode: str = "75002"
    address_lines: tuple[str, ...] = SAMPLE_PATIENT["fr"]
    salutation: str | None = "Madame,"
    civility: str | None = "mme"
    deceased: bool = False


def find_patient(breach_id: int, patient_id: str) -> Patient | None:
    return db.session.scalar(select(Patient).where(Patient.breach_id == breach_id,
                                                   Patient.patient_id == patient_id.strip()))


def preview(template: LetterTemplate, breach: Breach, patient_id: str | None = None, *,
            user: User | None = None) -> tuple[bytes, str]:
    """One patient's letter from this version (draft watermark until approved), or a sample addressee, recorded in
    the audit trail (flushed). Returns the PDF and the IPP shown (or "EXEMPLE")."""
    patient: Any = None
    if patient_id:
        patient = find_patient(breach.id, patient_id)
        if patient is None:
            raise LetterError(N_("Aucun patient avec cet IPP dans cette violation."))
    else:
        spec = template_spec(template)
        patient = db.session.scalar(select(Patient).where(Patient.breach_id == breach.id, addressable(),
                                                          variant_condition(spec))
                                    .order_by(Patient.postcode, Patient.id).limit(1))
    patient = patient or _Sample()
    number = 0
    if isinstance(patient, Patient):
        number = db.session.scalar(select(Letter.number).where(Letter.patient_pk == patient.id)) or 0
    fields = letter_fields(breach.reference, number, patient, lang=template.lang, audience=template.audience)
    pdf, _ = render_one(template, fields, draft=not template.approved)
    audit.record("letters.preview", user=user, obj=template, breach_id=breach.id,
                 details={"variant": template.variant, "version": template.version,
                          "sample": patient.patient_id == "EXEMPLE"})
    return pdf, patient.patient_id


@dataclass
class Reprint:
    pdf: bytes
    reference: str
    sha256: str
    matches_lot: bool  # False when the patient's address changed since the lot was generated
    job: LetterJob
    lot: str


def reprint(breach: Breach, patient_id: str, *, user: User | None = None, via: str) -> Reprint:
    """A patient's letter again, exactly as in the lot of the latest final job (else the latest draft job),
    recorded in the audit trail (flushed: the request or the command commits once the PDF is handed over)."""
    patient = find_patient(breach.id, patient_id)
    letter = patient and db.session.scalar(select(Letter).where(Letter.patient_pk == patient.id))
    found = letter and db.session.execute(
        select(LetterOutput, LetterJob).join(LetterJob, LetterJob.id == LetterOutput.job_id)
        .where(LetterOutput.letter_id == letter.id)
        .order_by(LetterJob.draft.asc(), LetterJob.id.desc()).limit(1)).first()
    if not found:
        raise LetterError(N_("Aucun courrier généré pour le patient %(patient)s dans cette violation."),
                          patient=patient_id)
    output, job = found
    template = db.session.get(LetterTemplate, output.template_id)
    fields = letter_fields(breach.reference, letter.number, patient, lang=template.lang, audience=template.audience)
    pdf, naive = render_one(template, fields, draft=job.draft)
    digest = output_digest(template, fields, pdf, naive=naive, draft=job.draft)
    audit.record("letters.reprint", user=user, obj=breach, details={"reference": fields.reference, "via": via})
    return Reprint(pdf=pdf, reference=fields.reference, sha256=digest, matches_lot=digest == output.sha256, job=job,
                   lot=lot_file_name(output.chunk_no))


# --- held patients ------------------------------------------------------------------------------------------------


def held_patients(breach_id: int, *, limit: int | None = 200, offset: int = 0) -> list[Patient]:
    """Patients who get no letter: held for a person's decision (minor, deceased, abroad...) or without postcode."""
    query = (select(Patient).where(Patient.breach_id == breach_id, not_(addressable()))
             .order_by(Patient.last_name, Patient.id).offset(offset))
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def held_count(breach_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Patient).where(
        Patient.breach_id == breach_id, not_(addressable()))) or 0


# --- tracking -----------------------------------------------------------------------------------------------------


def letter_counts_by_status(organisation_id: int) -> dict[str, int]:
    """Generated letters of the organisation by status, in the order of a letter's life (dashboard chart)."""
    rows = db.session.execute(
        select(Letter.status, func.count()).join(Breach, Breach.id == Letter.breach_id)
        .where(Breach.organisation_id == organisation_id, Letter.status.is_not(None)).group_by(Letter.status))
    found = dict(rows.all())
    return {status.value: found[status] for status in LetterStatus if status in found}


def breach_letter_counts(breach_id: int) -> dict[str, int]:
    rows = db.session.execute(select(Letter.status, func.count()).where(
        Letter.breach_id == breach_id, Letter.status.is_not(None)).group_by(Letter.status))
    found = dict(rows.all())
    return {status.value: found[status] for status in LetterStatus if status in found}


def _key(text: str) -> str:
    text = unicodedata.normalize("NFKD", text or "")
    return "".join(char for char in text.lower() if char.isalnum())


def parse_status(text: str) -> str | None:
    return STATUS_ALIASES.get(_key(text))


def parse_date(text: str) -> date | None:
    text = (text or "").strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


@dataclass
class TrackingProblem:
    line: int
    reference: str
    code: str  # unknown_reference | malformed_reference | not_generated | unknown_status | bad_date
    value: str = ""

    def message(self, lang: str = "fr") -> str:
        labels = {
            "unknown_reference": N_("référence inconnue dans cette violation"),
            "malformed_reference": N_("référence mal formée ou d'une autre violation"),
            "not_generated": N_("courrier pas encore généré (seulement en projet)"),
            "unknown_status": N_("statut inconnu"),
            "bad_date": N_("date illisible (AAAA-MM-JJ ou JJ/MM/AAAA)"),
        }
        problem = translate(labels[self.code], lang)
        if self.value:
            problem += f' "{self.value}"' if lang == "en" else f" «\u00a0{self.value}\u00a0»"
        return translate(N_("ligne %(line)s\u00a0: %(reference)s\u00a0: %(problem)s"), lang, line=self.line,
                         reference=self.reference or "—", problem=problem)


@dataclass
class TrackingResult:
    rows: int
    updated: int
    by_status: dict[str, int]
    problems: list[TrackingProblem]  # the first PROBLEMS_KEPT, in line order
    problem_count: int = 0  # all of them

    @property
    def ok(self) -> bool:
        return not self.problems


class TrackingFileError(LetterError):
    pass


HEADER_ALIASES = {
    "reference": ("reference", "ref", "references", "referencecourrier", "referencelettre", "letterreference"),
    "status": ("status", "statut", "etat", "state"),
    "date": ("date", "datestatut", "statusdate", "datedepot", "dateretour"),
}


TRACKING_MAX_BYTES = 50 * 1024 * 1024  # the setting NOTIFIER_TRACKING_MAX_BYTES; a line is about 40 bytes
PROBLEMS_KEPT = 1000  # problems listed; all are counted (a 50 MiB file of bad lines would list a million)
_TRACKING_SAMPLE = 1 << 20


class TrackingRows:
    """The rows of a tracking file, read one at a time (a 400 MB file took 7.9 GB when read whole): iterate for
    (line number, {"reference", "status", "date"}). Built by `read_tracking_csv`, which checked the size, the
    encoding and the header already."""

    def __init__(self, text: io.TextIOWrapper, reader, columns: dict[str, int]):
        self._text, self._reader, self.columns = text, reader, columns

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        reader, columns = self._reader, self.columns
        try:
            for cells in reader:
                if not any(cell.strip() for cell in cells):
                    continue
                yield reader.line_num, {name: (cells[index].strip() if index < len(cells) else "")
                                        for name, index in columns.items()}
        except csv.Error as error:  # an unclosed quote swallowing the rest, a field over the csv size limit
            raise TrackingFileError(N_("Fichier mal formé ligne %(line)s (%(error)s)."), line=reader.line_num + 1,
                                    error=str(error)[:200]) from None
        finally:
            self.close()

    def close(self) -> None:
        if self._text is not None:
            self._text.detach()  # the binary file is the caller's
            self._text = None


def tracking_too_large(size: int, max_bytes: int, *, more: bool = False) -> TrackingFileError:
    """The refusal of a tracking file over the limit (`more`: copying stopped at `size`)."""
    limit, found = f"{max_bytes / (1024 * 1024):.0f}", f"{size / (1024 * 1024):.0f}"
    if more:
        return TrackingFileError(N_("Fichier de suivi trop volumineux (plus de %(found)s\u00a0Mio)\u00a0: la limite "
                                    "est de %(limit)s\u00a0Mio. Découpez-le en plusieurs fichiers."),
                                 found=found, limit=limit)
    return TrackingFileError(N_("Fichier de suivi trop volumineux (%(found)s\u00a0Mio)\u00a0: la limite est de "
                                "%(limit)s\u00a0Mio. Découpez-le en plusieurs fichiers."), found=found, limit=limit)


def ensure_tracking_status(status: str) -> None:
    if status not in list(LetterStatus):
        raise LetterError(N_("Statut inconnu."))


def read_tracking_csv(source: bytes | IO[bytes], *, max_bytes: int = TRACKING_MAX_BYTES) -> TrackingRows:
    """A tracking file (bytes, or a seekable binary file: an upload, an open file): UTF-8 (with or without BOM) or
    Windows-1252, decided on its first MiB (a byte invalid later becomes U+FFFD: that reference is then reported
    malformed); `;`, `,` or tab separated; the header names a `reference` column. TrackingFileError when it is
    over `max_bytes`, binary, empty or has no reference column, before any row is read."""
    handle = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    if size > max_bytes:
        raise tracking_too_large(size, max_bytes)
    handle.seek(0)
    head = handle.read(_TRACKING_SAMPLE)
    handle.seek(0)
    if b"\x00" in head:
        raise TrackingFileError(N_("Fichier illisible (binaire\u00a0?)."))
    try:
        codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=False)
        encoding = "utf-8-sig"
    except UnicodeDecodeError:
        encoding = "cp1252"
    text = io.TextIOWrapper(handle, encoding=encoding, errors="replace", newline="")
    first = text.readline()
    separator = max((";", ",", "\t"), key=first.count) if any(sep in first for sep in ";,\t") else ","
    try:
        header = next(csv.reader([first], delimiter=separator), None)
    except csv.Error:
        header = None
    if not header:
        text.detach()
        raise TrackingFileError(N_("Fichier vide."))
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        key = _key(name)
        for canonical, aliases in HEADER_ALIASES.items():
            if key in aliases and canonical not in columns:
                columns[canonical] = index
    if "reference" not in columns:
        text.detach()
        raise TrackingFileError(N_("Colonne «\u00a0reference\u00a0» absente de la première ligne."))
    reader = csv.reader(text, delimiter=separator)
    reader_with_offset = _LineOffset(reader, 1)
    return TrackingRows(text, reader_with_offset, columns)


class _LineOffset:
    """csv.reader's line_num counted from the file's first line (the header was read before the reader)."""

    def __init__(self, reader, offset: int):
        self._reader, self._offset = reader, offset

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._reader)

    @property
    def line_num(self) -> int:
        return self._reader.line_num + self._offset


_TRACKING_BATCH = 900  # references looked up per query (SQLite allows 999 parameters)


def apply_tracking(breach: Breach, rows: Iterable[tuple[int, dict[str, str]]], *, user: User | None,
                   default_status: str = "returned", default_date: date | None = None, source: str = "csv",
                   dry_run: bool = False) -> TrackingResult:
    """Apply status updates from references: everything or nothing. Unknown references, bad statuses or dates are
    all counted (the first PROBLEMS_KEPT listed) and nothing is changed; otherwise each letter gets its new status
    and an event, in one transaction. A reference may appear twice (returned, then re-sent): rows are applied in
    file order.

    Streamed: rows are checked and written by batches inside a savepoint, rolled back when a problem was found or
    on a dry run, so memory holds one batch and the set of updated letters, whatever the file's length."""
    ensure_tracking_status(default_status)
    default_date = default_date or date.today()
    problems: list[TrackingProblem] = []
    problem_count = 0
    count = 0
    updated: set[int] = set()
    by_status: dict[str, int] = {}

    def problem(found: TrackingProblem) -> None:
        nonlocal problem_count
        problem_count += 1
        if len(problems) < PROBLEMS_KEPT:
            problems.append(found)

    def write(batch: list[tuple[int, str, int, str, date]]) -> None:
        numbers = {number for _, _, number, _, _ in batch}
        letters = {number: (letter_id, status) for letter_id, number, status in db.session.execute(
            select(Letter.id, Letter.number, Letter.status).where(Letter.breach_id == breach.id,
                                                                  Letter.number.in_(numbers)))}
        changes: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        for line, reference, number, status, when in batch:
            found = letters.get(number)
            if found is None:
                problem(TrackingProblem(line, reference, "unknown_reference"))
                continue
            letter_id, current = found
            if current is None:
                problem(TrackingProblem(line, reference, "not_generated"))
                continue
            updated.add(letter_id)
            by_status[status] = by_status.get(status, 0) + 1
            changes.append({"id": letter_id, "status": status, "status_date": when})
            events.append({"letter_id": letter_id, "status": status, "status_date": when, "recorded_at": utcnow(),
                           "recorded_by_id": user.id if user else None, "source": source[:100]})
        if problem_count or dry_run:
            return  # nothing will be kept: checking the rest is enough
        # Rows of one batch in file order: a letter listed twice ends with its last status, as before.
        latest = {change["id"]: change for change in changes}
        if latest:
            db.session.execute(update(Letter), list(latest.values()))
        if events:
            db.session.execute(LetterEvent.__table__.insert(), events)

    savepoint = db.session.begin_nested()
    batch: list[tuple[int, str, int, str, date]] = []
    try:
        for line, row in rows:
            count += 1
            reference = row.get("reference", "")
            number = parse_reference(breach.reference, reference)
            if number is None:
                problem(TrackingProblem(line, reference, "malformed_reference"))
                continue
            status = parse_status(row["status"]) if row.get("status") else default_status
            if status is None:
                problem(TrackingProblem(line, reference, "unknown_status", row.get("status", "")))
                continue
            when = parse_date(row["date"]) if row.get("date") else default_date
            if when is None:
                problem(TrackingProblem(line, reference, "bad_date", row.get("date", "")))
                continue
            batch.append((line, reference, number, status, when))
            if len(batch) == _TRACKING_BATCH:
                write(batch)
                batch = []
        if batch:
            write(batch)
    except BaseException:
        savepoint.rollback()
        raise
    problems.sort(key=lambda found: found.line)
    result = TrackingResult(rows=count, updated=len(updated) if not problem_count else 0, by_status=by_status,
                            problems=problems, problem_count=problem_count)
    if problem_count or dry_run or not updated:
        savepoint.rollback()
        return result
    savepoint.commit()
    audit.record("letters.track", user=user, obj=breach,
                 details={"source": source[:100], "rows": count, "updated": len(updated), "by_status": by_status})
    return result


def letter_number_of(breach_reference: str, reference: str) -> int:
    number = parse_reference(breach_reference, reference)
    assert number is not None
    return number


def set_status(breach: Breach, reference: str, status: str, *, user: User | None, when: date | None = None,
               source: str = "web") -> TrackingResult:
    """One letter's status (the same rules as a one-row file)."""
    return apply_tracking(breach, [(1, {"reference": reference, "status": status,
                                        "date": (when or date.today()).isoformat()})],
                          user=user, source=source)


def replace_returned_by_notice(breach: Breach, *, user: User | None, when: date | None = None) -> int:
    """GDPR art. 34(3)(c): letters that came back (NPAI) are replaced by the public notice."""
    when = when or date.today()
    ids = list(db.session.scalars(select(Letter.id).where(Letter.breach_id == breach.id,
                                                          Letter.status == LetterStatus.RETURNED)))
    if not ids:
        return 0
    for start in range(0, len(ids), 1000):
        batch = ids[start:start + 1000]
        db.session.execute(update(Letter).where(Letter.id.in_(batch)).values(status=LetterStatus.PUBLIC_NOTICE,
                                                                              status_date=when))
        db.session.execute(LetterEvent.__table__.insert(), [
            {"letter_id": letter_id, "status": LetterStatus.PUBLIC_NOTICE, "status_date": when, "recorded_at": utcnow(),
             "recorded_by_id": user.id if user else None, "source": "public_notice"} for letter_id in batch])
    audit.record("letters.public_notice", user=user, obj=breach, details={"letters": len(ids)})
    return len(ids)


# --- the public notice (art. 34(3)(c)) ----------------------------------------------------------------------------


def public_notice_pdf(breach: Breach, lang: str = "fr", *, user: User | None = None, via: str) -> bytes:
    """GDPR art. 34(3)(c): where letters would take disproportionate effort or cannot reach people, a public
    communication informs them in an equally effective manner. Built from the default variant's texts (the latest
    version; marked PROJET until approved), so that it says what the letters say. Recorded in the audit trail
    (flushed)."""
    templates = current_templates(breach.id)
    if not templates:
        raise LetterError(N_("Aucun modèle de courrier\u00a0: rédigez d'abord le courrier."))
    template = next((t for t in reversed(templates) if t.lang == lang), templates[-1])
    missing = template_problems(template)
    if missing:
        raise LetterError(N_("Éléments de l'article 34(2) manquants\u00a0: %(missing)s."), missing=", ".join(missing))
    from notifier.documents.letter import format_letter_date, strings

    returned = db.session.scalar(select(func.count()).select_from(Letter).where(
        Letter.breach_id == breach.id, Letter.status.in_((LetterStatus.RETURNED, LetterStatus.PUBLIC_NOTICE)))) or 0
    html = render_template(
        "public_notice/notice.html", lang=template.lang, s=strings(template.lang), texts=template.texts,
        sender=template.sender, breach_reference=breach.reference, draft=not template.approved,
        date_text=format_letter_date(date.today(), template.lang), unreachable=returned)
    pdf = render_pdf(html, lang=template.lang, stylesheets=("base.css", "public_notice/notice.css"))
    audit.record("letters.public_notice_pdf", user=user, obj=breach, details={"lang": lang, "via": via})
    return pdf
