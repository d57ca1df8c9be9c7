"""Rejected rows on the import page (issue 13.10): counts by reason, the first rows with their line numbers, and a
correction in the browser that checks the row again with the importer's rules and, accepted, adds the patient."""

from notifier.accounts.organisations import Organisation
from notifier.accounts.services import add_user
from notifier.audit.models import AuditEntry
from notifier.extensions import db
from notifier.patients import services as patients
from notifier.patients.models import Patient, RejectedLine


def imported(files, tmp_path, breach, dpo, rows):
    path = files.write_csv(tmp_path / "patients.csv", rows)
    imp = patients.import_file(breach, path, user=dpo)
    db.session.commit()
    return imp


def three_rejected(files):
    return [files.person("100001"),
            files.person("100002", postcode="750"),                   # line 3: postcode of 3 digits
            files.person("100003", born="31/02/1980"),                # line 4: impossible date
            files.person("100004", born="01/02/99"),                  # line 5: two-digit year
            files.person("100001", last="Double")]                    # line 6: duplicate IPP


def test_the_import_keeps_each_rejected_row_with_its_line_and_reasons(files, tmp_path, breach, dpo):
    imp = imported(files, tmp_path, breach, dpo, three_rejected(files))
    assert (imp.accepted, imp.rejected) == (1, 4)
    lines = patients.pending_lines(imp)
    assert [line.row_number for line in lines] == [3, 4, 5, 6]
    assert lines[0].cells["Code postal"] == "750" and lines[0].errors == [["postcode", "postcode_format", "750"]]
    counts = dict(patients.rejection_counts(imp))
    assert counts == {"postcode_format": 1, "date_impossible": 1, "date_two_digit_year": 1,
                      "patient_id_duplicate": 1}
    assert sum(1 for _ in patients.line_messages(lines[2])) == len(lines[2].errors)


def test_the_import_page_shows_counts_by_reason_and_the_first_rows(files, tmp_path, breach, dpo, dpo_client):
    imp = imported(files, tmp_path, breach, dpo, three_rejected(files))
    page = dpo_client.get(f"/breaches/{breach.id}/patients/imports/{imp.id}").get_data(as_text=True)
    assert 'data-reason="postcode_format"' in page and "Code postal français invalide" in page
    assert 'data-reason="date_impossible"' in page and "Date impossible" in page
    for row in (3, 4, 5, 6):
        assert f'data-row="{row}"' in page and f"Corriger la ligne {row}" in page
    assert "«\u00a0750\u00a0»" in page  # the value read, quoted in the reason


def test_the_first_rows_only_and_the_total_are_shown_when_many_are_rejected(files, tmp_path, breach, dpo,
                                                                            dpo_client):
    rows = [files.person(f"2{n:05d}", postcode="1") for n in range(patients.FIRST_REJECTED_ROWS + 5)]
    imp = imported(files, tmp_path, breach, dpo, rows)
    page = dpo_client.get(f"/breaches/{breach.id}/patients/imports/{imp.id}").get_data(as_text=True)
    assert page.count('data-row="') == patients.FIRST_REJECTED_ROWS
    assert f"sur {patients.FIRST_REJECTED_ROWS + 5}" in page


