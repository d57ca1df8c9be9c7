"""The import checks every French address against the official postcode base (issue 14, part 1): the JSON and the
import page count `address_corrected` (line 6 rewritten) and `address_to_verify` (held), and the DPO fixes a held
address in the browser from the base's suggestions, which releases the letter. SQLite and PostgreSQL."""

import json

from notifier.audit.models import AuditEntry
from notifier.extensions import db
from notifier.patients import services as patients
from notifier.patients.models import Patient, PatientImport


def reload(patient_id: str) -> Patient:
    db.session.expire_all()
    return Patient.query.filter_by(patient_id=patient_id).one()


def sample(files, tmp_path):
    return files.write_csv(tmp_path / "patients.csv", [
        files.person("100001", postcode="75011", city="Paris 11e"),  # agrees: line 6 rewritten "75011 PARIS"
        files.person("100002", last="Dubois", postcode="7501", city="PARIS"),  # truncated: held, not "07501"
        files.person("100003", last="Petit", postcode="75011", city="Lyon"),  # disagrees: held
        files.person("100004", last="Leroy", postcode="1000", city="Bourg-en-Bresse"),  # padded: 01000
        files.person("100005", last="Morel", postcode="75020", city="PARIS"),  # as the base writes it
    ])


def test_the_import_json_counts_corrected_addresses_and_addresses_to_verify(files, import_cli, tmp_path):
    result = import_cli(sample(files, tmp_path), "--json")
    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout.strip().splitlines()[-1])
    assert (counts["address_corrected"], counts["address_to_verify"]) == (2, 2)
    assert (counts["accepted"], counts["held"], counts["holds"]) == (5, 2, {"address_to_verify": 2})
    assert reload("100001").address_lines[-1] == "75011 PARIS"
    assert reload("100004").postcode == "01000" and reload("100004").address_lines[-1] == "01000 BOURG EN BRESSE"
    held = reload("100002")
    assert (held.status, held.holds, held.postcode) == ("held", ["address_to_verify"], "7501")


def test_the_plain_command_output_gives_the_same_counts(files, import_cli, tmp_path):
    result = import_cli(sample(files, tmp_path))
    assert result.exit_code == 0, result.output
    assert "addresses: 2 corrected from the postcode base, 2 held to verify" in result.stdout


def test_the_check_can_be_turned_off_and_then_only_the_form_is_checked(app, files, import_cli, tmp_path):
    app.config["ADDRESS_CHECK"] = False
    counts = json.loads(import_cli(sample(files, tmp_path), "--json").stdout.strip().splitlines()[-1])
    assert (counts["address_corrected"], counts["address_to_verify"], counts["held"]) == (0, 0, 0)
    assert reload("100002").postcode == "07501"  # the old behaviour the issue describes


def test_the_import_page_shows_both_counts(files, dpo, breach, dpo_client, tmp_path):
    imp = patients.import_file(breach, sample(files, tmp_path), user=dpo)
    page = dpo_client.get(f"/breaches/{breach.id}/patients/imports/{imp.id}").get_data(as_text=True)
    assert 'data-count="address_corrected">2<' in page and 'data-count="address_to_verify">2<' in page
    assert 'data-hold="address_to_verify"' in page
    status = dpo_client.get(f"/breaches/{breach.id}/patients/imports/{imp.id}/status.json").get_json()
    assert (status["address_corrected"], status["address_to_verify"]) == (2, 2)


def test_the_fix_page_shows_the_bases_suggestions_and_choosing_one_releases_the_letter(
        files, dpo, breach, dpo_client, tmp_path):
    patients.import_file(breach, sample(files, tmp_path), user=dpo)
    held = reload("100003")  # 75011 Lyon
    url = f"/breaches/{breach.id}/patients/{held.id}/fix"
    page = dpo_client.get(url).get_data(as_text=True)
    assert 'id="address-suggestions"' in page
    assert 'value="75011|PARIS"' in page and 'value="69003|LYON"' in page
    assert "La ville ne correspond à aucune commune desservie par ce code postal" in page

    response = dpo_client.post(url, data={"suggestion": "69003|LYON"})
    assert response.status_code == 302, response.get_data(as_text=True)[:600]
    fixed = reload("100003")
    assert (fixed.status, fixed.holds, fixed.postcode, fixed.city) == ("ready", [], "69003", "LYON")
    assert fixed.address_lines[-1] == "69003 LYON"
    entry = AuditEntry.query.filter_by(action="patients.fix").one()
    assert entry.details["fields"] == ["postcode", "city"] and entry.details["status"] == "ready"


def test_a_typed_correction_that_still_disagrees_keeps_the_patient_held(files, dpo, breach, dpo_client, tmp_path):
    patients.import_file(breach, sample(files, tmp_path), user=dpo)
    held = reload("100002")
    url = f"/breaches/{breach.id}/patients/{held.id}/fix"
    assert dpo_client.post(url, data={"postcode": "75011", "city": "Marseille"}).status_code == 302
    assert reload("100002").holds == ["address_to_verify"]
    assert dpo_client.post(url, data={"postcode": "75011", "city": "Paris"}).status_code == 302
    assert (reload("100002").status, reload("100002").address_lines[-1]) == ("ready", "75011 PARIS")


def test_a_dpo_can_release_an_address_the_base_does_not_know_with_a_reason(files, dpo, breach, dpo_client, tmp_path):
    """A lieu-dit served by another commune's office is not in the base: the DPO who checked it says so."""
    patients.import_file(breach, sample(files, tmp_path), user=dpo)
    held = reload("100003")
    url = f"/breaches/{breach.id}/patients/{held.id}/fix"
    form = {"clear_hold": "address_to_verify", "reason": "Adresse confirmée par téléphone"}
    assert dpo_client.post(url, data=form).status_code == 302
    assert (reload("100003").status, reload("100003").cleared_holds) == ("ready", ["address_to_verify"])


def test_an_import_of_another_organisation_shows_no_suggestion(files, dpo, breach, tmp_path, login_as, password):
    from notifier.accounts.organisations import Organisation
    from notifier.accounts.services import add_user

    patients.import_file(breach, sample(files, tmp_path), user=dpo)
    held = reload("100003")
    other = Organisation(name="Autre groupe")
    db.session.add(other)
    db.session.commit()
    client = login_as(add_user("dpo@autre.test", "dpo", password, organisation=other))
    assert client.get(f"/breaches/{breach.id}/patients/{held.id}/fix").status_code == 404
    assert PatientImport.query.count() == 1
