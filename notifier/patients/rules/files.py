"""Reading a patient list file, CSV or XLSX, as a stream of records: what kind of file, which encoding and
separator, the header line, then (row number, cells) one record at a time so memory stays flat at 750,000 rows.

Knows nothing of patients: `patient_import` maps and checks the cells.

Choices, documented in docs/patient-import.md:
- the kind comes from the content first (a ZIP container is an XLSX workbook, an OLE2 one an old .xls), then from
  the file name's extension;
- CSV encoding: a byte-order mark decides (UTF-8, UTF-16, UTF-32); otherwise the first 1 MiB holding a non-ASCII
  byte is decoded as strict UTF-8, and if that fails as Windows-1252 (Excel's "CSV" on a French Windows);
  a file that is neither is refused. A byte sequence invalid in the chosen encoding found later in the file
  becomes U+FFFD, and the importer rejects that record (`invalid_characters`) instead of failing the whole file;
- the separator is the most frequent of ";", tab and "," outside quotes on the header line (";" wins a tie:
  French Excel's separator); csv.Sniffer guesses wrong on addresses full of commas;
- row numbers are the file's line number where the record starts (header = line 1), or the sheet's row number.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import IO, Any

from notifier.core.i18n import N_, translate

SAMPLE_BYTES = 1 << 20
# A patient list has about 20 columns; thousands of them are an attack or a mistake (a row pasted as a header).
# Overridden by the setting NOTIFIER_IMPORT_MAX_COLUMNS.
MAX_COLUMNS = 200
SEPARATORS = (";", "\t", ",")  # in order of preference on a tie
CSV_EXTENSIONS = frozenset({"", ".csv", ".txt", ".tsv", ".tab"})
XLSX_EXTENSIONS = frozenset({".xlsx", ".xlsm"})

FILE_ERRORS: dict[str, str] = {
    "empty_file": N_("Le fichier est vide"),
    "unsupported_file_type": N_("Type de fichier non pris en charge ({detail}) : CSV ou XLSX attendu"),
    "legacy_xls": N_("Ancien format Excel (.xls) : enregistrez le fichier au format .xlsx ou CSV"),
    "unreadable_xlsx": N_("Classeur XLSX illisible ou endommagé ({detail})"),
    "xlsx_too_large": N_("Classeur XLSX refusé\u00a0: {detail} (archive trop volumineuse une fois décompressée)"),
    "xlsx_too_many_strings": N_("Classeur XLSX refusé\u00a0: plus de {detail} textes distincts (sharedStrings.xml)"),
    "binary_file": N_("Le fichier n'est pas un fichier texte CSV"),
    "utf16_without_bom": N_("Encodage UTF-16 sans marque d'ordre des octets : enregistrez le fichier en CSV UTF-8"),
    "unknown_encoding": N_("Encodage inconnu : ni UTF-8 ni Windows-1252"),
    "no_header": N_("Aucune ligne d'en-tête"),
    "too_many_columns": N_("Trop de colonnes sur la ligne d'en-tête\u00a0: {detail}"),
    "no_separator": N_("Séparateur introuvable sur la ligne d'en-tête : point-virgule, virgule ou tabulation attendu"),
    "malformed_csv": N_("CSV mal formé ligne {detail}"),
    "no_known_columns": N_("Aucune colonne reconnue (IPP, Nom, Adresse, Code postal, Ville…)"),
    "missing_columns": N_("Colonnes obligatoires absentes : {detail}"),
    "invalid_mapping": N_("Correspondance des colonnes invalide : {detail}"),
}


class ImportFileError(Exception):
    """The file as a whole cannot be imported. `code` is a key of FILE_ERRORS; `message(lang)` is one line."""

    def __init__(self, code: str, detail: str = ""):
        self.code = code
        self.detail = detail
        super().__init__(self.message("fr"))

    def message(self, lang: str = "fr") -> str:
        text = translate(FILE_ERRORS[self.code], lang)
        if "{detail}" in text:
            return text.format(detail=self.detail)
        return f"{text} ({self.detail})" if self.detail else text


@dataclass(frozen=True)
class FileFormat:
    kind: str  # "csv" | "xlsx"
    encoding: str | None  # CSV only: a Python codec name
    separator: str | None  # CSV only
    headers: tuple[str, ...]  # cleaned, unique: keys of the records' original values
    header_row: int
    sheet: str | None = None  # XLSX only: the first sheet is read


Source = str | os.PathLike | IO[bytes]


@dataclass(frozen=True)
class XlsxLimits:
    """What an XLSX archive may hold, checked with zipfile before openpyxl reads it (a 1.1 MB zip bomb declared a
    480 MB sharedStrings.xml of 20 million strings, which openpyxl keeps in memory). Defaults keep the import
    under its 300 MiB ceiling; the settings NOTIFIER_IMPORT_XLSX_* override them."""

    max_member_bytes: int = 100 * 1024 * 1024  # declared uncompressed size of one member
    max_total_bytes: int = 300 * 1024 * 1024  # of all members together
    max_ratio: int = 100  # uncompressed / compressed, for members over RATIO_FLOOR (a sheet's XML is about 10)
    max_members: int = 10_000
    max_shared_strings: int = 2_000_000  # about 150 MiB in openpyxl's table at 20 characters a string


RATIO_FLOOR = 1024 * 1024  # below 1 MiB a high ratio is harmless: tiny XML parts compress very well


@contextmanager
def _binary(source: Source):
    """The source as a binary file at its start; closed afterwards only if opened here."""
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as handle:
            yield handle
    else:
        source.seek(0)
        yield source


def _file_name(source: Source, filename: str | None) -> str:
    if filename:
        return filename
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    return getattr(source, "name", "") or ""


def inspect_file(source: Source, filename: str | None = None, *, max_columns: int = MAX_COLUMNS,
                 xlsx_limits: XlsxLimits | None = None) -> FileFormat:
    """Kind, encoding, separator and header line of a patient list; ImportFileError when it cannot be read.

    A header of more than `max_columns` columns is refused before any row is read; an XLSX archive is checked
    against `xlsx_limits` before openpyxl opens it. A file object must be binary and seekable (it is read again
    for the records)."""
    extension = os.path.splitext(_file_name(source, filename))[1].lower()
    with _binary(source) as handle:
        head = handle.read(SAMPLE_BYTES)
        if not head:
            raise ImportFileError("empty_file")
        if head.startswith(b"PK\x03\x04"):
            return _inspect_xlsx(handle, max_columns, xlsx_limits or XlsxLimits())
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            raise ImportFileError("legacy_xls")
        if extension in XLSX_EXTENSIONS:
            raise ImportFileError("unreadable_xlsx", "not a ZIP container")
        if extension == ".xls":
            raise ImportFileError("legacy_xls")
        if extension not in CSV_EXTENSIONS:
            raise ImportFileError("unsupported_file_type", extension)
        encoding = _detect_encoding(head, handle)
        handle.seek(0)
        separator = _detect_separator(_text_start(head, encoding))
        with _text(handle, encoding) as text:
            reader = csv.reader(text, delimiter=separator)
            line = 1
            try:
                for cells in reader:
                    if _is_header(cells):
                        return FileFormat("csv", encoding, separator, clean_headers(cells, max_columns), line)
                    line = reader.line_num + 1
            except csv.Error as error:
                raise ImportFileError("malformed_csv", f"{reader.line_num} ({error})") from None
        raise ImportFileError("no_header")


def _is_header(cells: list) -> bool:
    """The header is the first record with a non-blank cell."""
    return any(cell is not None and str(cell).strip() for cell in cells)


# Control characters other than tab, line feed, form feed and carriage return: a text file has almost none.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# Files uploaded by mistake whose first line can look like text: PDF, PNG, JPEG, GIF, gzip, 7z, RAR.
BINARY_SIGNATURES = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!")


def _detect_encoding(head: bytes, handle: IO[bytes]) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # Excel's "Unicode text" export
    # ASCII text in UTF-16 has a zero in every other byte.
    if b"\x00" in head and max(head[0::2].count(0), head[1::2].count(0)) > len(head) // 4:
        raise ImportFileError("utf16_without_bom")
    # A control character in a data row only rejects that row; in the header line it means this is not text.
    if head.startswith(BINARY_SIGNATURES) or _CONTROL.search(head.lstrip().split(b"\n", 1)[0].decode("latin-1")):
        raise ImportFileError("binary_file")
    sample = head
    while sample.isascii():  # all-ASCII so far tells nothing: look further for the first accented letter
        sample = handle.read(SAMPLE_BYTES)
        if not sample:
            return "utf-8"
    text = codecs.getincrementaldecoder("utf-8")(errors="replace").decode(sample, final=False)
    undecodable = text.count("\ufffd")
    if undecodable == 0:
        return "utf-8"
    # A mostly UTF-8 file with a few bad bytes (a pasted Windows line) stays UTF-8: only the rows holding them are
    # rejected. Windows-1252 text is almost never valid UTF-8 by chance, so its accents are all undecodable.
    if len(_NON_ASCII.findall(text)) - undecodable > undecodable:
        return "utf-8"
    try:
        sample.decode("cp1252")
    except UnicodeDecodeError:
        raise ImportFileError("unknown_encoding") from None
    return "cp1252"


def _text_start(head: bytes, encoding: str) -> str:
    return codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=False)


@contextmanager
def _text(handle: IO[bytes], encoding: str) -> Iterator[io.TextIOWrapper]:
    """The CSV text; invalid bytes become U+FFFD so that only the records holding them are rejected.

    Detached afterwards: a text wrapper closes the binary file it wraps, and the caller's file is not ours."""
    text = io.TextIOWrapper(handle, encoding=encoding, errors="replace", newline="")
    try:
        yield text
    finally:
        text.detach()


