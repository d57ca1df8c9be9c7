"""The patient letter: GDPR art. 34(2) content, layout boxes, and the per-letter WeasyPrint path."""

import io
import re
from dataclasses import replace
from datetime import date

import pdfplumber
import pytest

from notifier.documents.letter import (
    EXAMPLE_TEXTS,
    LETTER_STYLESHEETS,
    REQUIRED_TEXT_KEYS,
    Box,
    Establishment,
    LetterBoxes,
    LetterContent,
    LetterFields,
    format_letter_date,
    letter_html,
    missing_required_texts,
    render_letter_naive,
)
from notifier.documents.preflight import unembedded_fonts
from notifier.documents.render import render_pdf

MM = 72 / 25.4

TEXTS = {
    "nature": "Un ordinateur portable contenant votre dossier a été volé le 2 mars.",
    "dpo_contact": "Délégué à la protection des données : dpo@chu.example, 01 02 03 04 05.",
    "consequences": "Vos données de santé pourraient être lues par un tiers.",
    "measures": "Nous avons porté plainte et chiffré tous les postes.",
    "advice": "Méfiez-vous des appels se présentant comme venant de l'hôpital.",
}
CONTENT = LetterContent(
    establishment=Establishment("CHU de Test", ("1 rue de l'Hôpital", "35000 RENNES")),
    letter_date=date(2026, 3, 1), texts=TEXTS)
PATIENT = LetterFields(reference="NTF26-0000042", patient_id="IPP42", postcode="35000",
                       address_lines=("Madame Zoé ŒUVRARD", "Appartement 3", "12 RUE DE LA PAIX", "35000 RENNES"),
                       salutation="Madame,")


def pages_of(pdf: bytes) -> list[dict]:
    """Per page: its text, and its words with positions in millimetres from the sheet's top-left corner."""
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return [{"text": page.extract_text(),
                 "words": [(word["text"], word["x0"] / MM, word["top"] / MM, word["x1"] / MM, word["bottom"] / MM)
                           for word in page.extract_words()],
                 "chars": [char for char in page.chars]}
                for page in document.pages]


def words_inside(page: dict, box: Box) -> list[str]:
    return [text for text, x0, top, x1, bottom in page["words"]
            if x0 < box.right and x1 > box.left and top < box.bottom and bottom > box.top]


def test_the_required_texts_are_the_art_34_2_blocks():
    assert REQUIRED_TEXT_KEYS == ("nature", "dpo_contact", "consequences", "measures", "advice")


def test_missing_required_texts_lists_absent_and_blank_blocks_in_letter_order():
    assert missing_required_texts({}) == list(REQUIRED_TEXT_KEYS)
    assert missing_required_texts({**TEXTS, "advice": "  \n ", "nature": None}) == ["nature", "advice"]
    assert missing_required_texts(TEXTS) == []
    assert missing_required_texts(EXAMPLE_TEXTS["fr"]) == [] and missing_required_texts(EXAMPLE_TEXTS["en"]) == []


def test_the_letter_says_everything_art_34_2_requires_and_how_to_complain():
    text = " ".join(page["text"] for page in pages_of(render_letter_naive(CONTENT, PATIENT)))
    flat = re.sub(r"\s+", " ", text)
    for block in TEXTS.values():
        assert block in flat
    for heading in ("Ce qui s'est passé", "Les conséquences possibles pour vous", "Les mesures que nous avons prises",
                    "Ce que nous vous conseillons de faire", "délégué à la protection des données"):
        assert heading in flat
    assert "www.cnil.fr/plaintes" in flat


def test_the_letter_is_in_english_when_asked():
    content = replace(CONTENT, lang="en", texts=EXAMPLE_TEXTS["en"])
    text = re.sub(r"\s+", " ", " ".join(page["text"] for page in pages_of(render_letter_naive(content, PATIENT))))
    assert "What happened" in text and "What we advise you to do" in text and "CONFIDENTIAL" in text
    assert "1 March 2026" in text and "www.cnil.fr/plaintes" in text


