"""Every export of the register and of the audit trail, read back as its reader sees it: each value under its own
heading (issue 13.12: the register PDF once printed the awareness date under "Statut").

PDFs are read with pdfplumber (its tables), XLSX with openpyxl, CSV with the csv module."""

import csv
import io

import openpyxl
import pdfplumber
import pytest

from notifier.audit import export as audit_export
from notifier.audit.labels import action_label, object_label
from notifier.audit.models import AuditEntry
from notifier.core.formatting import format_count, format_datetime
from notifier.extensions import db
from notifier.register import services as register
from notifier.register.services import Filters


def flat(text) -> str:
    """Text as a PDF table cell reads: line breaks and no-break spaces as plain spaces."""
    return " ".join(str(text).replace("\u00a0", " ").replace("\u202f", " ").split())


def pdf_tables(data: bytes) -> list[list[list[str]]]:
    with pdfplumber.open(io.BytesIO(data)) as document:
        return [[[flat(cell or "") for cell in row] for row in table]
                for page in document.pages for table in page.extract_tables()]


def shown(value) -> str:
    return flat(format_count(value, "fr") if isinstance(value, int) else value)


@pytest.fixture
def expected(two_breaches, dpo):
    return register.rows(dpo.organisation_id, Filters())


def test_register_csv_has_each_value_under_its_heading(expected, dpo):
    data = register.export("csv", dpo.organisation_id, Filters())
    read = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert len(read) == len(expected) == 2
    for line, entry in zip(read, expected, strict=True):
        for code, label in register.COLUMNS:
            assert line[label] == str(entry[code] if entry[code] is not None else ""), (label, line[label])
    assert read[0]["Statut"] == "En cours" and read[0]["Prise de connaissance"].startswith("23 octobre 2026")


def test_register_xlsx_has_each_value_under_its_heading_and_counts_as_numbers(expected, dpo):
    data = register.export("xlsx", dpo.organisation_id, Filters())
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    headings = list(rows[0])
    assert headings == register.headers("fr")
    for values, entry in zip(rows[1:], expected, strict=True):
        line = dict(zip(headings, values, strict=True))
        for code, label in register.COLUMNS:
            want = entry[code]
            got = line[label] if line[label] is not None else ""  # an empty text cell reads as None or ""
            assert got == (want if want is not None else ""), (label, got)
    first = dict(zip(headings, rows[1], strict=True))
    assert first["Nombre de personnes"] == 758912 and isinstance(first["Nombre de personnes"], int)
    assert first["Statut"] == "En cours"


def test_register_pdf_summary_puts_each_value_under_its_heading(expected, dpo):
    data = register.export("pdf", dpo.organisation_id, Filters(), organisation="Groupe Hospitalier Test")
    tables = pdf_tables(data)
    summary = next(table for table in tables if table[0][0] == "Référence")
    headings = summary[0]
    assert headings == [flat(label) for code, label in register.COLUMNS if code in register.SUMMARY_COLUMNS]
    lines = [dict(zip(headings, row, strict=True)) for row in summary[1:]]
    assert len(lines) == len(expected)
    for line, entry in zip(lines, expected, strict=True):
        for code, label in register.COLUMNS:
            if code in register.SUMMARY_COLUMNS:
                assert line[flat(label)] == shown(entry[code]), (label, line[flat(label)])
    assert lines[0]["Statut"] == "En cours"
    assert lines[0]["Prise de connaissance"].startswith("23 octobre 2026")


def test_register_pdf_entries_put_each_value_beside_its_heading(expected, dpo):
    data = register.export("pdf", dpo.organisation_id, Filters())
    labelled = {}  # (breach index, heading) -> value, from the two-column tables that follow the summary
    index, previous = -1, ""
    for table in pdf_tables(data):
        if table[0][0] == "Référence":
            continue
        for row in table:
            if len(row) != 2:
                continue
            heading, value = row
            if heading == "Établissement":
                index += 1
            if heading:
                labelled[(index, heading)] = value
            elif (index, previous) in labelled:  # a value continued on the next page
                labelled[(index, previous)] += " " + value
            previous = heading or previous
    for number, entry in enumerate(expected):
        for code, label in register.COLUMNS:
            if code in ("reference", "title"):
                continue
            assert labelled.get((number, flat(label)), "") == shown(entry[code] or ""), (number, label)


def audit_entries(dpo):
    return db.session.scalars(db.select(AuditEntry).where(AuditEntry.organisation_id == dpo.organisation_id)
                              .order_by(AuditEntry.id)).all()


def test_audit_csv_has_each_value_under_its_heading(two_breaches, dpo):
    data = audit_export.export("csv", organisation_id=dpo.organisation_id)
    read = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    stored = audit_entries(dpo)
    assert len(read) == len(stored) > 2
    for line, entry in zip(read, stored, strict=True):
        assert line["id"] == str(entry.id) and line["at"] == entry.at.isoformat()
        assert line["user_email"] == (entry.user_email or "") and line["action"] == entry.action
        assert line["object_type"] == (entry.object_type or "") and line["object_id"] == str(entry.object_id or "")
        assert line["breach_id"] == str(entry.breach_id or "") and line["entry_hash"] == entry.entry_hash
        assert line["previous_hash"] == (entry.previous_hash or "")


def test_audit_pdf_has_each_value_under_its_heading_in_paris_time_with_utc_beside(two_breaches, dpo):
    data = audit_export.export("pdf", organisation_id=dpo.organisation_id)
    rows = [row for table in pdf_tables(data) for row in table]
    headings = rows[0]
    assert headings == ["N°", "Date et heure (Paris)", "UTC", "Utilisateur", "Action", "Objet", "Empreinte"]
    lines = [dict(zip(headings, row, strict=True)) for row in rows[1:] if row != headings]
    stored = audit_entries(dpo)
    assert len(lines) == len(stored)
    for line, entry in zip(lines, stored, strict=True):
        assert line["N°"] == str(entry.id)
        assert line["Date et heure (Paris)"] == flat(format_datetime(entry.at, "fr"))
        assert line["UTC"] == audit_export.utc_text(entry.at)
        assert line["Utilisateur"] == (entry.user_email or "—")
        assert line["Action"].replace(" ", "") == (action_label(entry.action, "fr") + entry.action).replace(" ", "")
        assert line["Objet"].startswith(object_label(entry.object_type, "fr"))
        assert line["Empreinte"].replace(" ", "") == entry.entry_hash
    # 25 October 2026 16:40 UTC is 18:40 in Paris (summer time ends that night at 03:00).
    assert any(line["UTC"].endswith("UTC") for line in lines)
