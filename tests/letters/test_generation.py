"""The generation job, checked from the PDFs themselves: one letter per ready patient and none for held ones, each
letter with its own patient's name and address inside the window, lots sorted by postcode behind a cover sheet,
fonts embedded, drafts watermarked, and manifest.csv.

The mailing is generated once for the module (drafts, then the approved letters, through the real runner with two
worker processes, on SQLite); the behaviours that depend on the database run on SQLite and PostgreSQL below."""

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from notifier import create_app
from notifier.accounts.organisations import Establishment, Organisation
from notifier.accounts.services import add_user
from notifier.breaches.services import create_breach
from notifier.documents.letter import LetterBoxes
from notifier.documents.preflight import unembedded_fonts
from notifier.extensions import db
from notifier.letters import jobs as letter_jobs
from notifier.letters import services as letters
from notifier.letters.models import Letter, LetterChunk
from notifier.letters.runners import run_job
from notifier.patients.models import Patient

MM = 72 / 25.4
WINDOW = LetterBoxes().address  # La Poste window: 110 mm from the left, 55 mm from the top, 85 x 35 mm
EPSILON = 0.01
WATERMARK_SIZE = 50  # points: the watermark's letters are far larger than any text


def generate(app, breach, out: Path, **options) -> Path:
    options = {"lot_size": 5, **options}
    workers = options.pop("workers", 1)
    started = letter_jobs.start_job(breach, user=None, out_dir=out, **options)
    assert run_job(app, started.job.id, workers=workers) == "done"
    return out


def read_mailing(out: Path, helpers, *, all_pages=False) -> SimpleNamespace:
    manifest = helpers.read_manifest(out / "manifest.csv")
    lots = {}
    for path in sorted(out.glob("lot-*.pdf")):
        wanted = None if all_pages else [1] + [int(row["first_page"]) for row in manifest if row["lot"] == path.name]
        lots[path.name] = helpers.read_lot(path, wanted)
    return SimpleNamespace(out=out, manifest=manifest, lots=lots)


@pytest.fixture(scope="module")
def mailing(tmp_path_factory, helpers):
    """Drafts before approval, then the letters as sent, for the twelve patients of conftest.PEOPLE."""
    folder = tmp_path_factory.mktemp("mailing")
    url = f"sqlite:///{folder / 'mailing.db'}"
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test",
                      "STORAGE_DIR": str(folder / "storage"), "AUDIT_KEY": "test",
                      "AUDIT_SIGNING_KEY": str(folder / "audit_signing_key"),
                      "AUDIT_CHECKPOINT_FILE": str(folder / "audit-checkpoints.jsonl")})
    with app.app_context():
        db.create_all()
        organisation = Organisation(name="Groupe Hospitalier Test")
        establishment = Establishment(organisation=organisation, name="Clinique des Lilas", dpo_name="Claire Martin",
                                      address="3 rue des Lilas, 75020 Paris", dpo_email="dpo@lilas.test")
        db.session.add_all([organisation, establishment])
        db.session.commit()
        dpo = add_user("dpo@lilas.test", "dpo", "correct horse battery staple", organisation=organisation)
        legal = add_user("legal@lilas.test", "legal", "correct horse battery staple", organisation=organisation)
        breach = create_breach(dpo, establishment)
        people = {p.patient_id: SimpleNamespace(patient_id=p.patient_id, status=p.status, last_name=p.last_name,
                                                postcode=p.postcode, address_lines=list(p.address_lines))
                  for p in helpers.add_patients(breach)}
        template = helpers.make_template(breach, dpo)
        drafts = generate(app, breach, folder / "drafts", draft=True, lot_size=20, workers=2)
        letters.approve_template(template, legal)
        db.session.commit()
        final = generate(app, breach, folder / "final", workers=2)
        naive_lots = {chunk.lot_name: chunk.naive for chunk in LetterChunk.query.filter(LetterChunk.job_id == 2)}
        reprints = {ipp: letters.reprint(breach, ipp, via="cli") for ipp in ("IPP001", "IPP008")}
        counts = letters.breach_letter_counts(breach.id)
        references = {ipp: letters.letter_reference(breach.reference, number) for ipp, number in db.session.execute(
            db.select(Patient.patient_id, Letter.number).join(Letter, Letter.patient_pk == Patient.id))}
        breach_reference = breach.reference
        db.session.remove()
        db.engine.dispose()
    return SimpleNamespace(final=read_mailing(final, helpers), drafts=read_mailing(drafts, helpers, all_pages=True),
                           people=people, naive_lots=naive_lots, reprints=reprints, counts=counts,
                           references=references, breach_reference=breach_reference)


