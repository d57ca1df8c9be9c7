"""Fixtures of the risk tests: the example breach of docs/examples/breach.json, and the facts form as a browser
posts it."""

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "breach.json"
# The example's events happen in October 2026: importing "as of" November 2026 keeps them in the past.
IMPORT_NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def example_document() -> dict:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


@pytest.fixture
def import_example(dpo, establishment):
    """``import_example(change=None)``: the example breach, imported after ``change(doc)`` edited its document."""
    from notifier.breaches.services import import_document

    def make(change=None):
        doc = copy.deepcopy(example_document())
        if change:
            change(doc)
        from notifier.extensions import db

        imported = import_document(doc, dpo, now=IMPORT_NOW)
        db.session.commit()  # as `notifier breach import` does
        return imported

    return make


@pytest.fixture
def example_breach(import_example):
    return import_example()


def facts_form(doc: dict, **changes) -> dict:
    """A facts document as the risk page's form posts it: ticked boxes only, numbers as typed."""
    doc = {**doc, **changes}
    data = {}
    for key, value in doc.items():
        if isinstance(value, bool):
            if value:
                data[key] = "y"
        elif value is None:
            data[key] = ""
        elif isinstance(value, list):
            data[key] = list(value)
        else:
            data[key] = str(value)
    return data


@pytest.fixture
def form_of():
    return facts_form
