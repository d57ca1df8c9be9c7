"""The patient letter: what it must say (GDPR art. 34(2)), where each part sits on the sheet, and its HTML.

The text blocks are the same for every patient of a variant; the per-patient fields (address, salutation, reference)
go into reserved boxes at fixed positions, so that one WeasyPrint rendering can be reused for every patient
(see stamping.py) and the address always shows through the envelope window.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date

import segno
from markupsafe import Markup

from notifier.core.formatting import MONTHS_EN, MONTHS_FR
from notifier.core.i18n import LANGUAGES, N_, translate
from notifier.documents.render import render_pdf, render_template

TEMPLATE = "patient_letter/letter.html"
LETTER_STYLESHEETS = ("base.css", "patient_letter/letter.css")

# GDPR art. 34(2): the communication describes in clear and plain language the nature of the breach (`nature`) and
# contains at least the information and measures of art. 33(3)(b) (`dpo_contact`), (c) (`consequences`) and
# (d) (`measures`). `advice` answers the CNIL's Free Mobile decision (January 2026): people must be told how to protect
# themselves. The right to lodge a complaint (GDPR art. 77) is a fixed paragraph of the template.
REQUIRED_TEXT_KEYS = ("nature", "dpo_contact", "consequences", "measures", "advice")
# Optional blocks: an opening paragraph, the closing formula, the signatory (name and title).
OPTIONAL_TEXT_KEYS = ("introduction", "closing", "signatory")
# The blocks in the order the letter prints them (letter.html): what the DPO writes and legal reviews, in that order.
LETTER_ORDER = ("introduction", "nature", "consequences", "measures", "advice", "dpo_contact", "closing", "signatory")


def missing_required_texts(texts: Mapping[str, str | None]) -> list[str]:
    """The art. 34(2) blocks that are absent or blank, in letter order; an empty list means the letter may be sent."""
    return [key for key in REQUIRED_TEXT_KEYS if not (texts.get(key) or "").strip()]


# A4 sheet (ISO 216) and the letter's page margins, in millimetres.
PAGE_WIDTH_MM = 210.0
PAGE_HEIGHT_MM = 297.0


@dataclass(frozen=True)
class Margins:
    top: float = 20.0
    right: float = 15.0
    bottom: float = 22.0
    left: float = 20.0


@dataclass(frozen=True)
class Box:
    """A rectangle on the first page, in millimetres from the sheet's top-left corner."""

    left: float
    top: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def bottom(self) -> float:
        return self.top + self.height

    def overlaps(self, other: Box) -> bool:
        return (self.left < other.right and other.left < self.right
                and self.top < other.bottom and other.top < self.bottom)


@dataclass(frozen=True)
class LetterBoxes:
    """Where each part of the first page sits. `reference`, `address` and `salutation` are per patient: the variant
    is rendered with them empty and they are filled in later (stamping.py).

    Address: La Poste / NF Z10-011 window-envelope zone, about 110 mm from the left and 55 mm from the top of an A4
    sheet folded in three (docs/domain.md, "Window envelopes"); at most 6 lines (7 abroad) of 38 characters. Adjust
    the positions to the envelopes actually used.
    """

    sender: Box = Box(left=20, top=20, width=80, height=38)
    reference: Box = Box(left=20, top=62, width=80, height=16)
    address: Box = Box(left=110, top=55, width=85, height=35)
    date: Box = Box(left=110, top=93, width=85, height=6)
    subject: Box = Box(left=20, top=102, width=175, height=10)
    salutation: Box = Box(left=20, top=115, width=175, height=7)
    margins: Margins = field(default_factory=Margins)
    body_gap: float = 4.0

    def boxes(self) -> Iterator[tuple[str, Box]]:
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, Box):
                yield item.name, value

    @property
    def body_top(self) -> float:
        """The letter's text starts below every box, so it can never run into them."""
        return max(box.bottom for _, box in self.boxes()) + self.body_gap

    def problems(self) -> list[str]:
        """What makes this layout unusable (boxes off the sheet, overlapping, no room left for the text)."""
        found = []
        named = list(self.boxes())
        for name, box in named:
            if box.width <= 0 or box.height <= 0:
                found.append(f"{name}: width and height must be positive")
            if box.left < 0 or box.top < 0 or box.right > PAGE_WIDTH_MM or box.bottom > PAGE_HEIGHT_MM:
                found.append(f"{name}: outside the A4 sheet")
        for index, (name, box) in enumerate(named):
            for other_name, other in named[index + 1:]:
                if box.overlaps(other):
                    found.append(f"{name} overlaps {other_name}")
        if self.body_top > PAGE_HEIGHT_MM - self.margins.bottom - 40:
            found.append("the boxes leave less than 40 mm for the text on the first page")
        # 6 lines (7 abroad) at 8 pt with 1.2 leading need about 24 mm; 38 characters at 8 pt about 60 mm.
        if self.address.height < 24 or self.address.width < 60:
            found.append("address: at least 60 x 24 mm are needed for 7 lines of 38 characters")
        return found


