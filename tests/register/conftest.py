"""Fixtures of the register tests: breaches imported from docs/examples/breach.json (edited per test)."""

import copy
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pdfplumber
import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "breach.json"
IMPORT_NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)  # the example's events are in October 2026


@pytest.fixture
def make_example(dpo, establishment):
    """``make_example(change)``: the example breach, imported after ``change(doc)`` edited its document."""
    from notifier.breaches.services import import_document

    def make(change=None):
        doc = copy.deepcopy(json.loads(EXAMPLE.read_text(encoding="utf-8")))
        if change:
            change(doc)
        from notifier.extensions import db

        imported = import_document(doc, dpo, now=IMPORT_NOW)
        db.session.commit()  # as `notifier breach import` does
        return imported

    return make


def not_notified(doc):
    """A small breach judged unlikely to result in a risk: a letter sent to the wrong, trusted, recipient who
    deleted it (EDPB Guidelines 01/2021 case 9). Not notified to the CNIL, still in the register (art. 33(5))."""
    doc["sections"]["notification"]["title"] = "Courrier adressé à un mauvais destinataire"
    doc["sections"]["nature"]["nature_details"] = "Compte rendu envoyé à un confrère au lieu du médecin traitant."
    doc["sections"]["origin"].update(origins=["wrong_recipient"], cause="internal_accidental")
    doc["sections"]["people"].update(people_count=1, people_categories=["patients"])
    doc["sections"]["data"].update(records_count=1)
    doc["sections"]["measures"]["measures_taken"] = "Le confrère a confirmé la destruction du courrier."
    doc["sections"]["information"].update(information_status="will_not_be", information_date=None,
                                          information_channels=[])
    for name in ("cnil_sent_at", "cnil_reference"):
        doc["sections"]["cnil_submission"][name] = None
    doc["sections"]["other_bodies"].update(ars_reported=False, ars_reported_at=None, ars_reference=None)
    doc["risk_facts"].update(data_types=["civil_status", "health"], identifiability="maximum",
                             confidentiality="known_recipients", recipient_trusted=True, malicious=False,
                             people_count=1, people_categories=["patients"])


@pytest.fixture
def two_breaches(make_example):
    """The example (notified to the CNIL) and a breach that was not notified."""
    return make_example(), make_example(not_notified)


def pdf_text(data: bytes) -> str:
    with pdfplumber.open(io.BytesIO(data)) as document:
        text = "\n".join(page.extract_text() or "" for page in document.pages)
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


@pytest.fixture
def read_pdf():
    return pdf_text