def letter_page(mailing, row):
    return mailing.lots[row["lot"]].pages[int(row["first_page"])]


def inside(page, box) -> str:
    return "".join(char["text"] for char in page["chars"] if char["text"].strip()
                   and box.left - EPSILON <= char["x0"] / MM and char["x1"] / MM <= box.right + EPSILON
                   and box.top - EPSILON <= char["top"] / MM and char["bottom"] / MM <= box.bottom + EPSILON)


def test_every_ready_patient_has_exactly_one_letter_and_held_patients_none(mailing):
    final = mailing.final
    letter_pages = "\n".join(page["text"] for lot in final.lots.values() for number, page in lot.pages.items()
                             if number > 1)  # cover sheets left out
    ready = sorted(ipp for ipp, p in mailing.people.items() if p.status == "ready")
    assert sorted(row["patient_id"] for row in final.manifest) == ready and len(ready) == 10
    for row in final.manifest:
        # First pages only are read here: in its reference box, and in the page's footer ("Référence ... · page 1 / N").
        assert letter_pages.count(row["reference"]) == 2
    for patient in mailing.people.values():
        # The last name is on line 1 of the address block only (the Arabic first name is extracted reversed).
        assert letter_pages.count(patient.last_name) == (1 if patient.status == "ready" else 0), patient.last_name
    assert mailing.counts == {"generated": 10}


def test_each_letter_shows_its_patients_name_and_address_and_nobody_elses(mailing):
    for row in mailing.final.manifest:
        patient = mailing.people[row["patient_id"]]
        text = letter_page(mailing.final, row)["text"]
        for line in patient.address_lines[1:]:
            assert line in text
        assert patient.last_name in text and row["reference"] in text
        assert [other.last_name for other in mailing.people.values() if other.last_name in text] == [patient.last_name]


def test_the_address_lies_inside_the_window_zone(mailing):
    for row in mailing.final.manifest:
        patient = mailing.people[row["patient_id"]]
        shown = inside(letter_page(mailing.final, row), WINDOW)
        expected = "".join(patient.address_lines).replace(" ", "")
        if patient.patient_id == "IPP008":  # right-to-left first name, rendered by WeasyPrint, extracted reversed
            assert sorted(shown) == sorted(expected)
        else:
            assert shown == expected


def test_lots_are_sorted_by_postcode_behind_a_cover_sheet_with_one_page_count(mailing):
    final = mailing.final
    postcode = {ipp: p.postcode for ipp, p in mailing.people.items()}
    in_order = [postcode[row["patient_id"]] for row in final.manifest]
    assert in_order == sorted(in_order)
    assert sorted(final.lots) == ["lot-0001.pdf", "lot-0002.pdf"]
    for name, lot in final.lots.items():
        rows = [row for row in final.manifest if row["lot"] == name]
        codes = [postcode[row["patient_id"]] for row in rows]
        cover = " ".join(lot.pages[1]["text"].split())
        assert f"Nombre de lettres : {len(rows)}" in cover
        assert f"Codes postaux : {min(codes)} à {max(codes)}" in cover
        assert "Impression : recto seul" in cover  # LETTER_DUPLEX off, the default
        assert {row["page_count"] for row in rows} == {"2"}
        assert lot.count == 1 + 2 * len(rows)
        assert [int(row["first_page"]) for row in rows] == list(range(2, 2 + 2 * len(rows), 2))


