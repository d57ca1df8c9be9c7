"""The dossier: a ZIP whose MANIFEST.sha256 verifies with `sha256sum -c`, detects a changed file, and holds the
record, the register entry, the case PDF, the decrypted evidence and the breach's audit trail."""

import io
import shutil
import subprocess
import zipfile

import pytest

from notifier.audit.models import AuditEntry
from notifier.cases import dossier
from notifier.cases import services as cases
from notifier.extensions import db

EVIDENCE = b"Recepisse de depot de plainte n. 2026/4411\n"


@pytest.fixture
def full_case(aware_breach, dpo):
    cases.add_evidence(aware_breach, dpo, filename="récépissé plainte.pdf", stream=io.BytesIO(EVIDENCE),
                       max_bytes=10**6)
    cases.add_exchange(aware_breach, dpo, direction="in", party="cnil", occurred_at="2026-11-02T10:00",
                       subject="Demande de compléments", reply_by="2026-11-16T18:00")
    cases.add_event(aware_breach, dpo, occurred_at="2026-10-23T15:00", kind="containment",
                    description="Serveur isolé du réseau")
    db.session.commit()
    return aware_breach


def _extract(data: bytes, folder):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(folder)
        return sorted(archive.namelist())


def _sha256sum(folder):
    return subprocess.run(["sha256sum", "-c", "--strict", "MANIFEST.sha256"], cwd=folder, capture_output=True,
                          text=True)


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="sha256sum (coreutils) not installed")
def test_the_manifest_verifies_and_a_changed_file_is_detected(app, full_case, dpo, tmp_path):
    data = dossier.export(full_case, user=dpo, lang="fr", via="cli")
    db.session.commit()
    names = _extract(data, tmp_path / "dossier")
    assert {"MANIFEST.sha256", "breach.json", "register/register-entry.pdf", "register/register-entry.csv",
            "case/case.pdf", "audit/audit-trail.csv", "audit/audit-trail.pdf", "AUDIT-LAST-ENTRY.txt"} <= set(names)
    evidence_name = next(n for n in names if n.startswith("evidence/"))
    assert (tmp_path / "dossier" / evidence_name).read_bytes() == EVIDENCE  # decrypted, byte-identical
    manifest = (tmp_path / "dossier" / "MANIFEST.sha256").read_text()
    listed = [line for line in manifest.splitlines() if not line.startswith("#")]
    assert len(listed) == len(names) - 1
    checked = _sha256sum(tmp_path / "dossier")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    (tmp_path / "dossier" / "breach.json").write_text('{"reference": "forged"}')
    tampered = _sha256sum(tmp_path / "dossier")
    assert tampered.returncode != 0 and "breach.json: FAILED" in tampered.stdout


def test_the_last_audit_entry_is_named_and_the_export_is_recorded(app, full_case, dpo, tmp_path):
    last_before = AuditEntry.query.order_by(AuditEntry.id.desc()).first()
    data = dossier.export(full_case, user=dpo, lang="en", via="web")
    db.session.commit()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        last = archive.read("AUDIT-LAST-ENTRY.txt").decode()
        trail = archive.read("audit/audit-trail.csv").decode("utf-8-sig")
    assert f"last_audit_entry_hash: {last_before.entry_hash}\n" in last  # nothing written by the build itself
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        manifest = archive.read("MANIFEST.sha256").decode()
    assert f"# last_audit_entry_hash {last_before.entry_hash}\n" in manifest  # in the manifest itself
    assert f"# last_audit_entry_id {last_before.id} " in manifest
    exported = AuditEntry.query.order_by(AuditEntry.id.desc()).first()
    assert exported.action == "case.dossier_export" and exported.details["via"] == "web"
    assert exported.id > last_before.id
    assert "case.evidence_upload" in trail and "case.exchange_add" in trail


def test_an_altered_evidence_file_stops_the_dossier(app, full_case, dpo):
    from pathlib import Path

    folder = Path(app.config["STORAGE_DIR"]) / "evidence"
    for stored in folder.iterdir():
        stored.write_bytes(stored.read_bytes()[:-1])
    with pytest.raises(dossier.DossierError):
        dossier.build(full_case)


