"""Fast patient letters: render a variant once with WeasyPrint, then "stamp" each patient's fields onto copies of it.

WeasyPrint lays out about 30 letters/s per core; a mailing to 750,000 patients needs 1,000/s on two cores. The text
of a variant is the same for every patient and the per-patient fields sit in fixed boxes (letter.LetterBoxes), so:

1. `prepare_variant` renders the variant with empty boxes (and once more with the draft watermark) and turns each
   page into a Form XObject, serialised once as PDF object bodies numbered 1..K.
2. `write_lot` streams a lot file: those K objects, then per letter a page that draws the shared form plus a small
   content stream with the address, salutation, reference and QR code in one embedded font (DejaVu Sans, the font of
   the rendered text). Glyph ids are those of the full font, so the font subset (fontTools, glyph ids kept) is cut
   and written once, after the last letter, from the characters actually used. Memory stays flat whatever the lot.

Format details (PDF 1.7, ISO 32000-1): the font is a Type0 / CIDFontType2 font with Identity-H encoding and
CIDToGIDMap /Identity (9.7.4), a /W array (9.7.4.3) and a /ToUnicode CMap (9.10.3) so that text extraction returns
the names and addresses.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import unicodedata
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pikepdf
from fontTools import subset as font_subset
from fontTools.ttLib import TTFont

from notifier.documents.letter import (
    LETTER_STYLESHEETS,
    QR_QUIET_ZONE,
    LetterBoxes,
    LetterContent,
    LetterFields,
    clean_field,
    letter_html,
    page_footer,
    qr_matrix,
    qr_runs,
)
from notifier.documents.render import LETTERS_DIR, render_pdf

STAMP_FONT_PATH = LETTERS_DIR / "fonts" / "DejaVuSans.ttf"
MANIFEST_COLUMNS = ("reference", "patient_id", "lot", "first_page", "page_count", "sha256")
# v2: every page carries the reference and "page n / N" of its letter (footer.py), continuation pages included.
DIGEST_VERSION = b"notifier-letter-v2"
PT_PER_MM = 72 / 25.4

# Sizes in points. 10 pt matches the letter's text; the address may shrink to 7 pt to keep a long line (NF Z10-011
# allows 38 characters) inside the window.
ADDRESS_SIZE = 10.0
ADDRESS_MIN_SIZE = 7.0
SALUTATION_SIZE = 10.0
REFERENCE_SIZE = 9.0
LEADING = 1.2
BOX_PADDING_MM = 0.5
# Matches .reference-value in letter.css: text right of the QR code, baseline 11.2 mm below the box top.
REFERENCE_BASELINE_MM = 11.2
# The footer of every page: "Référence VIO-2026-0001-6579450-K · page 2 / 3", so that pages mixed up at envelope
# stuffing find their letter again. In the bottom margin (22 mm), 10 mm above the sheet's edge.
FOOTER_SIZE = 8.0
FOOTER_BASELINE_FROM_BOTTOM_MM = 10.0
# NF Z10-011: at most 6 address lines in France, 7 abroad.
MAX_ADDRESS_LINES = 7


class UnstampableLetter(ValueError):
    """A letter's fields cannot be drawn by the fast path; render it with letter.render_letter_naive instead."""


@dataclass(frozen=True)
class ManifestRow:
    """Where one letter sits in the lot files. `first_page` counts from 1 in the lot file, cover sheet included.

    `sha256`: SHA-256 of DIGEST_VERSION, LF, the variant base's sha256 (hex), LF, then for each page of the letter
    its decimal content-stream length, LF, and its uncompressed content stream. No timestamps: the same letter gives
    the same digest in any lot and in a reprint (`render_single_letter`).
    """

    reference: str
    patient_id: str
    lot: str
    first_page: int
    page_count: int
    sha256: str


# -- the font ------------------------------------------------------------------------------------------------------


