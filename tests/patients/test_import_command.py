"""`notifier patients import BREACH_ID FILE [--mapping NAME] [--rejected OUT.csv] [--json] [--user EMAIL]`: the
contract scripts rely on. Exit 0 when the file was processed (rejected rows included), 2 with one `error:` line
when the file itself is unusable; --json prints read = accepted + rejected and the held count."""

import json

from notifier.audit.models import AuditEntry
from notifier.extensions import db
from notifier.patients.models import Patient, PatientImport


def counts(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_good_file_with_bad_rows_is_processed_and_the_counts_add_up(files, import_cli, breach, tmp_path):
    path = files.write_csv(tmp_path / "patients.csv", [
        files.person("100001"),
        files.person("100002", last="Dubois", born="31/02/1980"),  # impossible date
        files.person("100003", last="Petit", postcode="750"),  # French postcode of 3 digits
        files.person("100004", last="Leroy", deceased="oui"),  # deceased: held
        files.person("100005", last=""),  # no last name
    ])
    result = counts(import_cli(path, "--json"))
    assert {key: result[key] for key in ("read", "accepted", "rejected", "held")} == {
        "read": 5, "accepted": 2, "rejected": 3, "held": 1}
    assert result["read"] == result["accepted"] + result["rejected"]
    stored = db.session.scalars(db.select(Patient.patient_id).order_by(Patient.patient_id)).all()
    assert stored == ["100001", "100004"]
    imp = PatientImport.query.one()
    assert (imp.status, imp.read, imp.accepted, imp.rejected, imp.held) == ("done", 5, 2, 3, 1)


def test_a_png_renamed_csv_exits_2_with_one_line(import_cli, tmp_path):
    path = tmp_path / "patients.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    result = import_cli(path, "--json")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == ["error: The file is not a CSV text file"]
    assert Patient.query.count() == 0 and PatientImport.query.count() == 0


def test_a_file_without_any_recognisable_column_exits_2(files, import_cli, tmp_path):
    path = files.write_csv(tmp_path / "export.csv", [["a", "b", "c"]], headers=["Colonne A", "Colonne B", "Colonne C"])
    result = import_cli(path)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == ["error: No recognised column (IPP, Last name, Address, Postcode, City…)"]
    assert PatientImport.query.count() == 0


def test_a_file_missing_a_required_column_exits_2_naming_it(files, import_cli, tmp_path):
    headers = [h for h in files.HEADERS if h != "Date de naissance"]
    rows = [[v for h, v in zip(files.HEADERS, files.person("100001"), strict=True) if h != "Date de naissance"]]
    result = import_cli(files.write_csv(tmp_path / "p.csv", rows, headers=headers))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == ["error: Required columns missing: Date de naissance"]
    assert Patient.query.count() == 0
    assert PatientImport.query.one().status == "failed"


def test_the_same_file_twice_accepts_nothing_new_and_reports_the_duplicates(files, import_cli, tmp_path):
    path = files.write_csv(tmp_path / "patients.csv", [files.person(f"2000{i}", last=f"Nom{i}") for i in range(5)])
    first = counts(import_cli(path, "--json"))
    assert (first["accepted"], first["rejected"]) == (5, 0)
    out = tmp_path / "rejected.csv"
    second = counts(import_cli(path, "--json", "--rejected", out))
    assert (second["read"], second["accepted"], second["rejected"]) == (5, 0, 5)
    assert Patient.query.count() == 5
    rows = files.read_csv(out.read_bytes())
    assert rows[0] == [*files.HEADERS, "erreurs"]
    assert all("IPP déjà importé pour cette violation" in row[-1] for row in rows[1:]) and len(rows) == 6


def test_rejected_rows_come_back_with_their_reasons_and_import_once_fixed(files, import_cli, tmp_path):
    path = files.write_csv(tmp_path / "patients.csv", [
        files.person("300001"),
        files.person("300002", last="Dubois", postcode="750"),
        files.person("300003", last="Garçon", born="12/05/80"),
    ])
    out = tmp_path / "rejected.csv"
    assert counts(import_cli(path, "--json", "--rejected", out))["rejected"] == 2
    rows = files.read_csv(out.read_bytes())
    assert [row[0] for row in rows[1:]] == ["300002", "300003"]
    assert "Code postal français invalide : 5 chiffres attendus (Code postal : « 750 »)" in rows[1][-1]
    assert rows[2][-1].startswith("ligne 4 : Année sur deux chiffres refusée")
    # The user fixes the two cells in a spreadsheet and imports the same file again.
    rows[1][files.HEADERS.index("Code postal")] = "75002"
    rows[2][files.HEADERS.index("Date de naissance")] = "12/05/1980"
    fixed = files.write_csv(tmp_path / "fixed.csv", rows[1:], headers=rows[0], encoding="utf-8-sig")
    again = counts(import_cli(fixed, "--json"))
    assert (again["read"], again["accepted"], again["rejected"]) == (2, 2, 0)
    assert sorted(db.session.scalars(db.select(Patient.patient_id))) == ["300001", "300002", "300003"]


def test_hold_flags_are_stored_and_the_letter_goes_to_the_right_person(files, import_cli, tmp_path):
    minor = f"01/01/{files.THIS_YEAR - 10}"
    path = files.write_csv(tmp_path / "patients.csv", [
        files.person("400001", last="Ready"),
        files.person("400002", last="Alone", born=minor),
        files.person("400003", last="Secret", born=minor, guardian="Mme Anne PARENT", confidential="oui"),
        files.person("400004", last="Gone", deceased="oui"),
        files.person("400005", last="Tutelle", protected="oui"),
        files.person("400006", last="Child", born=minor, guardian="Mme Anne PARENT"),
    ])
    result = counts(import_cli(path, "--json"))
    assert (result["accepted"], result["held"]) == (6, 3)
    assert result["holds"] == {"minor_confidential_care": 1, "deceased": 1, "protected_adult_without_guardian": 1}
    found = {p.last_name: p for p in Patient.query}
    assert (found["Ready"].status, found["Ready"].holds, found["Ready"].salutation) == ("ready", [], "Monsieur,")
    alone = found["Alone"]  # a minor without a named representative: written to the parents, not held
    assert (alone.status, alone.holds, alone.addressee, alone.salutation) == ("ready", [], "guardian",
                                                                              "Madame, Monsieur,")
    assert alone.address_lines[0].startswith("Aux parents de ") and alone.address_lines[0].endswith("ALONE")
    secret = found["Secret"]
    assert (secret.holds, secret.confidential_care, secret.addressee) == (["minor_confidential_care"], True,
                                                                           "patient")
    assert "PARENT" not in " ".join(secret.address_lines)  # CSP L.1111-5: never addressed to the parents
    assert (found["Gone"].holds, found["Gone"].deceased, found["Gone"].salutation) == (
        ["deceased"], True, "Madame, Monsieur,")
    assert found["Tutelle"].holds == ["protected_adult_without_guardian"]
    child = found["Child"]
    assert (child.status, child.minor, child.addressee) == ("ready", True, "guardian")
    assert child.address_lines[:2] == ["Mme Anne PARENT", "Représentant légal de Jean CHILD"]


def test_every_normalisation_is_recorded_on_the_patient(files, import_cli, tmp_path):
    path = files.write_csv(tmp_path / "p.csv", [files.person("500001", last="  Lefèvre ", postcode="1000",
                                                 city="Bourg-en-Bresse", civility="Monsieur")])
    result = counts(import_cli(path, "--json"))
    patient = Patient.query.one()
    reasons = {reason for _field, _old, _new, reason in patient.normalisations}
    assert {"whitespace", "civility_code", "upper_case", "postcode_zero_padded", "last_line_format"} <= reasons
    assert ["postcode", "1000", "01000", "postcode_zero_padded"] in patient.normalisations
    assert result["normalisations"]["postcode_zero_padded"] == 1
    assert patient.address_lines[-1] == "01000 BOURG EN BRESSE"


def test_the_import_is_audited_with_counts_only(files, import_cli, tmp_path):
    path = files.write_csv(tmp_path / "p.csv", [files.person("600001", last="Confidentiel")])
    counts(import_cli(path, "--json"))
    entries = AuditEntry.query.filter(AuditEntry.action.like("patients.%")).all()
    assert [e.action for e in entries] == ["patients.upload", "patients.import", "patients.import_done"]
    assert entries[-1].details == {"read": 1, "accepted": 1, "rejected": 0, "held": 0}
    assert not any("Confidentiel" in json.dumps(e.details) or "600001" in json.dumps(e.details) for e in entries)


def test_a_saved_mapping_is_used_by_name(files, import_cli, app, breach, dpo, tmp_path):
    from notifier.patients import services as patients

    patients.save_mapping(breach.organisation_id, "Export DxCare", {"Dossier": "patient_id", "Commentaire": ""},
                          user=dpo)
    db.session.commit()
    headers = ["Dossier", *files.HEADERS[1:], "Commentaire"]
    path = files.write_csv(tmp_path / "dx.csv", [["700001", *files.person("x")[1:], "rien"]], headers=headers)
    assert import_cli(path, "--json").exit_code == 2  # "Dossier" is not a known header: no IPP column
    result = counts(import_cli(path, "--json", "--mapping", "Export DxCare"))
    assert (result["accepted"], result["ignored_columns"]) == (1, ["Commentaire"])
    assert Patient.query.one().patient_id == "700001"
    unknown = import_cli(path, "--mapping", "Nope")
    assert unknown.exit_code == 2 and unknown.stderr.strip() == "error: No saved mapping of that name: Nope."


def test_an_unknown_breach_exits_2(files, runner, dpo, tmp_path):
    path = files.write_csv(tmp_path / "p.csv", [files.person("1")])
    result = runner.invoke(args=["patients", "import", "999999", str(path)])
    assert result.exit_code == 2 and result.stderr.strip() == "error: no breach 999999"


def test_a_value_longer_than_its_column_rejects_the_row_not_the_file(files, import_cli, tmp_path):
    path = files.write_csv(tmp_path / "p.csv", [files.person("1" * 70), files.person("100002")])
    out = tmp_path / "rejected.csv"
    result = counts(import_cli(path, "--json", "--rejected", out))
    assert (result["accepted"], result["rejected"]) == (1, 1)
    rows = files.read_csv(out.read_bytes())
    assert rows[1][0] == "1" * 70
    assert rows[1][-1] == "ligne 2 : Valeur trop longue : IPP (identifiant patient) compte au plus 64 caractères"


def test_normalisation_and_hold_counts_add_up_over_every_batch(files, dpo, breach, tmp_path):
    from notifier.patients import services as patients

    rows = [files.person(f"70000{i}", last="lower", postcode="1000", city="Bourg-en-Bresse") for i in range(5)]
    rows += [files.person("700009", last="Gone", deceased="oui"), files.person("700008", last="")]  # held, rejected
    imp = patients.import_file(breach, files.write_csv(tmp_path / "p.csv", rows), user=dpo, batch_size=2)
    assert (imp.read, imp.accepted, imp.rejected, imp.held) == (7, 6, 1, 1)
    assert imp.normalisation_counts["upper_case"] == 6
    assert imp.normalisation_counts["postcode_zero_padded"] == imp.normalisation_counts["address_corrected"] == 5
    assert imp.hold_counts == {"deceased": 1}
    stored = sum(1 for p in Patient.query for n in p.normalisations if n[3] == "upper_case")
    assert stored == 6
