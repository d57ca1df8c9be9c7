"""Fixtures of the report tests: the realistic breach of docs/examples/breach.json, and PDF reading helpers (given as
the `pdf` fixture, since test modules are imported without a package)."""

import copy
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pdfplumber
import pikepdf
import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "breach.json"
# The example's events happen in October 2026; importing "as of" November 2026 keeps them in the past whatever the
# machine's clock says.
IMPORT_NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def example_document() -> dict:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def import_example(user, change=None):
    from notifier.breaches.services import import_document

    doc = copy.deepcopy(example_document())
    if change:
        change(doc)
    from notifier.extensions import db

    imported = import_document(doc, user, now=IMPORT_NOW)
    db.session.commit()  # as `notifier breach import` does
    return imported


@pytest.fixture
def example_breach(dpo, establishment):
    return import_example(dpo)


@pytest.fixture
def make_example(dpo, establishment):
    """``make_example(change)``: the example breach, imported after ``change(doc)`` edited its document."""
    return lambda change=None: import_example(dpo, change)


def normalise(text: str) -> str:
    """One space for any run of whitespace, no-break spaces included: a table cell may wrap anywhere."""
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


def pdf_text(pdf: bytes) -> str:
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return normalise("\n".join(page.extract_text() or "" for page in document.pages))


def squash(text: str) -> str:
    """No whitespace at all: for long values, which a PDF line may break anywhere, even inside "</b>"."""
    return "".join(text.split())


def pdf_rows(pdf: bytes) -> list[list[str]]:
    """Every row of every ruled table, each cell's text normalised."""
    rows = []
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        for page in document.pages:
            for table in page.extract_tables():
                rows.extend([normalise(cell or "") for cell in row] for row in table)
    return rows


def pdf_pages(pdf: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return [normalise(page.extract_text() or "") for page in document.pages]


def open_pdf(pdf: bytes) -> pikepdf.Pdf:
    return pikepdf.open(io.BytesIO(pdf))


def positions_in_order(text: str, needles: list[str]) -> list[int]:
    """The position of each needle, each searched after the previous one; -1 once one is missing."""
    found, start = [], 0
    for needle in needles:
        index = text.find(needle, start)
        found.append(index)
        if index < 0:
            break
        start = index + len(needle)
    return found


@pytest.fixture
def pdf():
    return SimpleNamespace(text=pdf_text, pages=pdf_pages, rows=pdf_rows, open=open_pdf, normalise=normalise,
                           squash=squash,
                           in_order=positions_in_order, import_now=IMPORT_NOW)