class _StampFont:
    """Metrics of DejaVu Sans, loaded once per process."""

    def __init__(self, path: Path = STAMP_FONT_PATH) -> None:
        self.data = path.read_bytes()
        self.sha256 = hashlib.sha256(self.data).hexdigest()
        font = TTFont(io.BytesIO(self.data))
        self.units = font["head"].unitsPerEm
        self.glyph_ids = {char: font.getGlyphID(name) for char, name in font.getBestCmap().items()}
        self.advances = [advance for advance, _ in (font["hmtx"][name] for name in font.getGlyphOrder())]
        self.ascent = font["hhea"].ascent / self.units
        self.descent = font["hhea"].descent / self.units
        head, os2, post = font["head"], font["OS/2"], font["post"]
        self.bbox = [round(value * 1000 / self.units) for value in (head.xMin, head.yMin, head.xMax, head.yMax)]
        self.cap_height = round(getattr(os2, "sCapHeight", head.yMax) * 1000 / self.units)
        self.italic_angle = post.italicAngle
        self.postscript_name = font["name"].getDebugName(6) or "DejaVuSans"
        # hex glyph id and advance (in font units) per character, filled as characters are met
        self._cache: dict[str, tuple[str, int] | None] = {}

    def glyph(self, char: str) -> tuple[str, int] | None:
        """Hex glyph id and advance of a character the fast path can draw faithfully, else None."""
        try:
            return self._cache[char]
        except KeyError:
            pass
        gid = self.glyph_ids.get(ord(char))
        # Glyph-by-glyph drawing has no shaping: right-to-left scripts and combining marks need WeasyPrint.
        if (gid is None or unicodedata.bidirectional(char) in ("R", "AL", "AN") or unicodedata.combining(char)
                or unicodedata.category(char) in ("Mn", "Mc", "Me")):
            found = None
        else:
            found = (f"{gid:04X}", self.advances[gid])
        self._cache[char] = found
        return found

    def subset(self, gids: Iterable[int]) -> bytes:
        """A TrueType subset keeping the original glyph ids (retain_gids), hinting and layout tables dropped."""
        options = font_subset.Options()
        options.retain_gids = True
        options.notdef_outline = True
        options.hinting = False
        options.layout_features = []
        options.glyph_names = False
        options.name_IDs = [0, 1, 2, 3, 4, 5, 6]
        options.drop_tables += ["GSUB", "GPOS", "GDEF", "kern", "FFTM", "MATH"]
        # No timestamp refresh: the same letters must give the same bytes.
        font = TTFont(io.BytesIO(self.data), recalcTimestamp=False)
        subsetter = font_subset.Subsetter(options)
        subsetter.populate(gids=sorted({0, *gids}))
        subsetter.subset(font)
        out = io.BytesIO()
        font.save(out)
        return out.getvalue()


_font: _StampFont | None = None


def stamp_font() -> _StampFont:
    global _font
    if _font is None:
        _font = _StampFont()
    return _font


def unstampable_characters(text: str) -> set[str]:
    """Characters the fast path cannot draw: absent from DejaVu Sans, or needing shaping that glyph-by-glyph drawing
    lacks (right-to-left scripts, combining marks left after NFC). Letters with them go through WeasyPrint."""
    font = stamp_font()
    return {char for char in unicodedata.normalize("NFC", text) if font.glyph(char) is None}


def letter_unstampable_characters(fields: LetterFields) -> set[str]:
    return unstampable_characters(" ".join((fields.reference, fields.salutation, *fields.address_lines)))


# -- the prepared variant -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BasePages:
    """One WeasyPrint rendering of a variant as PDF object bodies: objects[i] is object number i + 1."""

    objects: tuple[bytes, ...]
    forms: tuple[int, ...]  # object number of each page's Form XObject
    sha256: str


@dataclass(frozen=True)
class PreparedVariant:
    """A variant ready for stamping; small and picklable, so it can be sent to worker processes."""

    name: str
    boxes: LetterBoxes
    page_width: float
    page_height: float
    final: BasePages
    draft: BasePages
    footer: str = "%(reference)s · page %(page)s / %(pages)s"
    """The per-page footer in the variant's language (letter.page_footer)."""
    margin_left: float = 20.0

    @property
    def page_count(self) -> int:
        return len(self.final.forms)

    def printed_pages(self, duplex: bool) -> int:
        """Pages per letter in a lot: printed recto verso, a letter of an odd page count gets a blank last page so
        that the next letter starts on a new sheet (never on the back of another patient's letter)."""
        return self.page_count + (self.page_count % 2 if duplex else 0)

    def base(self, draft: bool) -> BasePages:
        return self.draft if draft else self.final


