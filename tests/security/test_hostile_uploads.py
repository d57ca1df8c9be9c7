"""Attacks by upload (issue 12, points 3 and 4): a small CSV whose header line has thousands of repeated columns,
and an XLSX zip bomb. Each is refused with a clear message before any row is read, in bounded time and memory."""

import io
import json
import subprocess
import sys
import textwrap
import zipfile

import pytest

from notifier.patients.rules.files import (
    XlsxLimits,
    check_xlsx_archive,
    clean_headers,
    inspect_file,
)
from notifier.patients.rules.rows import ImportFileError, check_mapping, detect_mapping


def _traced_lines(function, *args, **kwargs):
    """Run `function` counting the Python lines executed in the patient file rules: an operation count that does
    not depend on the machine's speed."""
    lines = 0

    def tracer(frame, event, _arg):
        nonlocal lines
        if "notifier/patients/rules" in frame.f_code.co_filename:
            if event == "line":
                lines += 1
            return tracer
        return None

    sys.settrace(tracer)
    try:
        result = function(*args, **kwargs)
    finally:
        sys.settrace(None)
    return result, lines


def test_a_header_of_3000_repeated_columns_is_refused_before_any_row_is_read():
    data = (";".join(["x"] * 3000) + "\n" + ";".join(["1"] * 3000) + "\n").encode()
    assert len(data) < 13_000
    with pytest.raises(ImportFileError) as refused:
        inspect_file(io.BytesIO(data), "patients.csv")
    assert refused.value.code == "too_many_columns"
    assert refused.value.message("fr") == "Trop de colonnes sur la ligne d'en-tête\u00a0: 3000 > 200"
    assert refused.value.message("en") == "Too many columns on the header line: 3000 > 200"


def test_a_header_of_100000_repeated_columns_is_refused_in_a_linear_number_of_steps():
    cells = ["x"] * 100_000

    def refused_headers():
        try:
            clean_headers(cells, 200)
        except ImportFileError as error:
            return error
        return None

    error, lines = _traced_lines(refused_headers)
    assert error is not None and error.code == "too_many_columns" and lines < 100
    data = (",".join(cells) + "\n").encode()
    with pytest.raises(ImportFileError) as refused:
        inspect_file(io.BytesIO(data), "patients.csv")
    assert refused.value.detail == "100000 > 200"


def test_cleaning_repeated_headers_is_linear_even_without_a_limit():
    headers, lines = _traced_lines(clean_headers, ["x"] * 3000 + ["x (2)", " ", "Nom", ""], 10_000)
    assert headers[:3] == ("x", "x (2)", "x (3)") and headers[2999] == "x (3000)"
    assert headers[3000:] == ("x (2) (2)", "colonne 3002", "Nom")
    assert lines < 20 * 3003  # the old search from "(2)" in a list ran about 4.5 million lines here


def test_the_mapping_of_many_columns_is_checked_in_a_linear_number_of_steps():
    headers = [f"colonne {n}" for n in range(5000)] + ["IPP", "Nom", "Date de naissance", "Adresse", "CP", "Ville"]
    saved = {header: "" for header in headers[:5000]}
    detected, lines = _traced_lines(detect_mapping, headers, saved)
    assert detected.missing_required == [] and lines < 30 * len(headers)
    mapping = {**saved, **detected.mapping}
    used, lines = _traced_lines(check_mapping, headers, mapping)
    assert len(used) == 6 and lines < 30 * len(headers)


def test_the_column_limit_is_a_setting_and_the_web_page_explains_it(app, dpo_client, breach):
    app.config["IMPORT_MAX_COLUMNS"] = 5
    data = "IPP;Nom;Prénom;Date de naissance;Adresse;Code postal;Ville\n1;A;B;01/01/1960;1 rue;75001;Paris\n"
    response = dpo_client.post(f"/breaches/{breach.id}/patients/imports",
                               data={"file": (io.BytesIO(data.encode()), "patients.csv")},
                               content_type="multipart/form-data")
    page = dpo_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Trop de colonnes sur la ligne d&#39;en-tête\u00a0: 7 &gt; 5" in page


# --- XLSX zip bombs --------------------------------------------------------------------------------------------------

def _workbook_parts(shared_strings_writer) -> dict:
    return {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
            'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"'
            '/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
            'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships"><sheets><sheet name="Patients" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://'
            'schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"'
            '/></Relationships>'),
        "xl/worksheets/sheet1.xml": (
            '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            'spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v>'
            '</c></row></sheetData></worksheet>'),
        "xl/sharedStrings.xml": shared_strings_writer,
    }


def write_bomb(path, strings: int, *, declared: int | None = None, text_of=lambda n: f"{n:x}") -> None:
    """A workbook whose sharedStrings.xml holds `strings` strings and declares `declared` (streamed: the test never
    holds it whole)."""
    declared = strings if declared is None else declared

    def shared_strings(out):
        out.write(f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
                  f'spreadsheetml/2006/main" count="{declared}" uniqueCount="{declared}">'.encode())
        batch = 100_000
        for start in range(0, strings, batch):
            out.write("".join(f"<si><t>{text_of(n)}</t></si>" for n in range(start, min(start + batch, strings)))
                      .encode())
        out.write(b"</sst>")

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, content in _workbook_parts(shared_strings).items():
            if callable(content):
                with archive.open(name, "w", force_zip64=True) as out:
                    content(out)
            else:
                archive.writestr(name, content)


