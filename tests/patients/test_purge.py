"""`notifier patients purge BREACH_ID [--force]`: GDPR art. 5(1)(e), storage limitation. A closed breach's patient
list is deleted once PATIENT_RETENTION_DAYS have passed since closing; the counts, the letters' references and
statuses and the audit trail stay."""

from datetime import timedelta

import pytest

from notifier.audit.models import AuditEntry
from notifier.breaches import services as breaches
from notifier.breaches.models import Breach
from notifier.extensions import db
from notifier.patients import services as patients
from notifier.patients.models import Patient, PatientImport


@pytest.fixture
def imported(files, dpo, breach, tmp_path):
    path = files.write_csv(tmp_path / "p.csv", [files.person("100001"), files.person("100002"),
                                                 files.person("100003", postcode="750")])
    imp = patients.import_file(breach, path, user=dpo)
    assert (imp.accepted, imp.rejected) == (2, 1) and patients.rejected_path(imp).is_file()
    return imp


def purge(runner, breach, *options):
    return runner.invoke(args=["patients", "purge", str(breach.id), *options])


def close(breach, dpo, days_ago: int):
    breaches.close_breach(breach, dpo)
    breach.closed_at = breach.closed_at - timedelta(days=days_ago)
    db.session.commit()


def test_an_open_breach_is_refused(runner, breach, imported):
    result = purge(runner, breach, "--force")
    assert result.exit_code == 2
    assert result.stderr.strip() == (f"error: breach {breach.reference}: the breach is not closed: its patient list "
                                     "is still in use")
    assert Patient.query.count() == 2


def test_a_breach_within_its_retention_period_is_refused(app, runner, breach, dpo, imported):
    close(breach, dpo, days_ago=364)
    until = (breach.closed_at + timedelta(days=365)).date().isoformat()
    result = purge(runner, breach, "--force")
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: breach {breach.reference}: the retention period runs until {until}"
    assert Patient.query.count() == 2


def test_after_the_retention_period_the_list_goes_and_the_counts_stay(app, runner, breach, dpo, imported):
    from notifier.letters.models import Letter

    patient = Patient.query.filter_by(patient_id="100001").one()
    db.session.add(Letter(breach_id=breach.id, patient_pk=patient.id, serial=1, number=1, status="posted"))
    db.session.commit()
    close(breach, dpo, days_ago=366)
    assert purge(runner, breach).exit_code == 2  # not interactive: --force says it on purpose
    result = purge(runner, breach, "--force")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (f"{breach.reference}: deleted 2 patients; import counts and letter references "
                                     "kept")
    db.session.expire_all()
    assert Patient.query.count() == 0
    imp = db.session.get(PatientImport, imported.id)
    assert (imp.read, imp.accepted, imp.rejected, imp.rejected_file) == (3, 2, 1, None)
    assert imp.purged_at is not None
    assert list((patients.storage_path("x").parent).iterdir()) == []  # rejected rows held names: deleted
    letter = Letter.query.one()
    assert (letter.number, letter.status, letter.patient_pk) == (1, "posted", None)
    entry = AuditEntry.query.filter_by(action="patients.purge").one()
    assert entry.details == {"patients": 2, "retention_days": 365}


def test_the_retention_period_is_a_setting(app, runner, breach, dpo, imported):
    app.config["PATIENT_RETENTION_DAYS"] = 30
    close(breach, dpo, days_ago=31)
    assert purge(runner, breach, "--force").exit_code == 0
    assert db.session.get(Breach, breach.id).status == "closed" and Patient.query.count() == 0


def test_the_letter_lots_and_manifests_go_too_their_fingerprints_stay(app, runner, breach, dpo, imported, tmp_path):
    """The lots print every patient's name and address, the manifest their IPP: they are patient data as well."""
    from notifier.letters.models import LetterChunk, LetterJob

    def job_in(folder, token):
        folder.mkdir()
        job = LetterJob(organisation_id=breach.organisation_id, breach_id=breach.id, token=token,
                        out_dir=str(folder), lot_size=5000, variants=[], status="done")
        job.chunks = [LetterChunk(chunk_no=n, variant_index=0, first_postcode="01000", first_pk=1,
                                  last_postcode="75011", last_pk=2, expected=1, status="done", sha256=f"{n}" * 64)
                      for n in (1, 2)]
        for name in ("lot-0001.pdf", "lot-0002.pdf", "manifest.csv"):
            (folder / name).write_bytes(b"names and addresses")
        db.session.add(job)
        return folder

    web_folder = job_in(tmp_path / "web-job", "a" * 40)
    operator_folder = job_in(tmp_path / "out", "b" * 40)
    (operator_folder / "print-shop-order.txt").write_text("not ours")
    db.session.commit()
    close(breach, dpo, days_ago=366)
    assert purge(runner, breach, "--force").exit_code == 0
    assert not web_folder.exists()
    assert [p.name for p in operator_folder.iterdir()] == ["print-shop-order.txt"]
    assert sorted(c.sha256[0] for c in LetterChunk.query) == ["1", "1", "2", "2"]