def test_a_letter_the_fast_path_refuses_is_rendered_by_weasyprint_in_its_own_place(mailing):
    row = next(row for row in mailing.final.manifest if row["patient_id"] == "IPP008")
    assert mailing.naive_lots == {"lot-0001.pdf": 1, "lot-0002.pdf": 0}
    assert len([r for r in mailing.final.manifest if r["lot"] == row["lot"]]) == 5  # among the stamped letters
    assert "BENALI" in letter_page(mailing.final, row)["text"]


def test_fonts_are_embedded_in_every_lot(mailing):
    for path in [*mailing.final.out.glob("lot-*.pdf"), *mailing.drafts.out.glob("lot-*.pdf")]:
        assert unembedded_fonts(path.read_bytes()) == [], path.name


def test_draft_letters_carry_the_watermark_on_every_page_and_letters_as_sent_do_not(mailing):
    drafts, final = mailing.drafts, mailing.final
    lot = drafts.lots["lot-0001.pdf"]
    assert "PROJET : NE PAS POSTER" in " ".join(lot.pages[1]["text"].split())
    for number in range(2, lot.count + 1):
        assert "".join(c["text"] for c in lot.pages[number]["chars"] if c["size"] > WATERMARK_SIZE) == "PROJET"
    for row in final.manifest:
        assert not [c for c in letter_page(final, row)["chars"] if c["size"] > WATERMARK_SIZE]
        assert "PROJET" not in letter_page(final, row)["text"]


