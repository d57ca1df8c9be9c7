"""Fixtures of the letters tests: patients inserted directly (as the importer stores them), letter templates, and
helpers reading the lots back from the PDFs themselves (given as fixtures: test modules are imported without a
package)."""

import asyncio
import contextlib
import csv
import io
import socket
import threading
import time
from datetime import date
from email import message_from_bytes
from email.policy import default
from types import SimpleNamespace

import pdfplumber
import pytest

from notifier.extensions import db
from notifier.patients.models import Patient, PatientImport

# (IPP, civility, first name, LAST NAME, address lines after the name, postcode, city, status, holds, segment)
PEOPLE = [
    ("IPP001", "mme", "Zoé", "ŒUVRARD", ["APPARTEMENT 3", "12 RUE DE LA PAIX"], "35000", "RENNES", "ready", [], None),
    ("IPP002", "m", "Jürgen", "STRAUß", ["4 AVENUE JEAN JAURES"], "13001", "MARSEILLE", "ready", [], None),
    ("IPP003", "mme", "Małgorzata", "ŁUKASIEWICZ", ["8 RUE DES TROIS FRERES"], "75018", "PARIS", "ready", [],
     "prescriptions"),
    ("IPP004", "m", "Oğuz", "DOĞAN", ["BATIMENT A", "2 PLACE DU MARCHE"], "69003", "LYON", "ready", [], None),
    ("IPP005", "mme", "Anaïs", "LEFÈVRE", ["15 QUAI DES BATELIERS"], "67000", "STRASBOURG", "ready", [],
     "prescriptions"),
    ("IPP006", "m", "Loïc", "LE GOFF", ["LIEU DIT LES GRANGES"], "29200", "BREST", "held", ["deceased"], None),
    ("IPP007", "mme", "Inès", "N'DIAYE", ["7 RUE EMILE ZOLA"], "59000", "LILLE", "ready", [], None),
    # Arabic script: right-to-left, which the fast path refuses; WeasyPrint renders this letter.
    ("IPP008", "m", "يوسف", "BENALI", ["21 RUE DE LA REPUBLIQUE"], "13001", "MARSEILLE", "ready", [], None),
    ("IPP009", "mme", "Hélène", "MÜLLER", ["3 CHEMIN DES ECOLIERS"], "01000", "BOURG EN BRESSE", "ready", [], None),
    ("IPP010", "m", "Théo", "MINEUR", ["9 RUE DU MOULIN"], "75011", "PARIS", "held", ["minor_without_representative"],
     None),
    ("IPP011", "m", "Noël", "DUPRÉ", ["1 ALLEE DES TILLEULS"], "97400", "SAINT DENIS", "ready", [], None),
    ("IPP012", "mme", "Cécile", "BRÉHIER", ["5 BOULEVARD VICTOR HUGO"], "75011", "PARIS", "ready", [], None),
]


def name_line(civility, first_name, last_name):
    return f"{'Madame' if civility == 'mme' else 'Monsieur'} {first_name} {last_name}"


def add_patients(breach, people=PEOPLE):
    """Insert patients as the importer would have stored them; returns them in insertion order."""
    upload = PatientImport(breach_id=breach.id, filename="patients.csv", sha256="0" * 64, status="done",
                           read=len(people), accepted=len(people))
    db.session.add(upload)
    db.session.flush()
    patients = []
    for row_number, (ipp, civility, first, last, lines, postcode, city, status, holds, segment) in enumerate(
            people, start=2):
        patient = Patient(
            breach_id=breach.id, import_id=upload.id, row_number=row_number, patient_id=ipp, civility=civility,
            first_name=first, last_name=last, birth_date=date(1970, 1, 1),
            address_lines=[name_line(civility, first, last), *lines, f"{postcode} {city}"], postcode=postcode,
            city=city, status=status, holds=holds, segment=segment,
            salutation="Madame," if civility == "mme" else "Monsieur,")
        db.session.add(patient)
        patients.append(patient)
    db.session.commit()
    return patients


def bulk_patients(breach, count, start=0, postcodes=("01000", "13001", "35000", "69003", "75011", "97400")):
    """`count` plain patients inserted in one statement (for jobs of several lots)."""
    upload = PatientImport(breach_id=breach.id, filename="bulk.csv", sha256="1" * 64, status="done")
    db.session.add(upload)
    db.session.flush()
    rows = []
    for index in range(start, start + count):
        postcode = postcodes[index % len(postcodes)]
        rows.append({"breach_id": breach.id, "import_id": upload.id, "row_number": index + 2,
                     "patient_id": f"B{index:06d}", "civility": "mme", "first_name": "Agnès",
                     "last_name": f"PATIENTE{index:06d}",
                     "address_lines": [f"Madame Agnès PATIENTE{index:06d}", f"{index} RUE DE LA PAIX",
                                       f"{postcode} VILLE"],
                     "postcode": postcode, "city": "VILLE", "status": "ready", "holds": [], "salutation": "Madame,",
                     "deceased": False, "protected_adult": False, "confidential_care": False, "normalisations": []})
    db.session.execute(Patient.__table__.insert(), rows)
    db.session.commit()