def test_dates_are_written_out_in_the_letter_language():
    assert format_letter_date(date(2026, 3, 1), "fr") == "Le 1er mars 2026"
    assert format_letter_date(date(2026, 8, 15), "fr") == "Le 15 août 2026"
    assert format_letter_date(date(2026, 8, 15), "en") == "15 August 2026"


def test_default_boxes_put_the_address_in_the_window_zone_and_do_not_overlap():
    boxes = LetterBoxes()
    assert (boxes.address.left, boxes.address.top, boxes.address.width, boxes.address.height) == (110, 55, 85, 35)
    assert boxes.problems() == []
    assert boxes.body_top == max(box.bottom for _, box in boxes.boxes()) + boxes.body_gap


def test_unusable_layouts_are_reported():
    overlapping = LetterBoxes(salutation=Box(left=100, top=60, width=50, height=7))
    assert "address overlaps salutation" in overlapping.problems()
    off_sheet = LetterBoxes(address=Box(left=150, top=55, width=85, height=35))
    assert "address: outside the A4 sheet" in off_sheet.problems()
    too_low = LetterBoxes(salutation=Box(left=20, top=240, width=170, height=7))
    assert "the boxes leave less than 40 mm for the text on the first page" in too_low.problems()


def test_the_naive_letter_prints_the_patient_fields_inside_their_boxes():
    pdf = render_letter_naive(CONTENT, PATIENT)
    first = pages_of(pdf)[0]
    boxes = CONTENT.boxes
    assert words_inside(first, boxes.address) == ["Madame", "Zoé", "ŒUVRARD", "Appartement", "3", "12", "RUE", "DE",
                                                  "LA", "PAIX", "35000", "RENNES"]
    assert words_inside(first, boxes.salutation) == ["Madame,"]
    assert "NTF26-0000042" in words_inside(first, boxes.reference)
    assert unembedded_fonts(pdf) == []


def test_the_shared_base_leaves_the_patient_boxes_empty_and_the_body_below_them():
    first = pages_of(render_pdf(letter_html(CONTENT), stylesheets=LETTER_STYLESHEETS))[0]
    boxes = CONTENT.boxes
    assert words_inside(first, boxes.address) == []
    assert words_inside(first, boxes.salutation) == []
    assert words_inside(first, boxes.reference) == ["Référence", "à", "rappeler", ":"]
    assert words_inside(first, boxes.date) == ["Le", "1er", "mars", "2026"]
    assert words_inside(first, boxes.subject)[:2] == ["Objet", ":"]
    body = [word for word in first["words"]
            if not any(words_inside({"words": [word]}, box) for _, box in boxes.boxes())
            and word[2] > boxes.margins.top and word[4] < 297 - boxes.margins.bottom]
    assert [word[0] for word in body][:4] == ["Ce", "qui", "s'est", "passé"]
    assert all(top >= boxes.body_top for _, _, top, _, _ in body)


def test_every_page_is_numbered_within_the_letter():
    pages = pages_of(render_letter_naive(replace(CONTENT, texts=EXAMPLE_TEXTS["fr"]), PATIENT))
    total = len(pages)
    assert total == 2
    for number, page in enumerate(pages, start=1):
        assert f"{number}/{total}" in re.sub(r"\s", "", page["text"])


@pytest.mark.parametrize("lang, word", [("fr", "PROJET"), ("en", "DRAFT")])
def test_a_draft_carries_the_watermark_on_every_page(lang, word):
    content = replace(CONTENT, lang=lang)
    for page in pages_of(render_letter_naive(content, PATIENT, draft=True)):
        assert "".join(char["text"] for char in page["chars"] if char["size"] > 50) == word
    for page in pages_of(render_letter_naive(content, PATIENT)):
        assert not [char for char in page["chars"] if char["size"] > 50]


def test_markup_and_rare_letters_in_patient_fields_show_as_text():
    hostile = replace(PATIENT, address_lines=('<img src="file:///etc/passwd">', "Œ ß Ł ğ", "35000 RENNES"),
                      salutation="Madame <b>Łukasiewicz</b>,")
    text = pages_of(render_letter_naive(CONTENT, hostile))[0]["text"]
    assert '<img src="file:///etc/passwd">' in text
    assert "Œ ß Ł ğ" in text
    assert "Madame <b>Łukasiewicz</b>," in text