def prepare_variant(content: LetterContent, *, name: str = "default") -> PreparedVariant:
    """Render the variant (per-patient boxes empty) once as sent and once as a draft, keep its pages as forms."""
    problems = content.boxes.problems()
    if problems:
        raise ValueError("unusable letter layout: " + "; ".join(problems))
    renders = {draft: render_pdf(letter_html(content, draft=draft), lang=content.lang,
                                 stylesheets=LETTER_STYLESHEETS) for draft in (False, True)}
    final, size = _base_pages(renders[False])
    draft, _ = _base_pages(renders[True])
    if len(final.forms) != len(draft.forms):
        raise ValueError("the draft watermark changed the page count")
    return PreparedVariant(name=name, boxes=content.boxes, page_width=size[0], page_height=size[1],
                           final=final, draft=draft, footer=page_footer(content.lang),
                           margin_left=content.boxes.margins.left)


def _base_pages(pdf_bytes: bytes) -> tuple[BasePages, tuple[float, float]]:
    with pikepdf.open(io.BytesIO(pdf_bytes)) as source:
        media_box = [float(value) for value in source.pages[0].mediabox]
        forms = [page.as_form_xobject() for page in source.pages]
        numbers: dict[tuple[int, int], int] = {}
        order: list[pikepdf.Object] = []

        def number(obj: pikepdf.Object) -> int:
            if obj.objgen not in numbers:
                numbers[obj.objgen] = len(order) + 1
                order.append(obj)
            return numbers[obj.objgen]

        form_numbers = [number(form) for form in forms]
        bodies: list[bytes] = []
        # Serialising an object numbers the objects it refers to, which are appended to `order`.
        index = 0
        while index < len(order):
            bodies.append(_serialize_indirect(order[index], number))
            index += 1
    digest = hashlib.sha256()
    for body in bodies:
        digest.update(b"%d\n" % len(body))
        digest.update(body)
    digest.update(stamp_font().sha256.encode())
    base = BasePages(objects=tuple(bodies), forms=tuple(form_numbers), sha256=digest.hexdigest())
    return base, (media_box[2] - media_box[0], media_box[3] - media_box[1])


def _serialize_indirect(obj: pikepdf.Object, number) -> bytes:
    if isinstance(obj, pikepdf.Stream):
        raw = obj.read_raw_bytes()
        entries = {key: value for key, value in obj.stream_dict.items() if key != "/Length"}
        return (b"<<" + b"".join(pikepdf.Name(key).unparse() + b" " + _serialize(value, number)
                                 for key, value in entries.items())
                + b"/Length %d>>\nstream\n" % len(raw) + raw + b"\nendstream")
    return _serialize(obj, number, top=True)


def _serialize(value, number, top: bool = False) -> bytes:
    if isinstance(value, pikepdf.Object):
        if value.is_indirect and not top:
            return b"%d 0 R" % number(value)
        if isinstance(value, pikepdf.Dictionary):
            return b"<<" + b"".join(pikepdf.Name(key).unparse() + b" " + _serialize(item, number)
                                    for key, item in value.items()) + b">>"
        if isinstance(value, pikepdf.Array):
            return b"[" + b" ".join(_serialize(item, number) for item in value) + b"]"
        return value.unparse()
    if isinstance(value, bool):
        return b"true" if value else b"false"
    if isinstance(value, int):
        return b"%d" % value
    if isinstance(value, Decimal | float):
        return _number(value).encode()
    if value is None:
        return b"null"
    raise TypeError(f"unexpected PDF value {value!r}")


def _number(value) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


# -- the streaming writer -----------------------------------------------------------------------------------------


