"""The e-mail of a letter variant: the same approved texts as the paper letter (GDPR art. 34(2): the nature of the
breach, the DPO's contact, the likely consequences, the measures taken, the advice, and the right to complain to the
CNIL, art. 77), the letter's reference, and how the patient can check that the message is genuine. Plain text and
HTML, no attachment, no link, no image: a breach e-mail is exactly what phishers imitate (the advice block itself
warns against links), and it carries nothing the letter does not say (no postal address, no care details).

Pure: no Flask, no database. ``EmailBody`` is built once per variant version; ``message_for`` adds one patient's
salutation and reference.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from markupsafe import escape

from notifier.core.formatting import MONTHS_EN, MONTHS_FR
from notifier.core.i18n import N_, translate
from notifier.documents.letter import OPTIONAL_TEXT_KEYS, REQUIRED_TEXT_KEYS, clean_field, strings

EMAIL_STRINGS = {
    "subject": N_("%(establishment)s\u00a0: information sur une violation de données personnelles "
                  "(réf. %(reference)s)"),
    "reference": N_("Référence de ce message\u00a0: %(reference)s"),
    "check_title": N_("Comment vérifier que ce message vient de nous"),
    "check": N_("Ce message reprend le courrier d'information de %(establishment)s du %(date)s. Il ne contient "
                "aucun lien ni pièce jointe et ne vous demande aucune information personnelle ni aucun paiement. "
                "Pour vérifier qu'il vient bien de nous, contactez notre délégué à la protection des données aux "
                "coordonnées indiquées ci-dessus, ou le standard de l'établissement au numéro figurant sur son site "
                "officiel, en rappelant la référence %(reference)s."),
    "no_reply": N_("Merci de ne pas répondre directement à ce message\u00a0: utilisez les coordonnées ci-dessus."),
}

_BLANK_LINES = re.compile(r"\n\s*\n")
# Markers of the two per-patient holes; NUL never survives clean_field, so no reference or salutation holds one.
_REFERENCE, _SALUTATION = "\x00reference\x00", "\x00salutation\x00"


def paragraphs(text: str) -> list[str]:
    return [" ".join(part.split("\n")).strip() for part in _BLANK_LINES.split(text or "") if part.strip()]


@dataclass(frozen=True)
class EmailMessageText:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class EmailBody:
    """A variant version's e-mail with two holes: the salutation and the reference."""

    lang: str
    establishment: str
    letter_date: str
    blocks: tuple[tuple[str, tuple[str, ...]], ...]  # (heading or "", paragraphs)
    signature: tuple[str, ...]

    def message_for(self, reference: str, salutation: str) -> EmailMessageText:
        """One patient's message: the variant's message rendered once with two markers, the markers replaced by
        this patient's reference and salutation (escaped in the HTML): the same result as `render`, a few string
        replacements per patient instead of rendering the texts again."""
        reference = clean_field(reference)
        salutation = clean_field(salutation)
        holed = self._holed
        if holed is None:
            return self._render(reference, salutation)
        html_reference, html_salutation = str(escape(reference)), str(escape(salutation))
        return EmailMessageText(
            subject=holed.subject.replace(_REFERENCE, reference),
            text=holed.text.replace(_REFERENCE, reference).replace(_SALUTATION, salutation),
            html=holed.html.replace(_REFERENCE, html_reference).replace(_SALUTATION, html_salutation))

    def render(self, reference: str, salutation: str) -> EmailMessageText:
        """One patient's message rendered from the texts (what `message_for` must equal)."""
        return self._render(clean_field(reference), clean_field(salutation))

    @cached_property
    def _holed(self) -> EmailMessageText | None:
        """The message with markers for the reference and the salutation; None if a text already holds a NUL (the
        markers' character, which `clean_field` removes from a reference or a salutation): then every message is
        rendered in full."""
        if "\x00" in "".join(self._render("", "").__dict__.values()):
            return None
        return self._render(_REFERENCE, _SALUTATION)

    def _render(self, reference: str, salutation: str) -> EmailMessageText:
        values = {"establishment": self.establishment, "reference": reference, "date": self.letter_date}
        subject = translate(EMAIL_STRINGS["subject"], self.lang, **values)
        check = (translate(EMAIL_STRINGS["check_title"], self.lang),
                 (translate(EMAIL_STRINGS["check"], self.lang, **values),))
        blocks = (*self.blocks, check)
        text_parts = [translate(EMAIL_STRINGS["reference"], self.lang, reference=reference), salutation]
        html_parts = [f"<p><strong>{escape(translate(EMAIL_STRINGS['reference'], self.lang, reference=reference))}"
                      f"</strong></p>", f"<p>{escape(salutation)}</p>"]
        for heading, texts in blocks:
            if heading:
                text_parts.append(f"{heading}\n{'-' * len(heading)}")
                html_parts.append(f"<h2>{escape(heading)}</h2>")
            text_parts.extend(texts)
            html_parts.extend(f"<p>{escape(item)}</p>" for item in texts)
        if self.signature:
            text_parts.append("\n".join(self.signature))
            html_parts.append("<p>" + "<br>".join(str(escape(line)) for line in self.signature) + "</p>")
        no_reply = translate(EMAIL_STRINGS["no_reply"], self.lang)
        text_parts.append(no_reply)
        html_parts.append(f"<p><small>{escape(no_reply)}</small></p>")
        text = "\n\n".join(text_parts) + "\n"
        html = (f'<!DOCTYPE html>\n<html lang="{self.lang}"><head><meta charset="utf-8">'
                f"<title>{escape(subject)}</title></head>\n<body>\n" + "\n".join(html_parts) + "\n</body></html>\n")
        return EmailMessageText(subject=subject, text=text, html=html)


def date_words(value, lang: str) -> str:
    """1er décembre 2026 / 1 December 2026 (the letter's date, inside a sentence)."""
    day = "1er" if value.day == 1 and lang == "fr" else str(value.day)
    return f"{day} {(MONTHS_EN if lang == 'en' else MONTHS_FR)[value.month - 1]} {value.year}"


def email_body(texts: dict[str, str], *, lang: str, establishment: str, letter_date, phone: str = "",
               email: str = "") -> EmailBody:
    """The e-mail of a variant version: its texts in the letter's order, under the letter's own headings."""
    s = strings(lang)
    texts = {key: texts.get(key) or "" for key in (*REQUIRED_TEXT_KEYS, *OPTIONAL_TEXT_KEYS)}
    blocks: list[tuple[str, tuple[str, ...]]] = []
    if texts["introduction"].strip():
        blocks.append(("", tuple(paragraphs(texts["introduction"]))))
    for key in ("nature", "consequences", "measures", "advice", "dpo_contact"):
        blocks.append((s[key], tuple(paragraphs(texts[key]))))
    blocks.append((s["complaint_title"], (s["complaint"],)))
    blocks.append(("", tuple(paragraphs(texts["closing"])) or (s["closing"],)))
    signature = [*(line for line in (texts["signatory"] or "").splitlines() if line.strip()), establishment,
                 *(line for line in (phone, email) if line)]
    return EmailBody(lang=lang, establishment=establishment, letter_date=date_words(letter_date, lang),
                     blocks=tuple(blocks), signature=tuple(line.strip() for line in signature if line.strip()))
