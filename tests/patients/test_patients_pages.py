"""The patients page of a breach: upload in the browser (with a mapping screen for unknown headers and saved
mappings), follow the import, download the rejected rows, search and page through the list."""

import io
import re

from notifier.accounts.organisations import Organisation
from notifier.accounts.services import add_user
from notifier.audit.models import AuditEntry
from notifier.extensions import db
from notifier.patients import services as patients
from notifier.patients.models import ImportMapping, Patient, PatientImport

DX_HEADERS = ["Dossier", "Nom", "Prénom", "Naissance", "Voie", "CP", "Ville", "Remarque"]


def upload(client, breach, data: bytes, filename="patients.csv", **form):
    return client.post(f"/breaches/{breach.id}/patients/imports",
                       data={"file": (io.BytesIO(data), filename), **form}, content_type="multipart/form-data")


def confirm(client, response):
    """The mapping screen shown after every upload, confirmed as proposed (the detected columns)."""
    assert response.status_code == 302 and response.headers["Location"].endswith("/mapping"), response.headers
    imp = db.session.get(PatientImport, import_id_of(response))
    db.session.refresh(imp)
    chosen = {f"col-{i}": imp.mapping.get(header, "") for i, header in enumerate(imp.headers)}
    return client.post(response.headers["Location"], data=chosen)


def upload_confirmed(client, breach, data: bytes, filename="patients.csv", **form):
    return confirm(client, upload(client, breach, data, filename, **form))


def csv_bytes(files, tmp_path, rows, headers=None):
    path = files.write_csv(tmp_path / "upload.csv", rows, **({"headers": headers} if headers else {}))
    return path.read_bytes()