def _detect_separator(text: str) -> str:
    """The separator most frequent outside quotes on the first non-blank line."""
    counts = dict.fromkeys(SEPARATORS, 0)
    quoted = False
    seen_text = False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif char in "\r\n":
            if seen_text:
                break
        elif char in counts:
            counts[char] += 1
            seen_text = True
        elif not char.isspace():
            seen_text = True
    best = max(SEPARATORS, key=lambda sep: counts[sep])  # max keeps the first on a tie: SEPARATORS' order
    if counts[best] == 0:
        raise ImportFileError("no_separator")
    return best


def clean_headers(cells: list[Any], max_columns: int = MAX_COLUMNS) -> tuple[str, ...]:
    """Header names as keys: whitespace collapsed, trailing empty ones dropped, an empty one named after its
    position ("colonne 4") and a repeated one numbered ("Nom (2)"). ImportFileError past `max_columns`.

    Linear in the number of cells: a set of the names taken and, per repeated name, the last copy number tried
    (a header of 3,000 "x" was cubic with a search from "(2)" in a list)."""
    last = len(cells)
    while last and (cells[last - 1] is None or not str(cells[last - 1]).strip()):
        last -= 1
    if last > max_columns:
        raise ImportFileError("too_many_columns", f"{last} > {max_columns}")
    headers: list[str] = []
    taken: set[str] = set()
    last_copy: dict[str, int] = {}
    for position, cell in enumerate(cells[:last], start=1):
        name = (" ".join(str(cell).split()) if cell is not None else "") or f"colonne {position}"
        unique = name
        if unique in taken:
            copy = last_copy.get(name, 1)
            while unique in taken:  # every number tried stays taken: the next search starts after it
                copy += 1
                unique = f"{name} ({copy})"
            last_copy[name] = copy
        taken.add(unique)
        headers.append(unique)
    return tuple(headers)


