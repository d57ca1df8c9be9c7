"""The 2D code of a generated letter carries the public page's URL (NOTIFIER_PUBLIC_URL + "/verifier?reference=REF")
so that a phone's camera opens "this letter is genuine"; without a public address it carries the reference alone.
Checked as a scanner reads it: the lot's page rasterised by PDFium, decoded by ZXing, on a stamped letter and on a
letter rendered by WeasyPrint (a right-to-left name)."""

from datetime import date

import pytest

from notifier.extensions import db
from notifier.letters import jobs as letter_jobs
from notifier.letters import services as letters
from notifier.patients.models import Patient, PatientImport

PUBLIC_URL = "https://www.lilas.test/notifier"


def scanned_codes(lot, page_number: int) -> list[str]:
    import pypdfium2
    import zxingcpp

    document = pypdfium2.PdfDocument(lot)
    try:
        image = document[page_number - 1].render(scale=200 / 72, grayscale=True).to_pil()
    finally:
        document.close()
    return [code.text for code in zxingcpp.read_barcodes(image) if code.format == zxingcpp.BarcodeFormat.QRCode]


def two_patients(breach):
    upload = PatientImport(breach_id=breach.id, filename="p.csv", sha256="0" * 64, status="done", read=2, accepted=2)
    db.session.add(upload)
    db.session.flush()
    for row, (ipp, first, last) in enumerate((("IPP1", "Zoé", "ŒUVRARD"), ("IPP2", "يوسف", "BENALI")), start=2):
        db.session.add(Patient(
            breach_id=breach.id, import_id=upload.id, row_number=row, patient_id=ipp, civility="mme",
            first_name=first, last_name=last, birth_date=date(1970, 1, 1),
            address_lines=[f"Madame {first} {last}", "12 RUE DE LA PAIX", "35000 RENNES"], postcode="35000",
            city="RENNES", status="ready", salutation="Madame,"))
    db.session.commit()


def generate(breach, dpo, legal, out):
    draft = letters.TemplateDraft(lang="fr", texts=letters.default_texts(breach, "fr"), letter_date=date(2026, 3, 16))
    template = letters.save_template(breach, dpo, "standard", draft)
    letters.approve_template(template, legal)
    db.session.commit()
    job = letter_jobs.start_job(breach, user=None, out_dir=out, lot_size=10).job
    for number in letter_jobs.chunk_numbers(job.id, "pending"):
        assert letter_jobs.run_chunk(job.id, number) == "done"
    assert letter_jobs.finalize(job.id) == "done"
    import csv

    with open(out / "manifest.csv", encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_2d_code_of_a_generated_letter_opens_the_verification_page(app, breach, dpo, legal, tmp_path):
    app.config["PUBLIC_URL"] = PUBLIC_URL + "/"  # a trailing slash is not doubled
    two_patients(breach)
    rows = generate(breach, dpo, legal, tmp_path / "out")
    assert len(rows) == 2
    for row in rows:  # IPP1 stamped, IPP2 (Arabic script) rendered by WeasyPrint
        expected = f"{PUBLIC_URL}/verifier?reference={row['reference']}"
        assert scanned_codes(tmp_path / "out" / row["lot"], int(row["first_page"])) == [expected], row


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_without_a_public_address_the_2d_code_is_the_reference_alone(app, breach, dpo, legal, tmp_path):
    app.config["PUBLIC_URL"] = None
    two_patients(breach)
    for row in generate(breach, dpo, legal, tmp_path / "out"):
        assert scanned_codes(tmp_path / "out" / row["lot"], int(row["first_page"])) == [row["reference"]]


def test_the_verification_url_is_the_public_address_and_the_page_path():
    assert letters.verification_url("VIO-2026-0001-6579450-5", "https://h.test/") == (
        "https://h.test/verifier?reference=VIO-2026-0001-6579450-5")
    assert letters.verification_url("VIO-2026-0001-6579450-5", "  ") == "VIO-2026-0001-6579450-5"
