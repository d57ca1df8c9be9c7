"""The fast path: lots of stamped letters, checked from the PDFs themselves."""

import csv
import io
import re
from dataclasses import replace
from datetime import date

import pdfplumber
import pikepdf
import pytest
from fontTools.ttLib import TTFont

from notifier.documents.letter import (
    EXAMPLE_TEXTS,
    Box,
    Establishment,
    LetterBoxes,
    LetterContent,
    LetterFields,
    qr_matrix,
)
from notifier.documents.preflight import unembedded_fonts
from notifier.documents.stamping import (
    MANIFEST_COLUMNS,
    STAMP_FONT_PATH,
    ManifestRow,
    UnstampableLetter,
    letter_digest,
    prepare_variant,
    render_single_letter,
    unstampable_characters,
    write_lot,
    write_manifest,
)

MM = 72 / 25.4
EPSILON = 0.01  # mm: rounding of coordinates in the PDF
CONTENT = LetterContent(
    establishment=Establishment("CHU de Test", ("1 rue de l'Hôpital", "35000 RENNES")),
    letter_date=date(2026, 3, 1), texts=EXAMPLE_TEXTS["fr"])
NAMES = ("Madame Zoé ŒUVRARD", "Monsieur Jürgen STRAUß", "Madame Małgorzata ŁUKASIEWICZ", "Monsieur Oğuz DOĞAN",
         '<img src="file:///etc/passwd">', "Madame Anaïs LEFÈVRE", "Monsieur Loïc LE GOFF", "Madame Inès N'DIAYE")
LETTERS = [
    LetterFields(reference=f"NTF26-{index:07d}", patient_id=f"IPP{index}", postcode=postcode,
                 address_lines=(name, f"{index + 1} RUE DE LA PAIX", f"{postcode} {city}"),
                 salutation="Madame," if name.startswith("Madame") else "Monsieur,")
    for index, (name, (postcode, city)) in enumerate(zip(NAMES, (
        ("01000", "BOURG EN BRESSE"), ("13001", "MARSEILLE"), ("29200", "BREST"), ("35000", "RENNES"),
        ("59000", "LILLE"), ("69003", "LYON"), ("75014", "PARIS"), ("97400", "SAINT DENIS")), strict=True))]


@pytest.fixture(scope="module")
def variant():
    return prepare_variant(CONTENT, name="fr-standard")


@pytest.fixture(scope="module")
def lot(variant, tmp_path_factory):
    path = tmp_path_factory.mktemp("lots") / "lot-0001.pdf"
    rows = write_lot(path, variant, LETTERS)
    return path, rows, read_pages(path.read_bytes())


def read_pages(pdf: bytes) -> list[dict]:
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return [{"text": page.extract_text(), "chars": list(page.chars), "rects": list(page.rects)}
                for page in document.pages]


def chars_in(page: dict, box) -> str:
    """The characters drawn inside `box`, spaces left out."""
    return "".join(char["text"] for char in page["chars"] if char["text"] != " "
                   if box.left - EPSILON <= char["x0"] / MM and char["x1"] / MM <= box.right + EPSILON
                   and box.top - EPSILON <= char["top"] / MM and char["bottom"] / MM <= box.bottom + EPSILON)


def test_every_letter_appears_exactly_once_with_its_own_address_and_nobody_elses(lot, variant):
    _, rows, pages = lot
    assert [row.reference for row in rows] == [letter.reference for letter in LETTERS]
    everything = "\n".join(page["text"] for page in pages[1:])
    for letter, row in zip(LETTERS, rows, strict=True):
        # Once in the reference box, once in the footer of each of its pages.
        assert everything.count(letter.reference) == 1 + variant.page_count
        first = pages[row.first_page - 1]["text"]
        for line in letter.address_lines:
            assert line in first
        others = [other for other in LETTERS if other is not letter]
        assert not any(other.address_lines[0] in first or other.reference in first for other in others)


def test_every_page_of_every_letter_carries_its_reference_and_its_page_number(lot, variant):
    """Issue 13: continuation pages carried no reference, so pages could be mixed up at envelope stuffing."""
    _, rows, pages = lot
    assert variant.page_count >= 2  # the test variant has a continuation page
    for letter, row in zip(LETTERS, rows, strict=True):
        for n in range(1, variant.page_count + 1):
            text = pages[row.first_page - 2 + n]["text"]
            assert f"Référence {letter.reference} · page {n} / {variant.page_count}" in text
            others = [other.reference for other in LETTERS if other is not letter]
            assert not any(other in text for other in others)


def test_the_footer_is_in_the_bottom_margin_of_every_page(lot, variant):
    _, rows, pages = lot
    for page in pages[1:]:
        footer = [char for char in page["chars"] if char["top"] / MM > 297 - 22]
        assert "".join(char["text"] for char in footer).startswith("Référence")