@dataclass(frozen=True)
class LetterFields:
    """What differs from one patient's letter to the next."""

    reference: str
    patient_id: str
    postcode: str
    address_lines: tuple[str, ...]
    salutation: str
    # What the 2D code carries: the verification URL (NOTIFIER_PUBLIC_URL + "/verifier?reference=REF", issue 17)
    # when the instance has a public address, else the reference alone.
    code: str = ""

    @property
    def qr_text(self) -> str:
        return self.code or self.reference

    def __post_init__(self) -> None:
        object.__setattr__(self, "address_lines", tuple(self.address_lines))


@dataclass(frozen=True)
class Establishment:
    """The sender block: the establishment, and the contact the breach names (GDPR art. 33(3)(b), 34(2))."""

    name: str
    address_lines: tuple[str, ...]
    phone: str = ""
    email: str = ""
    contact: str = ""
    """The person to contact, as the sender block names them ("Claire Martin, déléguée à la protection des
    données")."""
    city: str = ""
    """Where the letter is written from: the date line reads "Lyon, le 8 décembre 2026"."""


@dataclass(frozen=True)
class LetterContent:
    """Everything shared by the letters of one variant."""

    establishment: Establishment
    letter_date: date
    texts: Mapping[str, str]
    lang: str = "fr"
    boxes: LetterBoxes = field(default_factory=LetterBoxes)
    template: str = TEMPLATE
    dpo_gender: str = ""
    """"f" or "m": the DPO's title agrees with the person ("notre déléguée" for Claire Martin); "" reads "m"."""


# The fixed words of a patient letter and of the public notice: French msgids, translated by strings(lang).
STRINGS = {
    "title": N_("Information sur une violation de données personnelles"),
    "subject_label": N_("Objet :"),
    "subject": N_("violation de données personnelles vous concernant"),
    "reference_label": N_("Référence à rappeler :"),
    "nature": N_("Ce qui s'est passé"),
    "consequences": N_("Les conséquences possibles pour vous"),
    "measures": N_("Les mesures que nous avons prises"),
    "advice": N_("Ce que nous vous conseillons de faire"),
    "dpo_contact": N_("Pour toute question : notre délégué à la protection des données"),
    "dpo_contact_f": N_("Pour toute question : notre déléguée à la protection des données"),
    "complaint_title": N_("Votre droit de réclamation"),
    "complaint": N_("Vous pouvez introduire une réclamation auprès de la Commission nationale de l'informatique et "
                    "des libertés (CNIL), 3 place de Fontenoy, TSA 80715, 75334 Paris Cedex 07, ou en ligne sur "
                    "www.cnil.fr/plaintes."),
    "closing": N_("Nous vous prions d'accepter nos excuses pour cet incident et vous assurons de notre entière "
                  "disponibilité."),
    "draft": N_("PROJET"),
    # Every page of a letter, continuation pages included (issue 13): pages mixed up at envelope stuffing find their
    # letter again. %(page)s / %(pages)s count the pages of this letter, not of the lot.
    "page_footer": N_("Référence %(reference)s · page %(page)s / %(pages)s"),
    "date": N_("Le %(day)s %(month)s %(year)s"),
    # The date line names the place the letter is written from (French letter usage, "Lyon, le 8 décembre 2026").
    "date_place": N_("%(place)s, le %(day)s %(month)s %(year)s"),
}