class _PdfWriter:
    """Writes numbered objects to a binary file and the classic xref table at the end (ISO 32000-1, 7.5)."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.offsets: dict[int, int] = {}
        self.next_number = 1
        self.position = 0
        # The binary comment marks the file as binary for transfer tools (7.5.2).
        self._write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

    def _write(self, data: bytes) -> None:
        self.stream.write(data)
        self.position += len(data)

    def reserve(self) -> int:
        number = self.next_number
        self.next_number += 1
        return number

    def write(self, number: int, body: bytes) -> None:
        self.offsets[number] = self.position
        self._write(b"%d 0 obj\n" % number + body + b"\nendobj\n")

    def write_stream(self, number: int, data: bytes, extra: bytes = b"") -> None:
        packed = zlib.compress(data, 6)
        self.write(number, b"<<%s/Filter/FlateDecode/Length %d>>\nstream\n" % (extra, len(packed))
                   + packed + b"\nendstream")

    def finish(self, root: int, info: int) -> None:
        size = self.next_number
        missing = [number for number in range(1, size) if number not in self.offsets]
        if missing:
            raise RuntimeError(f"PDF objects reserved but never written: {missing[:5]}")
        xref = self.position
        lines = [b"xref\n0 %d\n0000000000 65535 f \n" % size]
        lines.extend(b"%010d 00000 n \n" % self.offsets[number] for number in range(1, size))
        self._write(b"".join(lines))
        self._write(b"trailer\n<</Size %d/Root %d 0 R/Info %d 0 R>>\nstartxref\n%d\n%%%%EOF\n"
                    % (size, root, info, xref))


def _pdf_text(text: str) -> bytes:
    """A PDF text string (7.9.2.2): UTF-16BE with BOM, hex-encoded."""
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode() + b">"


class _Lot:
    """One output file: the variant's base objects, then the letters, then the font and the page tree."""

    def __init__(self, stream, variant: PreparedVariant, *, draft: bool, title: str, cover: bool,
                 duplex: bool = False) -> None:
        self.variant = variant
        self.base = variant.base(draft)
        self.font = stamp_font()
        self.used_glyphs: set[str] = set()  # hex glyph ids
        self.writer = writer = _PdfWriter(stream)
        for body in self.base.objects:
            writer.write(writer.reserve(), body)
        self.catalog, self.pages, self.info, self.resources = (writer.reserve() for _ in range(4))
        self.type0, self.cid_font, self.descriptor, self.font_file, self.to_unicode = (
            writer.reserve() for _ in range(5))
        self.kids: list[int] = []
        self.page_count = 0
        writer.write(self.catalog, b"<</Type/Catalog/Pages %d 0 R>>" % self.pages)
        writer.write(self.info, b"<</Title %s/Producer (notifier)>>" % _pdf_text(title))
        xobjects = b"".join(b"/P%d %d 0 R" % (index, form) for index, form in enumerate(self.base.forms))
        writer.write(self.resources, b"<</XObject<<%s>>/Font<</F %d 0 R>>>>" % (xobjects, self.type0))
        # Every page of a letter carries its reference and "page n / N": each page has its own small content stream.
        self.letter_pages = len(self.base.forms)
        # Recto verso: one empty content stream for every blank verso (after the cover, after odd-length letters).
        self.blank_contents = None
        self.letter_padding = variant.printed_pages(duplex) - variant.page_count
        if duplex and (cover or self.letter_padding):
            self.blank_contents = writer.reserve()
            writer.write_stream(self.blank_contents, b"")
        self.cover_contents = None
        if cover:
            # The cover sheet is page 1; its text (counts, postcode range) is known only at the end.
            self.cover_contents = writer.reserve()
            self.add_page(self.cover_contents)
            if duplex:
                self.add_page(self.blank_contents)

    def form_call(self, index: int) -> bytes:
        return b"q /P%d Do Q\n" % index

    def add_page(self, contents: int) -> None:
        number = self.writer.reserve()
        self.writer.write(number, b"<</Type/Page/Parent %d 0 R/Contents %d 0 R>>" % (self.pages, contents))
        self.kids.append(number)
        self.page_count += 1

    def add_letter(self, fields: LetterFields) -> tuple[int, str]:
        """Write one letter; returns its first page number in this file and its digest."""
        first_page = self.page_count + 1
        reference = clean_field(fields.reference)
        digest = hashlib.sha256(b"%s\n%s\n" % (DIGEST_VERSION, self.base.sha256.encode()))
        for index in range(self.letter_pages):
            page = self.form_call(index) + (self.overlay(fields) if index == 0 else b"") + self.footer(reference, index)
            digest.update(b"%d\n" % len(page))
            digest.update(page)
            contents = self.writer.reserve()
            self.writer.write_stream(contents, page)
            self.add_page(contents)
        for _ in range(self.letter_padding):  # a blank verso carries nothing: not in the letter's digest
            self.add_page(self.blank_contents)
        return first_page, digest.hexdigest()

    # -- drawing --

    def encode(self, text: str, reference: str) -> tuple[str, int]:
        """Hex glyph ids and width in font units; UnstampableLetter for what the font cannot draw faithfully."""
        glyph = self.font.glyph
        hexes = []
        width = 0
        for char in text:
            found = glyph(char)
            if found is None:
                raise UnstampableLetter(f"letter {reference}: cannot draw {char!r} (U+{ord(char):04X})")
            hexes.append(found[0])
            width += found[1]
        self.used_glyphs.update(hexes)
        return "".join(hexes), width

    def text_line(self, text: str, reference: str, x_mm: float, baseline_mm: float, size: float,
                  max_width_mm: float) -> str:
        hexes, width = self.encode(text, reference)
        available = max_width_mm * PT_PER_MM
        if width * size / self.font.units > available:
            size = available * self.font.units / width
        y = self.variant.page_height - baseline_mm * PT_PER_MM
        return f"/F {_number(size)} Tf 1 0 0 1 {_number(x_mm * PT_PER_MM)} {_number(y)} Tm <{hexes}> Tj\n"

    def overlay(self, fields: LetterFields) -> bytes:
        boxes = self.variant.boxes
        font = self.font
        reference = clean_field(fields.reference)
        lines = [line for line in (clean_field(line) for line in fields.address_lines) if line]
        if not lines:
            raise UnstampableLetter(f"letter {reference}: no address")
        if len(lines) > MAX_ADDRESS_LINES:
            raise UnstampableLetter(f"letter {reference}: {len(lines)} address lines, NF Z10-011 allows 6 (7 abroad)")
        parts = ["BT 0 g\n"]
        box = boxes.address
        inner_width = box.width - 2 * BOX_PADDING_MM
        inner_height_pt = (box.height - 2 * BOX_PADDING_MM) * PT_PER_MM
        size = min(ADDRESS_SIZE, inner_height_pt / (len(lines) * LEADING))
        if size < ADDRESS_MIN_SIZE:
            raise UnstampableLetter(f"letter {reference}: the address box is too small for {len(lines)} lines")
        baseline = box.top + BOX_PADDING_MM + font.ascent * size / PT_PER_MM
        for line in lines:
            parts.append(self.text_line(line, reference, box.left + BOX_PADDING_MM, baseline, size, inner_width))
            baseline += size * LEADING / PT_PER_MM
        box = boxes.salutation
        salutation = clean_field(fields.salutation)
        if salutation:
            baseline = box.top + BOX_PADDING_MM + font.ascent * SALUTATION_SIZE / PT_PER_MM
            parts.append(self.text_line(salutation, reference, box.left, baseline, SALUTATION_SIZE, box.width))
        box = boxes.reference
        text_left = box.left + box.height + 1
        parts.append(self.text_line(reference, reference, text_left, box.top + REFERENCE_BASELINE_MM,
                                    REFERENCE_SIZE, box.right - text_left))
        parts.append("ET\n")
        parts.append(self.qr(clean_field(fields.qr_text), box.left, box.top, box.height))
        return "".join(parts).encode("ascii")

    def footer(self, reference: str, index: int) -> bytes:
        """Page `index` (from 0) of the letter: its reference and "page n / N" in the bottom margin."""
        variant = self.variant
        text = variant.footer % {"reference": reference, "page": index + 1, "pages": self.letter_pages}
        baseline = variant.page_height / PT_PER_MM - FOOTER_BASELINE_FROM_BOTTOM_MM
        width = variant.page_width / PT_PER_MM - 2 * variant.margin_left
        return ("BT 0 g\n" + self.text_line(text, reference, variant.margin_left, baseline, FOOTER_SIZE, width)
                + "ET\n").encode("ascii")

    def qr(self, reference: str, left_mm: float, top_mm: float, side_mm: float) -> str:
        matrix = qr_matrix(reference)
        module = side_mm * PT_PER_MM / (len(matrix) + 2 * QR_QUIET_ZONE)
        x = left_mm * PT_PER_MM + QR_QUIET_ZONE * module
        y = self.variant.page_height - top_mm * PT_PER_MM - QR_QUIET_ZONE * module
        # Module units, rows going down: one "re" per run of dark modules.
        runs = "".join(f"{column} {row} {length} 1 re\n" for column, row, length in qr_runs(matrix))
        return f"q 0 g {_number(module)} 0 0 {_number(-module)} {_number(x)} {_number(y)} cm\n{runs}f Q\n"

    def cover_text(self, lines: Sequence[tuple[float, str]]) -> bytes:
        """Cover sheet: (size, text) lines from the top-left, for the print shop; French (it is a French mailing)."""
        parts = ["BT 0 g\n"]
        baseline = 40.0
        for size, text in lines:
            if text:
                parts.append(self.text_line(text, "cover", 25, baseline, size, 160))
            baseline += size * 1.6 / PT_PER_MM
        parts.append("ET\n")
        return "".join(parts).encode("ascii")

    # -- closing --

    def close(self, cover_lines: Sequence[tuple[float, str]] | None) -> None:
        writer = self.writer
        if self.cover_contents is not None:
            writer.write_stream(self.cover_contents, self.cover_text(cover_lines or ()))
        self.write_font()
        width, height = self.variant.page_width, self.variant.page_height
        kids = b" ".join(b"%d 0 R" % kid for kid in self.kids)
        writer.write(self.pages, b"<</Type/Pages/Count %d/MediaBox[0 0 %s %s]/Resources %d 0 R/Kids[%s]>>"
                     % (len(self.kids), _number(width).encode(), _number(height).encode(), self.resources, kids))
        writer.finish(self.catalog, self.info)

    def write_font(self) -> None:
        writer, font = self.writer, self.font
        gids = sorted(int(value, 16) for value in self.used_glyphs)
        # Subset tag: six capitals, the same for the same glyph set (ISO 32000-1, 9.6.4).
        tag = "".join(chr(65 + byte % 26) for byte in hashlib.sha256(repr(gids).encode()).digest()[:6])
        name = f"/{tag}+{font.postscript_name}".encode()
        program = font.subset(gids)
        writer.write(self.type0, b"<</Type/Font/Subtype/Type0/BaseFont %s/Encoding/Identity-H/DescendantFonts[%d 0 R]"
                                 b"/ToUnicode %d 0 R>>" % (name, self.cid_font, self.to_unicode))
        widths = b" ".join(b"%d[%d]" % (gid, round(font.advances[gid] * 1000 / font.units)) for gid in gids)
        writer.write(self.cid_font, b"<</Type/Font/Subtype/CIDFontType2/BaseFont %s"
                                    b"/CIDSystemInfo<</Registry(Adobe)/Ordering(Identity)/Supplement 0>>"
                                    b"/FontDescriptor %d 0 R/CIDToGIDMap/Identity/DW 1000/W[%s]>>"
                                    % (name, self.descriptor, widths))
        writer.write(self.descriptor, (
            b"<</Type/FontDescriptor/FontName %s/Flags 32/FontBBox[%s]/ItalicAngle %s/Ascent %d/Descent %d"
            b"/CapHeight %d/StemV 80/FontFile2 %d 0 R>>" % (
                name, " ".join(map(str, font.bbox)).encode(), _number(font.italic_angle).encode(),
                round(font.ascent * 1000), round(font.descent * 1000), font.cap_height, self.font_file)))
        writer.write_stream(self.font_file, program, b"/Length1 %d" % len(program))
        writer.write_stream(self.to_unicode, self.to_unicode_cmap(gids))

    def to_unicode_cmap(self, gids: Sequence[int]) -> bytes:
        by_gid: dict[int, str] = {}
        for char, found in self.font._cache.items():
            if found is None:
                continue
            gid = int(found[0], 16)
            # Several characters may share a glyph; keep the lowest code point, as a reader would expect.
            if gid not in by_gid or ord(char) < ord(by_gid[gid]):
                by_gid[gid] = char
        entries = [f"<{gid:04X}> <{by_gid[gid].encode('utf-16-be').hex().upper()}>" for gid in gids if gid in by_gid]
        blocks = []
        for start in range(0, len(entries), 100):  # at most 100 entries per bfchar block (ISO 32000-1, 9.10.3)
            chunk = entries[start:start + 100]
            blocks.append(f"{len(chunk)} beginbfchar\n" + "\n".join(chunk) + "\nendbfchar\n")
        return ("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
                "/CIDSystemInfo <</Registry (Adobe) /Ordering (UCS) /Supplement 0>> def\n"
                "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
                "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
                + "".join(blocks) + "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n").encode()