def test_the_manifest_has_the_contract_columns_and_references_stable_across_runs(mailing):
    header = (mailing.final.out / "manifest.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "reference,patient_id,lot,first_page,page_count,sha256"
    pattern = re.compile(re.escape(mailing.breach_reference) + r"-\d{7}-[0-9A-Z]$")
    for row in mailing.final.manifest:
        assert pattern.match(row["reference"]) and re.fullmatch(r"[0-9a-f]{64}", row["sha256"])
        assert row["reference"] == mailing.references[row["patient_id"]]
    draft_references = {row["patient_id"]: row["reference"] for row in mailing.drafts.manifest}
    assert draft_references == {row["patient_id"]: row["reference"] for row in mailing.final.manifest}
    draft_digests = {row["sha256"] for row in mailing.drafts.manifest}
    assert draft_digests.isdisjoint(row["sha256"] for row in mailing.final.manifest)  # a draft is another letter


def scanned_codes(lot: Path, page_number: int) -> list[str]:
    """What a barcode scanner reads on a printed page: the page rasterised at 200 dpi (PDFium), decoded by ZXing."""
    import pypdfium2
    import zxingcpp

    document = pypdfium2.PdfDocument(lot)
    try:
        image = document[page_number - 1].render(scale=200 / 72, grayscale=True).to_pil()
    finally:
        document.close()
    return [code.text for code in zxingcpp.read_barcodes(image) if code.format == zxingcpp.BarcodeFormat.QRCode]


def test_the_2d_code_on_each_letter_scans_as_its_reference(mailing):
    """Returned mail is matched by scanning the letter's code: it must decode, on stamped letters and on the letter
    rendered by WeasyPrint alike, to that letter's reference and nothing else."""
    for row in mailing.final.manifest:
        assert scanned_codes(mailing.final.out / row["lot"], int(row["first_page"])) == [row["reference"]], row
    assert scanned_codes(mailing.final.out / "lot-0001.pdf", 1) == []  # the cover sheet has none


def test_a_reprint_is_the_letter_of_the_lot(mailing, helpers):
    for ipp, found in mailing.reprints.items():  # a stamped letter, and one rendered by WeasyPrint
        row = next(row for row in mailing.final.manifest if row["patient_id"] == ipp)
        assert found.matches_lot and found.sha256 == row["sha256"] and found.reference == row["reference"]
        assert row["reference"] in helpers.pdf_text(found.pdf)


# --- on each database -----------------------------------------------------------------------------------------------


def test_variants_split_patients_by_segment_and_language(app, breach, dpo, legal, helpers, people, tmp_path):
    helpers.make_template(breach, dpo, approver=legal)
    helpers.make_template(breach, dpo, variant="ordonnances", lang="en", segments=["prescriptions"], approver=legal)
    out = tmp_path / "out"
    helpers.run_here(letter_jobs.start_job(breach, user=None, out_dir=out, lot_size=20).job.id)
    rows = helpers.read_manifest(out / "manifest.csv")
    by_lot = {}
    for row in rows:
        by_lot.setdefault(row["lot"], []).append(row["patient_id"])
    # The most specific variant first, each in its own lots, each in postcode order.
    assert by_lot == {"lot-0001.pdf": ["IPP005", "IPP003"],
                      "lot-0002.pdf": ["IPP009", "IPP002", "IPP008", "IPP001", "IPP007", "IPP004", "IPP012", "IPP011"]}
    english = helpers.read_lot(out / "lot-0001.pdf", [2]).pages[2]["text"]
    french = helpers.read_lot(out / "lot-0002.pdf", [2]).pages[2]["text"]
    assert "What happened" in english and "Ce qui s'est passé" in french
    only = letter_jobs.start_job(breach, user=None, out_dir=tmp_path / "only", variant="ordonnances").job
    assert (only.total, [chunk.variant_index for chunk in only.chunks]) == (2, [0])


def test_held_patients_are_excluded_and_listed(breach, approved, tmp_path):
    started = letter_jobs.start_job(breach, user=None, out_dir=tmp_path / "out")
    assert (started.job.total, started.job.held) == (10, 2)
    assert sorted(p.patient_id for p in letters.held_patients(breach.id)) == ["IPP006", "IPP010"]


def test_patients_matching_no_variant_stop_the_job_before_it_starts(breach, dpo, legal, helpers, people, tmp_path):
    helpers.make_template(breach, dpo, variant="ordonnances", segments=["prescriptions"], approver=legal)
    with pytest.raises(letter_jobs.GenerationRefused, match="8 patient\\(s\\) match no variant"):
        letter_jobs.start_job(breach, user=None, out_dir=tmp_path / "out")


def test_a_patient_list_changed_during_the_job_fails_the_lot_instead_of_skipping_anyone(app, breach, approved, people,
                                                                                       tmp_path):
    job = letter_jobs.start_job(breach, user=None, out_dir=tmp_path / "out", lot_size=20).job
    patient = Patient.query.filter_by(patient_id="IPP001").one()
    patient.status, patient.holds = "held", ["deceased"]
    db.session.commit()
    assert run_job(app, job.id, workers=1) == "failed"
    chunk = LetterChunk.query.one()
    assert chunk.status == "failed" and "9 patients instead of 10" in chunk.error
    assert not (tmp_path / "out" / "manifest.csv").exists()


def test_new_only_writes_to_the_patients_whose_letter_was_never_generated(app, breach, approved, helpers, tmp_path):
    first = letter_jobs.start_job(breach, user=None, out_dir=tmp_path / "first", lot_size=20).job
    helpers.run_here(first.id)
    before = {letter.patient_pk: (letter.number, letter.generated_at) for letter in Letter.query}
    released = Patient.query.filter_by(patient_id="IPP006").one()  # a hold cleared after the mailing
    released.status, released.holds = "ready", []
    helpers.bulk_patients(breach, 1, start=500)  # and a late import
    db.session.commit()
    late = letter_jobs.start_job(breach, user=None, out_dir=tmp_path / "late", only_new=True).job
    assert late.total == 2
    assert set(helpers.run_here(late.id)) == {"done"}
    rows = helpers.read_manifest(tmp_path / "late" / "manifest.csv")
    assert sorted(row["patient_id"] for row in rows) == ["B000500", "IPP006"]
    after = {letter.patient_pk: (letter.number, letter.generated_at) for letter in Letter.query}
    assert {pk: after[pk] for pk in before} == before  # the letters already sent keep their number and date
    assert letters.breach_letter_counts(breach.id) == {"generated": 12}


def test_recto_verso_pads_odd_length_letters_including_those_rendered_by_weasyprint(app, breach, dpo, legal, helpers,
                                                                                     people, tmp_path):
    advice = "\n\n".join(f"Conseil {n} : vérifiez vos relevés et méfiez-vous des appels se réclamant de la clinique."
                         for n in range(1, 31))  # long enough for a third page
    helpers.make_template(breach, dpo, approver=legal, texts={"advice": advice, "measures": advice})
    layouts = {}
    for duplex in (False, True):
        out = tmp_path / f"duplex-{duplex}"
        helpers.run_here(letter_jobs.start_job(breach, user=None, out_dir=out, lot_size=20, duplex=duplex).job.id)
        rows = helpers.read_manifest(out / "manifest.csv")
        lot = helpers.read_lot(out / "lot-0001.pdf")
        layouts[duplex] = {row["patient_id"]: (int(row["first_page"]), int(row["page_count"])) for row in rows}
        pages = [lot.pages[n]["text"] for n in range(1, lot.count + 1)]
        cover_pages = 2 if duplex else 1
        per_letter = 4 if duplex else 3
        assert lot.count == cover_pages + per_letter * len(rows)
        for row in rows:
            first = int(row["first_page"])
            assert row["reference"] in pages[first - 1]
            if duplex:
                assert first % 2 == 1 and pages[first + 2] == ""  # starts on a recto, ends with a blank verso
        assert "BENALI" in pages[layouts[duplex]["IPP008"][0] - 1]  # the letter rendered by WeasyPrint
    assert {count for _, count in layouts[False].values()} == {3}
    assert {count for _, count in layouts[True].values()} == {4}


def test_a_failed_lot_is_logged_and_shown_without_the_databases_detail(app, breach, approved, tmp_path,
                                                                      monkeypatch, caplog):
    import logging

    message = "could not store the lot\nDETAIL: Failing row contains (1, ŒUVRARD, 35000)"

    def fail(job_id, chunk_id, attempt):
        raise RuntimeError(message)  # the traceback shows this line, not the message's second line

    monkeypatch.setattr(letter_jobs, "_render_and_record", fail)
    job = letter_jobs.start_job(breach, user=None, out_dir=tmp_path / "out", lot_size=20).job
    with caplog.at_level(logging.ERROR):
        assert letter_jobs.run_chunk(job.id, 1) == "failed"
    assert "chunk 1 failed: RuntimeError: could not store the lot" in caplog.text
    assert LetterChunk.query.one().error == "RuntimeError: could not store the lot"  # shown on the job page
    assert "ŒUVRARD" not in caplog.text


def test_the_end_of_a_letters_job_writes_a_signed_audit_checkpoint_of_its_last_entry(app, breach, approved, tmp_path):
    import json

    from notifier.audit.models import AuditEntry

    job = letter_jobs.start_job(breach, user=None, out_dir=tmp_path / "out", lot_size=20).job
    assert run_job(app, job.id, workers=1) == "done"
    checkpoint = json.loads(Path(app.config["AUDIT_CHECKPOINT_FILE"]).read_text().splitlines()[-1])
    last = AuditEntry.query.order_by(AuditEntry.id.desc()).first()
    assert last.action == "letters.job_done"
    assert (checkpoint["reason"], checkpoint["head_id"], checkpoint["head_hash"]) == ("letters job", last.id,
                                                                                      last.entry_hash)
    from notifier.audit.services import verify

    assert verify().intact  # the worker processes chained their entries with the same key