# Starting texts the DPO adapts (a ransomware attack with exfiltration, the usual hospital case), in the
# template's language.
EXAMPLE_MSGIDS = {
    "nature": N_("Le 12 mars 2026, notre établissement a été victime d'une attaque informatique. Des personnes non "
                 "autorisées ont copié une partie de nos fichiers administratifs. Ces fichiers contenaient votre "
                 "nom, votre adresse, votre date de naissance et, pour certains patients, la date et le service de "
                 "leur hospitalisation."),
    "consequences": N_("Ces informations pourraient être utilisées pour vous envoyer des messages frauduleux "
                       "(courriels, SMS, appels). Ces messages se feraient passer pour l'hôpital, votre banque ou "
                       "l'Assurance maladie, afin d'obtenir d'autres informations ou de l'argent."),
    "measures": N_("Nous avons isolé les systèmes touchés, changé tous les mots de passe, porté plainte et notifié "
                   "la CNIL et l'Agence régionale de santé. Des experts en sécurité surveillent nos systèmes."),
    "advice": N_("Méfiez-vous de tout message qui mentionne votre hospitalisation et vous demande de cliquer sur un "
                 "lien, de rappeler un numéro ou de payer. Nous ne vous demanderons jamais vos coordonnées bancaires "
                 "ni vos mots de passe.\n\nEn cas de doute, raccrochez et appelez le standard de l'hôpital au numéro "
                 "figurant sur notre site. Surveillez vos relevés bancaires et vos remboursements sur ameli.fr."),
    "dpo_contact": N_("Délégué à la protection des données, 1 rue de l'Hôpital, 75000 Paris. dpo@hopital.example, "
                      "01 23 45 67 89 (du lundi au vendredi, de 9 h à 17 h)."),
}


def page_footer(lang: str) -> str:
    """The footer of every page, a %-format with reference, page and pages (stamping.py and letter.html)."""
    return translate(STRINGS["page_footer"], lang)


def strings(lang: str) -> dict:
    return {key: translate(text, lang) for key, text in STRINGS.items()}


def example_texts(lang: str) -> dict[str, str]:
    return {key: translate(text, lang) for key, text in EXAMPLE_MSGIDS.items()}


EXAMPLE_TEXTS = {lang: example_texts(lang) for lang in LANGUAGES}  # read by the benchmarks


def format_letter_date(value: date, lang: str, place: str = "") -> str:
    """The letter's date line, with its place when known ("Lyon, le 8 décembre 2026"); month names from
    core.formatting, not the catalog (where "août" also stands for the charts' abbreviated month)."""
    day = "1er" if value.day == 1 and lang == "fr" else str(value.day)
    month = (MONTHS_EN if lang == "en" else MONTHS_FR)[value.month - 1]
    place = clean_field(place or "")
    if place:
        return translate(STRINGS["date_place"], lang, place=place, day=day, month=month, year=value.year)
    return translate(STRINGS["date"], lang, day=day, month=month, year=value.year)