# -- public API ---------------------------------------------------------------------------------------------------


def write_lot(path: str | os.PathLike, variant: PreparedVariant, letters: Iterable[LetterFields], *,
              lot_name: str | None = None, draft: bool = False, duplex: bool = False) -> list[ManifestRow]:
    """Write one lot file: a cover sheet, then every letter in the given order (sort by postcode beforehand: bulk
    mail is deposited sorted by postcode). All letters of a lot have the same page count. For recto verso printing
    (`duplex`), the cover sheet and letters of an odd page count get a blank verso, so that every letter starts on
    its own sheet. The file appears complete or not at all. Raises UnstampableLetter (nothing written) when a letter
    cannot be drawn."""
    path = Path(path)
    lot_name = lot_name or path.name
    partial = path.with_name(path.name + ".part")
    rows: list[ManifestRow] = []
    postcodes: list[str] = []
    try:
        with open(partial, "wb", buffering=1 << 20) as stream:
            lot = _Lot(stream, variant, draft=draft, title=lot_name, cover=True, duplex=duplex)
            for fields in letters:
                first_page, digest = lot.add_letter(fields)
                rows.append(ManifestRow(fields.reference, fields.patient_id, lot_name, first_page,
                                        variant.printed_pages(duplex), digest))
                postcode = clean_field(fields.postcode)
                postcodes = [min(postcodes[0], postcode), max(postcodes[1], postcode)] if postcodes else [postcode] * 2
            if not rows:
                raise ValueError("a lot needs at least one letter")
            lot.close(cover_lines(lot_name, variant, len(rows), postcodes, rows, draft, duplex=duplex))
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return rows