def make_template(breach, author, *, variant="standard", approver=None, **changes):
    from notifier.letters import services as letters

    lang = changes.pop("lang", "fr")
    texts = letters.default_texts(breach, lang if lang in ("fr", "en") else "fr")
    texts.update(changes.pop("texts", {}))
    draft = letters.TemplateDraft(lang=lang, texts=texts, letter_date=date(2026, 3, 16), **changes)
    template = letters.save_template(breach, author, variant, draft)
    if approver is not None:
        letters.approve_template(template, approver)
    db.session.commit()
    return template


def run_here(job_id: int) -> list[str]:
    """Run every chunk of a job in this process, in order (the same run_chunk the runners schedule)."""
    from notifier.letters import jobs as letter_jobs

    return [letter_jobs.run_chunk(job_id, number) for number in letter_jobs.chunk_numbers(job_id, "pending")]


def read_lot(path, pages=None):
    """A lot's page count and, for each page asked (numbers from 1; default all), its text and characters."""
    with pdfplumber.open(path) as document:
        chosen = range(1, len(document.pages) + 1) if pages is None else pages
        return SimpleNamespace(count=len(document.pages), pages={
            number: {"text": document.pages[number - 1].extract_text() or "",
                     "chars": list(document.pages[number - 1].chars)} for number in chosen})


def read_manifest(path):
    with open(path, encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def pdf_text(data: bytes) -> str:
    with pdfplumber.open(io.BytesIO(data)) as document:
        return "\n".join(page.extract_text() or "" for page in document.pages)


def watermarks(data: bytes) -> list[str]:
    """Per page, the text drawn in letters larger than 50 pt: the draft watermark, if any."""
    with pdfplumber.open(io.BytesIO(data)) as document:
        return ["".join(char["text"] for char in page.chars if char["size"] > 50) for page in document.pages]


@pytest.fixture
def people(breach):
    return add_patients(breach)


@pytest.fixture
def approved(breach, dpo, legal, people):
    return make_template(breach, dpo, approver=legal)


@pytest.fixture(scope="session")
def helpers():
    return SimpleNamespace(add_patients=add_patients, bulk_patients=bulk_patients, make_template=make_template,
                           read_lot=read_lot, read_manifest=read_manifest, pdf_text=pdf_text, watermarks=watermarks,
                           name_line=name_line, run_here=run_here, PEOPLE=PEOPLE)


# --- a real SMTP server (aiosmtpd) on 127.0.0.1, for the e-mail tests -------------------------------------------


class Recorder:
    """aiosmtpd handler: keeps every accepted message, answers like Postfix with a queue id, refuses the recipients
    of @refused.test (550) and of @later.test (451), and can hold the n-th RCPT until released."""

    def __init__(self) -> None:
        self.messages = []
        self.times = []
        self.port = 0
        self.hold_at: int | None = None  # 1-based number of the RCPT to hold
        self.held = threading.Event()
        self.release = threading.Event()
        self.rcpts = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpts += 1
        if self.hold_at is not None and self.rcpts == self.hold_at:
            self.held.set()
            while not self.release.is_set():
                await asyncio.sleep(0.01)
            return "451 4.3.0 try again"
        if address.endswith("@refused.test"):
            return "550 5.1.1 <" + address + ">: Recipient address rejected: User unknown"
        if address.endswith("@later.test"):
            return "451 4.7.1 greylisted, come back later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        self.times.append(time.monotonic())
        return f"250 2.0.0 Ok: queued as Q{len(self.messages):05d}"

    def parsed(self):
        return [message_from_bytes(envelope.content, policy=default) for envelope in self.messages]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running_smtp_server():
    from aiosmtpd.controller import Controller

    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    recorder.port = controller.port
    try:
        yield recorder
    finally:
        recorder.release.set()
        controller.stop()


@pytest.fixture
def smtp(app):
    with running_smtp_server() as recorder:
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=recorder.port, MAIL_FROM="dpo-notification@lilas.test",
                          EMAIL_RATE=None)
        yield recorder