def clean_field(text: str) -> str:
    """One printable line: NFC (so "e" + combining accent becomes one character), control characters -> spaces."""
    text = unicodedata.normalize("NFC", text)
    return "".join(" " if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") else char for char in text).strip()


_DARK_RUN = re.compile(b"\x01+")
# ISO/IEC 18004 requires a 4-module quiet zone around the symbol; it is kept inside the reference box.
QR_QUIET_ZONE = 4


def qr_matrix(reference: str) -> tuple[bytearray, ...]:
    """The reference as a QR code, level M. The mask is fixed (0) instead of scored: scoring the eight masks
    quadruples the cost and every decoder reads the mask from the format information (ISO/IEC 18004, 7.8)."""
    return tuple(segno.make_qr(reference, error="m", mask=0, boost_error=False).matrix)


def qr_runs(matrix: Sequence[bytes | bytearray]) -> Iterator[tuple[int, int, int]]:
    """Dark modules as horizontal runs (column, row, length): one rectangle per run keeps the drawing small."""
    for row_index, row in enumerate(matrix):
        for run in _DARK_RUN.finditer(row):
            yield run.start(), row_index, run.end() - run.start()


def qr_svg(reference: str, size_mm: float) -> Markup:
    """The same QR code as the stamped one, as inline SVG for the per-letter WeasyPrint path."""
    matrix = qr_matrix(reference)
    side = len(matrix) + 2 * QR_QUIET_ZONE
    path = "".join(f"M{x + QR_QUIET_ZONE} {y + QR_QUIET_ZONE}h{length}v1h-{length}z"
                   for x, y, length in qr_runs(matrix))
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" '
                  f'width="{size_mm}mm" height="{size_mm}mm"><path d="{path}" fill="#000"/></svg>')


_FOOTER_PART = re.compile(r"(%\((?:reference|page|pages)\)s)")


def _css_string(text: str) -> str:
    """A CSS string literal: quotes and backslashes escaped, and anything but letters, digits, spaces and common
    punctuation written as a hex escape (nothing can close the <style> element)."""
    out = []
    for char in text:
        if char.isalnum() or char in " ·-_.,:/()":
            out.append(char)
        else:
            out.append(f"\\{ord(char):x} ")
    return '"' + "".join(out) + '"'


def footer_css(lang: str, reference: str) -> Markup:
    """The CSS `content` of the page footer for WeasyPrint: the same words as the stamped footer, the page numbers
    from CSS counters (page, pages: the pages of this one letter's document)."""
    parts = []
    for part in _FOOTER_PART.split(page_footer(lang)):
        if part == "%(page)s":
            parts.append("counter(page)")
        elif part == "%(pages)s":
            parts.append("counter(pages)")
        elif part == "%(reference)s":
            parts.append(_css_string(reference))
        elif part:
            parts.append(_css_string(part))
    return Markup(" ".join(parts))


def letter_html(content: LetterContent, *, fields: LetterFields | None = None, draft: bool = False) -> str:
    """The letter as HTML. Without `fields` the per-patient boxes stay empty (the shared base of stamping.py)."""
    boxes = content.boxes
    margins = boxes.margins
    cleaned = None
    if fields is not None:
        cleaned = {
            "reference": clean_field(fields.reference),
            "address_lines": [clean_field(line) for line in fields.address_lines],
            "salutation": clean_field(fields.salutation),
            "qr": qr_svg(fields.qr_text, boxes.reference.height),
            "footer": footer_css(content.lang, clean_field(fields.reference)),
        }
    return render_template(
        content.template,
        lang=content.lang,
        s=strings(content.lang),
        texts={key: content.texts.get(key) or "" for key in (*REQUIRED_TEXT_KEYS, *OPTIONAL_TEXT_KEYS)},
        establishment=content.establishment,
        date_text=format_letter_date(content.letter_date, content.lang, content.establishment.city),
        dpo_heading=strings(content.lang)["dpo_contact_f" if content.dpo_gender == "f" else "dpo_contact"],
        boxes=dict(boxes.boxes()),
        margins=margins,
        # Absolutely positioned boxes are placed relative to the first page's content area, not the sheet.
        origin=(margins.left, margins.top),
        body_offset=boxes.body_top - margins.top,
        fields=cleaned,
        draft=draft,
    )


def render_letter_naive(content: LetterContent, fields: LetterFields, *, draft: bool = False) -> bytes:
    """One patient's letter rendered entirely by WeasyPrint: for variants whose body varies per patient, and the
    benchmark baseline. About 30 letters/s per core; the stamping path is the fast one."""
    return render_pdf(letter_html(content, fields=fields, draft=draft), lang=content.lang,
                      stylesheets=LETTER_STYLESHEETS)