def import_id_of(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return int(re.search(r"/imports/(\d+)", response.headers["Location"]).group(1))


def stored_files(app):
    folder = app.config["STORAGE_DIR"] + "/imports"
    import os

    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def test_an_upload_is_imported_in_the_background_and_reported(app, files, dpo_client, breach, finished, tmp_path):
    data = csv_bytes(files, tmp_path, [files.person("100001"), files.person("100002", postcode="750")])
    mapping = upload(dpo_client, breach, data)
    # Every header is recognised, and still the DPO confirms the columns, seeing their first values (issue 13.10).
    page = dpo_client.get(mapping.headers["Location"]).get_data(as_text=True)
    assert 'id="all-recognised"' in page and "100001 · 100002" in page
    assert db.session.get(PatientImport, import_id_of(mapping)).status == "mapping"
    response = confirm(dpo_client, mapping)
    imp = finished(import_id_of(response))
    assert response.headers["Location"].endswith(f"/breaches/{breach.id}/patients/imports/{imp.id}")
    assert (imp.status, imp.read, imp.accepted, imp.rejected) == ("done", 2, 1, 1)
    assert imp.upload_file is None and stored_files(app) == [imp.rejected_file]  # the upload itself is gone
    page = dpo_client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-count="read">2<' in page and 'data-count="rejected">1<' in page
    assert f"/breaches/{breach.id}/patients/imports/{imp.id}/rejected.csv" in page
    status = dpo_client.get(f"/breaches/{breach.id}/patients/imports/{imp.id}/status.json").get_json()
    assert status == {"id": imp.id, "status": "done", "read": 2, "accepted": 1, "rejected": 1, "held": 0,
                      "error": None, "finished": True, "address_corrected": 0, "address_to_verify": 0}


def test_an_xlsx_workbook_is_imported_too(files, dpo_client, breach, finished):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(files.HEADERS)
    sheet.append(files.person("100001"))
    # A number: the spreadsheet lost the 0; padded because 01000 serves Bourg-en-Bresse (official postcode base).
    sheet.append(files.person("100002", last="Dubois", postcode=1000, city="Bourg-en-Bresse"))
    data = io.BytesIO()
    workbook.save(data)
    imp = finished(import_id_of(upload_confirmed(dpo_client, breach, data.getvalue(), filename="export.xlsx")))
    assert (imp.status, imp.kind, imp.accepted, imp.rejected) == ("done", "xlsx", 2, 0)
    assert Patient.query.filter_by(patient_id="100002").one().postcode == "01000"


def test_the_rejected_rows_download_has_the_reasons_and_checks_the_organisation(
        app, files, dpo_client, breach, finished, tmp_path, legal, login_as, password):
    data = csv_bytes(files, tmp_path, [files.person("100001"), files.person("100002", born="31/02/1980")])
    imp = finished(import_id_of(upload_confirmed(dpo_client, breach, data)))
    url = f"/breaches/{breach.id}/patients/imports/{imp.id}/rejected.csv"
    with login_as(legal).get(url) as response:  # a streamed file: closed after reading
        assert response.status_code == 200 and response.mimetype == "text/csv"
        rows = files.read_csv(response.data)
    assert rows[0][-1] == "erreurs" and rows[1][0] == "100002"
    assert "Date impossible : ce jour n'existe pas" in rows[1][-1]
    assert AuditEntry.query.filter_by(action="patients.rejected_download").count() == 1
    other = Organisation(name="Autre groupe")
    db.session.add(other)
    db.session.commit()
    outsider = login_as(add_user("dpo@autre.test", "dpo", password, organisation=other))
    assert outsider.get(url).status_code == 404
    assert outsider.get(f"/breaches/{breach.id}/patients").status_code == 404


def test_unknown_headers_get_a_mapping_screen_and_the_saved_mapping_is_reused(
        app, files, dpo_client, breach, finished, tmp_path):
    rows = [["D-1", "Martin", "Jean", "12/03/1960", "12 rue des Lilas", "75020", "Paris", "rien"],
            ["D-2", "Petit", "Léa", "01/02/1970", "3 avenue Foch", "69003", "Lyon", ""]]
    response = upload(dpo_client, breach, csv_bytes(files, tmp_path, rows, DX_HEADERS))
    import_id = import_id_of(response)
    assert response.headers["Location"].endswith(f"/imports/{import_id}/mapping")
    page = dpo_client.get(response.headers["Location"]).get_data(as_text=True)
    assert page.count("status-draft\">non reconnue<") == 2  # Dossier and Remarque
    assert "D-1 · D-2" in page  # their first values help recognise them
    assert db.session.get(PatientImport, import_id).status == "mapping"

    # The same field twice is refused, and the import keeps waiting.
    twice = {f"col-{i}": "" for i in range(len(DX_HEADERS))} | {"col-0": "patient_id", "col-7": "patient_id"}
    refused = dpo_client.post(response.headers["Location"], data=twice)
    assert refused.status_code == 400 and "Correspondance des colonnes invalide" in refused.get_data(as_text=True)

    chosen = {"col-0": "patient_id", "col-1": "last_name", "col-2": "first_name", "col-3": "birth_date",
              "col-4": "street", "col-5": "postcode", "col-6": "city", "col-7": "", "save_as": "Export DxCare"}
    imp = finished(import_id_of(dpo_client.post(response.headers["Location"], data=chosen)))
    assert (imp.status, imp.accepted, imp.mapping_name) == ("done", 2, "Export DxCare")
    saved = ImportMapping.query.one()
    assert saved.mapping == {"Dossier": "patient_id", "Nom": "last_name", "Prénom": "first_name",
                             "Naissance": "birth_date", "Voie": "street", "CP": "postcode", "Ville": "city",
                             "Remarque": ""}

    # Next time: chosen on the upload form, the file is imported without the mapping screen.
    more = [["D-3", "Durand", "Paul", "05/06/1950", "1 place Bellecour", "69002", "Lyon", "x"]]
    response = upload(dpo_client, breach, csv_bytes(files, tmp_path, more, DX_HEADERS), mapping_name="Export DxCare")
    assert "/mapping" not in response.headers["Location"]
    assert finished(import_id_of(response)).accepted == 1
    # Without choosing it, the mapping screen proposes it.
    response = upload(dpo_client, breach, csv_bytes(files, tmp_path, more, DX_HEADERS))
    page = dpo_client.get(response.headers["Location"]).get_data(as_text=True)
    assert re.search(r'<option value="patient_id" selected>', page)
    assert Patient.query.count() == 3


def test_an_upload_over_the_limit_is_refused_with_413_and_nothing_is_stored(app, files, dpo_client, breach,
                                                                            tmp_path):
    app.config["MAX_CONTENT_LENGTH"] = 4096
    data = csv_bytes(files, tmp_path, [files.person(f"{100000 + i}", last=f"Nom{i}") for i in range(200)])
    assert len(data) > 4096
    response = upload(dpo_client, breach, data)
    assert response.status_code == 413
    assert "Fichier trop volumineux : la limite est de 0 Mio" in response.get_data(as_text=True)
    assert PatientImport.query.count() == 0 and Patient.query.count() == 0 and stored_files(app) == []


def test_an_unusable_file_is_explained_and_not_kept(app, dpo_client, breach):
    response = upload(dpo_client, breach, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", filename="liste.pdf")
    assert response.status_code == 302
    page = dpo_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Fichier non importé : Type de fichier non pris en charge (.pdf) : CSV ou XLSX attendu" in page
    assert PatientImport.query.count() == 0 and stored_files(app) == []


def test_a_mapping_can_be_abandoned_and_its_file_is_deleted(app, files, dpo_client, breach, tmp_path):
    rows = [["D-1", "Martin", "Jean", "12/03/1960", "12 rue des Lilas", "75020", "Paris", ""]]
    import_id = import_id_of(upload(dpo_client, breach, csv_bytes(files, tmp_path, rows, DX_HEADERS)))
    assert len(stored_files(app)) == 1
    dpo_client.post(f"/breaches/{breach.id}/patients/imports/{import_id}/cancel", data={})
    assert db.session.get(PatientImport, import_id).status == "cancelled" and stored_files(app) == []


def test_search_by_name_or_ipp_and_keyset_pages(files, dpo, breach, dpo_client, tmp_path):
    people = [files.person(f"{500000 + i}", last=f"Nom{i:03d}") for i in range(120)]
    people += [files.person("600001", last="Lefèvre", first="Hélène"), files.person("600002", last="Le Goff"),
               files.person("600003", last="Lefort")]
    patients.import_file(breach, files.write_csv(tmp_path / "p.csv", people), user=dpo)
    base = f"/breaches/{breach.id}/patients"

    def names(page):
        return re.findall(r'<tr id="patient-\d+">\s*<td>[^<]*</td>\s*<td>([^<]*)</td>', page)

    seen = []
    page = dpo_client.get(base).get_data(as_text=True)
    while True:
        seen += names(page)
        following = re.search(r'href="([^"]+)" rel="next"', page)
        if not following:
            break
        page = dpo_client.get(following.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert len(seen) == 123 and len(set(seen)) == 123
    # Name order ignores accents, case, spaces and punctuation: LEFEVRE, LEFORT, LEGOFF, NOM000...
    assert seen[:4] == ["Lefèvre Hélène", "Lefort Jean", "Le Goff Jean", "Nom000 Jean"]
    back = re.search(r'href="([^"]+)" rel="prev"', page).group(1).replace("&amp;", "&")
    assert names(dpo_client.get(back).get_data(as_text=True)) == seen[50:100]

    found = dpo_client.get(base, query_string={"q": "lefevre hel"}).get_data(as_text=True)
    assert names(found) == ["Lefèvre Hélène"] and "1 patient(s) correspondent." in found
    assert names(dpo_client.get(base, query_string={"q": "LE F"}).get_data(as_text=True)) == [
        "Lefèvre Hélène", "Lefort Jean"]
    assert names(dpo_client.get(base, query_string={"q": "500007"}).get_data(as_text=True)) == ["Nom007 Jean"]


def test_a_page_seeks_the_name_index_from_its_cursor(app, backend, files, dpo, breach, tmp_path):
    """Keyset pagination: page 10,000 of 750,000 patients costs what page 1 does (no OFFSET, no sort)."""
    if backend != "sqlite":
        return  # PostgreSQL's planner chooses by table size; SQLite's plan follows from the query's shape
    from sqlalchemy.dialects import sqlite

    patients.import_file(breach, files.write_csv(tmp_path / "p.csv", [files.person("1"), files.person("2")]), user=dpo)
    statements = []
    scalars = db.session.scalars
    db.session.scalars = lambda statement, *a, **k: statements.append(statement) or scalars(statement, *a, **k)
    try:
        patients.list_patients(breach.id, after=Patient.query.first().id, status="ready")
    finally:
        db.session.scalars = scalars
    sql = str(statements[-1].compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
    plan = " ".join(row[-1] for row in db.session.execute(db.text("EXPLAIN QUERY PLAN " + sql)))
    assert "USING INDEX ix_patient_breach_name_key (breach_id=? AND name_key>?)" in plan, plan
    assert "TEMP B-TREE" not in plan, plan


def test_a_script_in_a_name_is_shown_escaped(files, dpo, breach, dpo_client, tmp_path):
    path = files.write_csv(tmp_path / "p.csv", [files.person("700001", last="<script>alert(1)</script>")])
    assert patients.import_file(breach, path, user=dpo).accepted == 1
    page = dpo_client.get(f"/breaches/{breach.id}/patients").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert" not in page and "<SCRIPT>" not in page


def test_the_breach_page_shows_the_patients_panel_to_the_roles_that_see_patients(
        files, dpo, breach, login_as, viewer, tmp_path):
    path = files.write_csv(tmp_path / "p.csv", [files.person("800001"), files.person("800002", deceased="oui")])
    patients.import_file(breach, path, user=dpo)
    page = login_as(dpo).get(f"/breaches/{breach.id}").get_data(as_text=True)
    assert "2 patients importés : 1 prêts pour le courrier, 1 en attente de vérification." in page
    assert f'href="/breaches/{breach.id}/patients"' in page
    assert "Patients concernés" not in login_as(viewer).get(f"/breaches/{breach.id}").get_data(as_text=True)