def declare_size(path, member: str, size: int) -> None:
    """Rewrite the uncompressed size that the central directory declares for `member` (what a zip bomb's maker
    controls): zipfile trusts it and never inflates past it."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    entry = data.index(b"PK\x01\x02")
    while data[entry + 46:entry + 46 + len(name)] != name:
        entry = data.index(b"PK\x01\x02", entry + 4)
    data[entry + 24:entry + 28] = size.to_bytes(4, "little")
    path.write_bytes(bytes(data))


def test_an_xlsx_declaring_a_480_mb_part_is_refused_from_its_directory_alone(tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/sharedStrings.xml", "<sst>" + "<si><t>x</t></si>" * 1000 + "</sst>")
    declare_size(path, "xl/sharedStrings.xml", 480 * 1024 * 1024)
    with open(path, "rb") as handle, pytest.raises(ImportFileError) as refused:
        inspect_file(handle, "patients.xlsx")
    assert refused.value.code == "xlsx_too_large"
    assert refused.value.message("fr") == ("Classeur XLSX refusé\u00a0: xl/sharedStrings.xml 480 Mio > 100 Mio "
                                           "(archive trop volumineuse une fois décompressée)")


def test_a_part_compressed_more_than_the_ratio_allows_is_refused(tmp_path):
    path = tmp_path / "ratio.xlsx"
    write_bomb(path, 200_000, text_of=lambda n: "a")  # 3.4 MB of one repeated string: about 500 times smaller
    with open(path, "rb") as handle, pytest.raises(ImportFileError) as refused:
        check_xlsx_archive(handle, XlsxLimits())
    assert refused.value.code == "xlsx_too_large" and "compressé" in refused.value.detail


def test_the_declared_number_of_strings_is_refused_before_the_strings_are_read(tmp_path):
    path = tmp_path / "declared.xlsx"
    write_bomb(path, 10, declared=20_000_000)
    with open(path, "rb") as handle, pytest.raises(ImportFileError) as refused:
        inspect_file(handle, "patients.xlsx")
    assert refused.value.code == "xlsx_too_many_strings"
    assert refused.value.message("fr") == ("Classeur XLSX refusé\u00a0: plus de 2\u202f000\u202f000 textes distincts "
                                           "(sharedStrings.xml)")


def test_strings_beyond_the_limit_are_counted_while_streaming_whatever_the_declared_count(tmp_path):
    path = tmp_path / "lying.xlsx"
    write_bomb(path, 1200, declared=1)
    with open(path, "rb") as handle, pytest.raises(ImportFileError) as refused:
        check_xlsx_archive(handle, XlsxLimits(max_shared_strings=1000))
    assert refused.value.code == "xlsx_too_many_strings"
    with open(path, "rb") as handle:  # exactly at the limit, across 1 MiB chunk boundaries: accepted
        check_xlsx_archive(handle, XlsxLimits(max_shared_strings=1200))


def test_a_real_workbook_passes_the_checks(tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["IPP", "Nom", "Date de naissance", "Adresse", "Code postal", "Ville"])
    for n in range(2000):
        sheet.append([f"{n:06d}", f"Nom{n}", "01/01/1960", f"{n} rue des Lilas", "75020", "Paris"])
    workbook.save(tmp_path / "real.xlsx")
    fmt = inspect_file(tmp_path / "real.xlsx")
    assert fmt.kind == "xlsx" and fmt.headers[0] == "IPP"


PEAK_SCRIPT = textwrap.dedent("""
    import json, sys
    from notifier.patients.rules.files import ImportFileError, inspect_file
    try:
        inspect_file(sys.argv[1])
        outcome = "read"
    except ImportFileError as error:
        outcome = error.code
    # VmHWM is this process's own peak; ru_maxrss would also count the pytest parent's pages at fork time.
    status = open("/proc/self/status").read()
    peak = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
    print(json.dumps({"outcome": outcome, "peak_kib": peak}))
""")


def test_a_zip_bomb_of_millions_of_strings_is_refused_and_memory_stays_under_the_import_ceiling(tmp_path):
    """4.5 million strings in a 98 MB sharedStrings.xml (under the part size limit) that lies about its count:
    openpyxl would keep them all in memory (over 400 MiB); the import's ceiling is 300 MiB."""
    path = tmp_path / "bomb.xlsx"
    write_bomb(path, 4_500_000, declared=1)
    assert path.stat().st_size < 30 * 1024 * 1024
    run = subprocess.run([sys.executable, "-c", PEAK_SCRIPT, str(path)], capture_output=True, text=True,
                         timeout=600, check=True)
    result = json.loads(run.stdout)
    assert result["outcome"] == "xlsx_too_many_strings"
    assert result["peak_kib"] < 300 * 1024