def test_the_command_writes_the_zip_and_prints_its_hash(app, full_case, dpo, tmp_path):
    import hashlib

    out = tmp_path / "dossier.zip"
    result = app.test_cli_runner().invoke(args=["dossier", "export", str(full_case.id), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == hashlib.sha256(out.read_bytes()).hexdigest()
    missing = app.test_cli_runner().invoke(args=["dossier", "export", "999", "--out", str(out)])
    assert missing.exit_code == 2 and missing.output.startswith("error:")


def test_the_button_downloads_the_dossier_for_dpo_and_legal_only(app, full_case, dpo_client, viewer, login_as):
    response = dpo_client.get(f"/breaches/{full_case.id}/dossier.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert "MANIFEST.sha256" in archive.namelist()
    dpo_client.post("/logout")
    assert login_as(viewer).get(f"/breaches/{full_case.id}/dossier.zip").status_code == 403


@pytest.fixture
def case_with_a_deleted_piece(full_case, dpo):
    doubled = cases.add_evidence(full_case, dpo, filename="capture annonce.png", stream=io.BytesIO(b"copie 1\n"),
                                 max_bytes=10**6)
    db.session.flush()
    cases.delete_evidence(doubled, full_case, dpo, "Doublon de la capture versée le 24/10")
    db.session.commit()
    return full_case, doubled


def _index_rows(archive, name="evidence/INDEX.csv"):
    import csv

    return list(csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig")), delimiter=";"))


def test_a_deleted_piece_is_in_the_evidence_index_with_its_hash_who_when_and_why(case_with_a_deleted_piece, dpo,
                                                                                 tmp_path):
    breach, deleted = case_with_a_deleted_piece
    data = dossier.export(breach, user=dpo, lang="fr")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        header, *rows = _index_rows(archive)
        manifest = archive.read("MANIFEST.sha256").decode()
    assert header[:4] == ["N°", "Fichier dans le dossier", "Nom d'origine", "SHA-256"]
    by_name = {row[2]: dict(zip(header, row, strict=True)) for row in rows}
    assert set(by_name) == {"récépissé plainte.pdf", "capture annonce.png"}
    kept = by_name["récépissé plainte.pdf"]
    assert kept["État"] == "présente" and kept["Fichier dans le dossier"] in names and not kept["Supprimée le (UTC)"]
    gone = by_name["capture annonce.png"]
    assert gone["État"] == "supprimée" and gone["Fichier dans le dossier"] == ""
    assert gone["SHA-256"] == deleted.sha256 and gone["Supprimée par"] == dpo.email
    assert gone["Supprimée le (UTC)"] == deleted.deleted_at.isoformat()
    assert gone["Motif de la suppression"] == "Doublon de la capture versée le 24/10"
    assert not any(name.endswith("capture annonce.png") for name in names)  # the file itself is gone
    assert "  evidence/INDEX.csv\n" in manifest  # the index is itself covered by the manifest
    if shutil.which("sha256sum"):
        _extract(data, tmp_path / "d")
        assert _sha256sum(tmp_path / "d").returncode == 0


def test_the_case_pdf_names_who_deleted_a_piece_when_and_why(case_with_a_deleted_piece, dpo):
    from pypdf import PdfReader

    breach, deleted = case_with_a_deleted_piece
    with zipfile.ZipFile(io.BytesIO(dossier.build(breach, lang="en"))) as archive:
        reader = PdfReader(io.BytesIO(archive.read("case/case.pdf")))
        header = _index_rows(archive)[0]
    text = "".join("".join((page.extract_text() or "").split()) for page in reader.pages)
    assert "".join(f"by {dpo.email}".split()) in text and "Doublondelacaptureverséele24/10" in text
    assert deleted.sha256 in text
    assert header[8:] == ["Deleted on (UTC)", "Deleted by", "Reason for deletion"]



def test_every_report_version_is_in_the_dossier_bit_for_bit_as_pdf_a(full_case, dpo):
    from notifier.reports import services as reports

    first = reports.generate(full_case, user=dpo)
    second = reports.generate(full_case, user=dpo, kind="complementary")
    db.session.commit()
    with zipfile.ZipFile(io.BytesIO(dossier.build(full_case))) as archive:
        names = archive.namelist()
        stored = {version.number: archive.read(f"reports/{version.document}-v{version.number}-{version.filename}")
                  for version in (first, second)}
        manifest = archive.read("MANIFEST.sha256").decode()
        timeline_pdf = archive.read("case/case.pdf")
        register_pdf, audit_pdf = archive.read("register/register-entry.pdf"), archive.read("audit/audit-trail.pdf")
    for version in (first, second):
        assert stored[version.number] == reports.read_version(version)
        assert _pdf_a_part(stored[version.number]) == "3"
        assert f"{version.sha256}  reports/{version.document}-v{version.number}-{version.filename}\n" in manifest
    assert len([name for name in names if name.startswith("reports/")]) == 2
    assert _pdf_a_part(timeline_pdf) == "3"
    assert _pdf_a_part(register_pdf) == "3" and _pdf_a_part(audit_pdf) == "3"


def _pdf_a_part(data: bytes) -> str:
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as opened:
        return opened.open_metadata()["pdfaid:part"]