def test_a_corrected_row_is_checked_again_and_joins_the_patients(files, tmp_path, breach, dpo, dpo_client):
    imp = imported(files, tmp_path, breach, dpo, three_rejected(files))
    line = patients.pending_lines(imp)[0]  # line 3, postcode "750"
    url = f"/breaches/{breach.id}/patients/imports/{imp.id}/rejected/{line.id}"
    form = dpo_client.get(url).get_data(as_text=True)
    assert 'value="750"' in form and 'aria-invalid="true"' in form and "colonne «\u00a0Code postal\u00a0»" in form

    still_wrong = dpo_client.post(url, data={"postcode": "75"})
    assert still_wrong.status_code == 400 and "toujours refusée" in still_wrong.get_data(as_text=True)
    assert Patient.query.filter_by(patient_id="100002").count() == 0

    accepted_before = imp.accepted
    done = dpo_client.post(url, data={"postcode": "75020"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/imports/{imp.id}#rejected")
    db.session.expire_all()
    patient = Patient.query.filter_by(patient_id="100002").one()
    assert patient.postcode == "75020" and patient.row_number == 3 and patient.import_id == imp.id
    assert patient.address_lines[-1] == "75020 PARIS"
    imp = patients.get_import(imp.id, breach)
    assert imp.accepted == accepted_before + 1 and imp.read == imp.accepted + imp.rejected
    assert "postcode_format" not in imp.rejection_counts
    assert db.session.get(RejectedLine, line.id).patient_pk == patient.id
    entry = AuditEntry.query.filter_by(action="patients.rejected_fix").one()
    assert entry.details == {"import": imp.id, "row": 3, "fields": ["postcode"], "status": "ready"}
    assert "75020" not in str(entry.details)  # field names, never values
    # The row left the page's list, and cannot be added twice.
    page = dpo_client.get(f"/breaches/{breach.id}/patients/imports/{imp.id}").get_data(as_text=True)
    assert 'data-row="3"' not in page and 'data-row="4"' in page
    assert dpo_client.post(url, data={"postcode": "75020"}).status_code == 400


def test_a_duplicate_ipp_stays_refused_until_it_is_changed(files, tmp_path, breach, dpo, dpo_client):
    imp = imported(files, tmp_path, breach, dpo, three_rejected(files))
    line = next(line for line in patients.pending_lines(imp) if line.row_number == 6)
    url = f"/breaches/{breach.id}/patients/imports/{imp.id}/rejected/{line.id}"
    refused = dpo_client.post(url, data={"last_name": "Double"})
    assert refused.status_code == 400 and "IPP déjà importé pour cette violation" in refused.get_data(as_text=True)
    assert dpo_client.post(url, data={"patient_id": "100099"}).status_code == 302
    patient = Patient.query.filter_by(patient_id="100099").one()
    assert patient.last_name == "Double" and "DOUBLE" in patient.address_lines[0]


def test_the_rejected_rows_download_leaves_out_the_corrected_ones(files, tmp_path, breach, dpo, dpo_client):
    imp = imported(files, tmp_path, breach, dpo, three_rejected(files))
    line = patients.pending_lines(imp)[0]
    dpo_client.post(f"/breaches/{breach.id}/patients/imports/{imp.id}/rejected/{line.id}", data={"postcode": "75020"})
    with dpo_client.get(f"/breaches/{breach.id}/patients/imports/{imp.id}/rejected.csv") as response:
        rows = files.read_csv(response.data)
    assert [row[0] for row in rows[1:]] == ["100003", "100004", "100001"]
    assert rows[1][-1].startswith("ligne 4\u00a0: Date impossible")


def test_only_the_dpo_corrects_and_only_within_the_organisation(files, tmp_path, breach, dpo, legal, login_as,
                                                                 password):
    imp = imported(files, tmp_path, breach, dpo, three_rejected(files))
    line = patients.pending_lines(imp)[0]
    url = f"/breaches/{breach.id}/patients/imports/{imp.id}/rejected/{line.id}"
    assert login_as(legal).post(url, data={"postcode": "75020"}).status_code == 403
    other = Organisation(name="Autre groupe")
    db.session.add(other)
    db.session.commit()
    outsider = login_as(add_user("dpo@autre.test", "dpo", password, organisation=other))
    assert outsider.get(url).status_code == 404
    assert outsider.post(url, data={"postcode": "75020"}).status_code == 404
    assert Patient.query.filter_by(patient_id="100002").count() == 0


def test_purging_the_patients_deletes_the_rejected_rows_too(files, tmp_path, breach, dpo):
    imported(files, tmp_path, breach, dpo, three_rejected(files))
    assert RejectedLine.query.count() == 4
    patients.forget_patients(breach.id)
    db.session.commit()
    assert RejectedLine.query.count() == 0