def test_the_address_is_inside_the_window_zone_and_the_fields_in_their_boxes(lot, variant):
    _, rows, pages = lot
    boxes = variant.boxes
    for letter, row in zip(LETTERS, rows, strict=True):
        first = pages[row.first_page - 1]
        assert chars_in(first, boxes.address) == "".join(letter.address_lines).replace(" ", "")
        assert chars_in(first, boxes.salutation) == letter.salutation
        assert chars_in(first, boxes.reference) == "Référenceàrappeler\u00a0:" + letter.reference


def test_a_long_address_line_shrinks_to_stay_inside_the_window(variant):
    widest = "W" * 38  # NF Z10-011 allows 38 characters per line
    letter = replace(LETTERS[0], address_lines=(widest, "ESCALIER B", "BATIMENT C", "12 RUE X", "BP 4",
                                                "01000 BOURG EN BRESSE", "FRANCE"))
    first = read_pages(render_single_letter(variant, letter))[0]
    assert widest in chars_in(first, variant.boxes.address)
    assert chars_in(first, variant.boxes.address).endswith("FRANCE")


def test_more_than_seven_address_lines_are_refused(variant):
    with pytest.raises(UnstampableLetter, match="8 address lines"):
        render_single_letter(variant, replace(LETTERS[0], address_lines=tuple(f"L{n}" for n in range(8))))


def test_markup_and_rare_letters_are_drawn_as_text(lot):
    _, rows, pages = lot
    text = "\n".join(pages[row.first_page - 1]["text"] for row in rows)
    for needle in ('<img src="file:///etc/passwd">', "Œ", "ß", "Ł", "ğ", "Ğ", "Zoé", "Anaïs"):
        assert needle in text


def test_every_font_is_embedded_and_the_stamp_font_widths_are_the_fonts_own(lot):
    path, _, _ = lot
    assert unembedded_fonts(path.read_bytes()) == []
    font = TTFont(STAMP_FONT_PATH)
    advances = [font["hmtx"][name][0] for name in font.getGlyphOrder()]
    units = font["head"].unitsPerEm
    with pikepdf.open(path) as document:
        stamp = document.pages[1].Resources.Font.F
        cid_font = stamp.DescendantFonts[0]
        assert str(stamp.Encoding) == "/Identity-H" and str(cid_font.Subtype) == "/CIDFontType2"
        widths = list(cid_font.W)
        assert len(widths) > 40
        for gid, width in zip(widths[0::2], widths[1::2], strict=True):
            assert int(width[0]) == round(advances[int(gid)] * 1000 / units)


def test_the_cover_sheet_counts_the_letters_pages_and_postcodes(lot, variant):
    _, rows, pages = lot
    cover = pages[0]["text"]
    assert "Lot lot-0001.pdf" in cover
    assert "Nombre de lettres : 8" in cover
    assert f"Pages par lettre : {variant.page_count}" in cover
    assert "Codes postaux : 01000 à 97400" in cover
    assert "Variante : fr-standard" in cover
    assert "PROJET" not in cover
    assert len(pages) == 1 + 8 * variant.page_count


def test_manifest_rows_match_the_pdf(lot, variant, tmp_path):
    path, rows, pages = lot
    for index, row in enumerate(rows):
        assert row.lot == "lot-0001.pdf"
        assert row.page_count == variant.page_count == 2
        assert row.first_page == 2 + index * variant.page_count
        letter_pages = pages[row.first_page - 1:row.first_page - 1 + row.page_count]
        numbers = [re.search(r"(\d+)\s*/\s*(\d+)\s*$", page["text"]).groups() for page in letter_pages]
        assert numbers == [("1", "2"), ("2", "2")]
        assert re.fullmatch(r"[0-9a-f]{64}", row.sha256)
    assert len({row.sha256 for row in rows}) == len(rows)

    manifest = tmp_path / "manifest.csv"
    assert write_manifest(manifest, rows) == len(rows)
    with open(manifest, encoding="utf-8", newline="") as stream:
        read = list(csv.reader(stream))
    assert tuple(read[0]) == MANIFEST_COLUMNS == ("reference", "patient_id", "lot", "first_page", "page_count",
                                                  "sha256")
    assert [ManifestRow(r[0], r[1], r[2], int(r[3]), int(r[4]), r[5]) for r in read[1:]] == rows


def test_identical_inputs_give_identical_manifests_and_files(lot, variant, tmp_path):
    path, rows, _ = lot
    again = tmp_path / "lot-0001.pdf"
    assert write_lot(again, prepare_variant(CONTENT, name="fr-standard"), LETTERS) == rows
    assert again.read_bytes() == path.read_bytes()


def test_a_reprint_is_the_same_letter_with_the_same_digest(lot, variant):
    _, rows, pages = lot
    letter, row = LETTERS[3], rows[3]
    single = read_pages(render_single_letter(variant, letter))
    assert [page["text"] for page in single] == [page["text"] for page in pages[row.first_page - 1:row.first_page + 1]]
    assert letter_digest(variant, letter) == row.sha256
    assert letter_digest(variant, letter, draft=True) != row.sha256