def iter_records(source: Source, fmt: FileFormat) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells as text) of every record after the header; blank records are skipped."""
    with _binary(source) as handle:
        if fmt.kind == "xlsx":
            yield from _xlsx_records(handle, fmt)
            return
        with _text(handle, fmt.encoding) as text:
            reader = csv.reader(text, delimiter=fmt.separator)
            next_line = 1
            try:
                for cells in reader:
                    next_line = reader.line_num + 1
                    if _is_header(cells):
                        break
                for cells in reader:
                    line = next_line
                    next_line = reader.line_num + 1
                    if any(cells):
                        yield line, cells
            except csv.Error as error:  # a field over csv.field_size_limit(): an unclosed quote swallowed the rest
                raise ImportFileError("malformed_csv", f"{next_line} ({error})") from None


# --- XLSX ----------------------------------------------------------------------------------------------------------

@contextmanager
def _workbook(handle: IO[bytes]):
    from openpyxl import load_workbook  # only XLSX imports pay for it

    try:
        with warnings.catch_warnings():  # odd but readable workbooks warn (styles, extensions): not our concern
            warnings.simplefilter("ignore")
            workbook = load_workbook(handle, read_only=True, data_only=True)
    except Exception as error:  # openpyxl/zipfile/XML raise many kinds: all mean "not a workbook we can read"
        raise ImportFileError("unreadable_xlsx", type(error).__name__) from None
    try:
        yield workbook
    finally:
        workbook.close()


def _xlsx_rows(workbook) -> Iterator[tuple[int, tuple]]:
    sheet = workbook.worksheets[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield from enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1)


def check_xlsx_archive(handle: IO[bytes], limits: XlsxLimits) -> None:
    """Refuse a workbook whose archive could exhaust memory or time, before anything is decompressed beyond the
    shared strings' first bytes: members' declared sizes (zipfile never inflates a member past its declared size,
    a lying size fails its CRC), compression ratios, and the number of shared strings (the `uniqueCount`/`count`
    attribute, then the `<si>` elements counted while streaming, stopping past the limit)."""
    handle.seek(0)
    try:
        archive = zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ImportFileError("unreadable_xlsx", type(error).__name__) from None
    with archive:
        members = archive.infolist()
        if len(members) > limits.max_members:
            raise ImportFileError("xlsx_too_large", f"{len(members)} > {limits.max_members} fichiers")
        total = 0
        for member in members:
            total += member.file_size
            if member.file_size > limits.max_member_bytes:
                raise ImportFileError("xlsx_too_large", f"{member.filename[:80]} {_mib(member.file_size)} > "
                                                        f"{_mib(limits.max_member_bytes)}")
            if member.file_size > RATIO_FLOOR and member.file_size > limits.max_ratio * max(member.compress_size, 1):
                raise ImportFileError("xlsx_too_large", f"{member.filename[:80]} compressé "
                                      f"{member.file_size // max(member.compress_size, 1)} fois > {limits.max_ratio}")
        if total > limits.max_total_bytes:
            raise ImportFileError("xlsx_too_large", f"{_mib(total)} > {_mib(limits.max_total_bytes)}")
        for member in members:
            if member.filename.lower().endswith("sharedstrings.xml"):
                _check_shared_strings(archive, member, limits.max_shared_strings)
    handle.seek(0)


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} Mio"


_STRING_COUNT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sst\b[^>]*?\b(?:uniqueCount|count)\s*=\s*[\"'](\d+)")
_STRING_ELEMENT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s>/]")


def _check_shared_strings(archive: zipfile.ZipFile, member: zipfile.ZipInfo, limit: int) -> None:
    """The table openpyxl loads whole: refused past `limit` strings, read in 1 MiB chunks (memory stays flat)."""
    try:
        with archive.open(member) as stream:
            found = 0
            tail = b""
            first = True
            while chunk := stream.read(SAMPLE_BYTES):
                data = tail + chunk
                if first:
                    first = False
                    declared = [int(value) for value in _STRING_COUNT.findall(data[:4096])]
                    if declared and max(declared) > limit:
                        raise ImportFileError("xlsx_too_many_strings", f"{limit:,}".replace(",", "\u202f"))
                # An element cut by the chunk boundary is counted in the next round: keep from the last "<" on.
                cut = data.rfind(b"<")
                cut = len(data) if cut < 0 else cut
                found += len(_STRING_ELEMENT.findall(data, 0, cut))
                tail = data[cut:]
                if found > limit:
                    raise ImportFileError("xlsx_too_many_strings", f"{limit:,}".replace(",", "\u202f"))
            found += len(_STRING_ELEMENT.findall(tail))
            if found > limit:
                raise ImportFileError("xlsx_too_many_strings", f"{limit:,}".replace(",", "\u202f"))
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as error:
        raise ImportFileError("unreadable_xlsx", type(error).__name__) from None


def _inspect_xlsx(handle: IO[bytes], max_columns: int, limits: XlsxLimits) -> FileFormat:
    check_xlsx_archive(handle, limits)
    handle.seek(0)
    with _workbook(handle) as workbook:
        if not workbook.worksheets:
            raise ImportFileError("no_header")
        for row_number, values in _xlsx_rows(workbook):
            cells = [cell_text(value) for value in values]
            if _is_header(cells):
                return FileFormat("xlsx", None, None, clean_headers(cells, max_columns), row_number,
                                  workbook.worksheets[0].title)
    raise ImportFileError("no_header")


def cell_text(value: Any) -> str:
    """A spreadsheet cell as the text a person sees: dates as YYYY-MM-DD, 1000.0 as 1000, booleans as vrai/faux."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "vrai" if value else "faux"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_records(handle: IO[bytes], fmt: FileFormat) -> Iterator[tuple[int, list[str]]]:
    with _workbook(handle) as workbook:
        for row_number, values in _xlsx_rows(workbook):
            if row_number <= fmt.header_row:
                continue
            cells = [cell_text(value) for value in values]
            if any(cells):
                yield row_number, cells