def cover_lines(lot_name: str, variant: PreparedVariant, count: int, postcodes: Sequence[str],
                rows: Sequence[ManifestRow], draft: bool, *, duplex: bool = False) -> list[tuple[float, str]]:
    """The lot's cover sheet, for the print shop and the post office deposit (courrier en nombre)."""
    per_letter = variant.printed_pages(duplex)
    pages = count * per_letter
    cover_pages = 2 if duplex else 1
    if duplex:
        printing = "Impression : recto verso, chaque lettre commence sur une nouvelle feuille"
        letter_pages = f"Pages par lettre : {per_letter}" + (" (dont 1 verso blanc)" if per_letter > variant.page_count
                                                             else "")
    else:
        printing = "Impression : recto seul"
        letter_pages = f"Pages par lettre : {per_letter}"
    lines = [
        (20, f"Lot {lot_name}"),
        (11, "Page de garde : ne pas mettre sous pli"),
        (11, ""),
        (12, f"Variante : {variant.name}"),
        (12, f"Nombre de lettres : {count}"),
        (12, letter_pages),
        (12, printing),
        (12, f"Pages de lettres : {pages} (avec la page de garde : {pages + cover_pages})"),
        (12, f"Codes postaux : {postcodes[0]} à {postcodes[1]}"),
        (12, f"Première référence : {rows[0].reference}"),
        (12, f"Dernière référence : {rows[-1].reference}"),
    ]
    if draft:
        lines += [(11, ""), (20, "PROJET : NE PAS POSTER")]
    return lines


def render_single_letter(variant: PreparedVariant, fields: LetterFields, *, draft: bool = False) -> bytes:
    """One patient's letter alone (a reprint, or a preview), drawn exactly as in the lots: same digest."""
    out = io.BytesIO()
    lot = _Lot(out, variant, draft=draft, title=clean_field(fields.reference), cover=False)
    lot.add_letter(fields)
    lot.close(None)
    return out.getvalue()


def letter_digest(variant: PreparedVariant, fields: LetterFields, *, draft: bool = False) -> str:
    """The manifest sha256 of this letter, without writing it anywhere (to check a reprint or a lot)."""
    lot = _Lot(io.BytesIO(), variant, draft=draft, title="", cover=False)
    return lot.add_letter(fields)[1]


def write_manifest(path: str | os.PathLike, rows: Iterable[ManifestRow]) -> int:
    """CSV (UTF-8) with exactly MANIFEST_COLUMNS; rows may be a generator over many lots. Returns the row count."""
    count = 0
    with open(path, "w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(MANIFEST_COLUMNS)
        for row in rows:
            writer.writerow((row.reference, row.patient_id, row.lot, row.first_page, row.page_count, row.sha256))
            count += 1
    return count