def test_a_draft_lot_has_the_watermark_on_every_letter_page(variant, tmp_path):
    path = tmp_path / "draft.pdf"
    rows = write_lot(path, variant, LETTERS[:2], lot_name="draft-0001.pdf", draft=True)
    pages = read_pages(path.read_bytes())
    assert "PROJET : NE PAS POSTER" in pages[0]["text"]
    for page in pages[1:]:
        assert "".join(char["text"] for char in page["chars"] if char["size"] > 50) == "PROJET"
    assert rows[0].lot == "draft-0001.pdf"
    final = read_pages(render_single_letter(variant, LETTERS[0]))
    assert not any(char["size"] > 50 for page in final for char in page["chars"])


def test_the_qr_code_drawn_is_the_reference(lot, variant):
    _, rows, pages = lot
    box = variant.boxes.reference
    first = pages[rows[0].first_page - 1]
    squares = [rect for rect in first["rects"] if box.left <= rect["x0"] / MM <= box.right
               and box.top <= rect["top"] / MM <= box.bottom]
    module = min(rect["height"] for rect in squares)
    left = min(rect["x0"] for rect in squares)
    top = min(rect["top"] for rect in squares)
    expected = qr_matrix(LETTERS[0].reference)
    drawn = [bytearray(len(expected)) for _ in expected]
    for rect in squares:
        row = round((rect["top"] - top) / module)
        start = round((rect["x0"] - left) / module)
        for column in range(start, start + round(rect["width"] / module)):
            drawn[row][column] = 1
    assert drawn == [bytearray(row) for row in expected]


def test_letters_the_font_cannot_draw_faithfully_are_refused_and_nothing_is_left(variant, tmp_path):
    assert unstampable_characters("Zoé Œ ß Ł ğ Ελένη Ирина") == set()
    assert unstampable_characters("مريم 王") == {"م", "ر", "ي", "王"}
    arabic = replace(LETTERS[1], address_lines=("Madame مريم", "1 RUE X", "75014 PARIS"))
    path = tmp_path / "lot-0002.pdf"
    with pytest.raises(UnstampableLetter, match="NTF26-0000001"):
        write_lot(path, variant, [LETTERS[0], arabic])
    assert list(tmp_path.iterdir()) == []


def test_an_empty_lot_is_an_error(variant, tmp_path):
    with pytest.raises(ValueError, match="at least one letter"):
        write_lot(tmp_path / "lot-0003.pdf", variant, [])
    assert list(tmp_path.iterdir()) == []


def test_each_letter_adds_less_than_2_kib_to_its_lot(lot, variant, tmp_path):
    path, rows, _ = lot
    half = tmp_path / "half.pdf"
    write_lot(half, variant, LETTERS[:4])
    # The base pages, the font and the cover sheet are paid once per lot.
    assert (path.stat().st_size - half.stat().st_size) / 4 < 2048


def test_an_unusable_layout_is_refused_before_rendering():
    bad = replace(CONTENT, boxes=LetterBoxes(salutation=Box(left=100, top=60, width=50, height=7)))
    with pytest.raises(ValueError, match="address overlaps salutation"):
        prepare_variant(bad)


def one_page(variant):
    """The same variant cut to its first page: a letter of an odd page count."""
    return replace(variant, final=replace(variant.final, forms=variant.final.forms[:1]),
                               draft=replace(variant.draft, forms=variant.draft.forms[:1]))


def test_simplex_lots_have_no_blank_page(lot):
    _, rows, pages = lot
    assert "Impression : recto seul" in pages[0]["text"]
    assert all(page["text"].strip() for page in pages)


def test_recto_verso_every_letter_starts_on_a_new_sheet(variant, tmp_path):
    """Printed duplex, a page drawn on the back of another patient's letter would go into the wrong envelope: the
    cover sheet and every letter of an odd page count get a blank verso."""
    for shown, printed in ((variant, 2), (one_page(variant), 2)):
        path = tmp_path / f"lot-{shown.page_count}.pdf"
        rows = write_lot(path, shown, LETTERS, duplex=True)
        pages = read_pages(path.read_bytes())
        assert len(pages) == 2 + 8 * printed and pages[1]["text"] == ""  # the cover sheet's verso
        cover = " ".join(pages[0]["text"].split())
        assert "Impression : recto verso, chaque lettre commence sur une nouvelle feuille" in cover
        assert f"Pages de lettres : {8 * printed} (avec la page de garde : {8 * printed + 2})" in cover
        for index, row in enumerate(rows):
            assert (row.first_page, row.page_count) == (3 + index * printed, printed)
            assert row.first_page % 2 == 1  # a recto
            assert row.reference in pages[row.first_page - 1]["text"]
            if shown.page_count == 1:
                assert pages[row.first_page]["text"] == ""  # its blank verso
        if shown.page_count == 1:
            assert "Pages par lettre : 2 (dont 1 verso blanc)" in cover
    # The blank pages are not part of a letter: its digest is the same, recto verso or not.
    simplex = write_lot(tmp_path / "simplex.pdf", variant, LETTERS)
    assert [row.sha256 for row in simplex] == [row.sha256 for row in write_lot(tmp_path / "d.pdf", variant, LETTERS,
                                                                                duplex=True)]
