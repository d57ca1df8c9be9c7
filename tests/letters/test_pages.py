"""Letters in the browser: who may see and do what, the editor and the four-eyes approval, previews, the background
job with its JSON progress, downloads by token only, tracking uploads and the breach page panel."""

import html
import io
import re
import time

import pytest

from notifier.extensions import db
from notifier.letters import jobs as letter_jobs
from notifier.letters.models import LetterJob, LetterTemplate


def form_values(page: str) -> dict:
    """The editor's fields as the browser would post them back."""
    values = {name: value for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page)}
    values.update(re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', page))
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', options)
        values[name] = chosen.group(1) if chosen else ""
    values.pop("csrf_token", None)
    return {name: value.replace("&#39;", "'").replace("&amp;", "&") for name, value in values.items()}


def status_of(client, url) -> int:
    response = client.get(url)
    response.close()  # file downloads are streamed
    return response.status_code


def test_viewers_and_admins_cannot_reach_letters_and_other_organisations_get_404(
        app, breach, approved, login_as, viewer, admin, legal, tmp_path, password):
    job = letter_jobs.start_job(breach, user=None, out_dir=tmp_path / "out", lot_size=20).job
    assert letter_jobs.run_chunk(job.id, 1) == "done"
    urls = [f"/breaches/{breach.id}/letters", f"/letters/jobs/{job.token}/status.json",
            f"/letters/jobs/{job.token}/lots/1", f"/letters/jobs/{job.token}/manifest.csv",
            f"/breaches/{breach.id}/letters/templates/{approved.id}/preview.pdf"]
    for user in (viewer, admin):
        client = login_as(user)
        assert {status_of(client, url) for url in urls} == {403}
    from notifier.accounts.organisations import Establishment, Organisation
    from notifier.accounts.services import add_user

    other = Organisation(name="Autre groupe")
    db.session.add_all([other, Establishment(organisation=other, name="Autre clinique")])
    db.session.commit()
    client = login_as(add_user("legal@autre.test", "legal", password, organisation=other))
    assert {status_of(client, url) for url in urls} == {404}
    client = login_as(legal)
    assert [status_of(client, url) for url in urls] == [200] * 5
    assert status_of(client, f"/letters/jobs/{job.id}/lots/1") == 404  # the id is not the token


def test_the_dpo_writes_a_version_and_legal_approves_it_in_the_browser(app, breach, people, login_as, dpo, legal):
    client = login_as(dpo)
    assert client.post(f"/breaches/{breach.id}/letters/variants", data={"variant": "standard"}).status_code == 302
    page = client.get(f"/breaches/{breach.id}/letters/variants/standard").get_data(as_text=True)
    assert "Claire Martin" in page and "Clinique des Lilas" in page  # prefilled from the breach record
    values = form_values(page)
    values["text_advice"] = "Méfiez-vous des appels se présentant comme venant de l'hôpital."
    response = client.post(f"/breaches/{breach.id}/letters/variants/standard", data=values)
    assert response.status_code == 302
    template = LetterTemplate.query.one()
    assert (template.version, template.approved, template.texts["advice"]) == (
        1, False, "Méfiez-vous des appels se présentant comme venant de l'hôpital.")
    approve = f"/breaches/{breach.id}/letters/templates/{template.id}/approve"
    assert client.post(approve, data={}).status_code == 403  # letters.approve: legal only

    client = login_as(legal)
    page = client.get(f"/breaches/{breach.id}/letters/templates/{template.id}").get_data(as_text=True)
    assert "Approuver cette version" in page
    assert client.post(approve, data={}).status_code == 302  # not confirmed: nothing is approved
    db.session.refresh(template)
    assert template.approved_by_id is None
    assert client.post(approve, data={"confirm": "y"}).status_code == 302
    db.session.refresh(template)
    assert template.approved_by_id == legal.id

    client = login_as(dpo)
    values["text_advice"] = "Changez vos mots de passe."
    client.post(f"/breaches/{breach.id}/letters/variants/standard", data=values)
    latest = LetterTemplate.query.order_by(LetterTemplate.version.desc()).first()
    assert (latest.version, latest.approved) == (2, False)
    index = client.get(f"/breaches/{breach.id}/letters").get_data(as_text=True)
    assert "En attente d'approbation" in html.unescape(index)


def test_an_incomplete_version_is_saved_with_a_warning_and_cannot_be_approved(app, breach, login_as, dpo, legal):
    client = login_as(dpo)
    values = form_values(client.get(f"/breaches/{breach.id}/letters/variants/standard").get_data(as_text=True))
    values["text_consequences"] = ""
    response = client.post(f"/breaches/{breach.id}/letters/variants/standard", data=values, follow_redirects=True)
    assert "incomplète" in response.get_data(as_text=True)
    template = LetterTemplate.query.one()
    client = login_as(legal)
    response = client.post(f"/breaches/{breach.id}/letters/templates/{template.id}/approve",
                           data={"confirm": "y"}, follow_redirects=True)
    assert "Éléments de l'article 34(2) manquants\u00a0: consequences" in html.unescape(response.get_data(as_text=True))
    assert not db.session.get(LetterTemplate, template.id).approved


def test_a_preview_is_one_patients_letter_as_an_inline_pdf(app, breach, dpo, people, helpers, login_as):
    template = helpers.make_template(breach, dpo)
    client = login_as(dpo)
    response = client.get(f"/breaches/{breach.id}/letters/templates/{template.id}/preview.pdf?patient=IPP004")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("inline")
    assert "Monsieur Oğuz DOĞAN" in helpers.pdf_text(response.data)
    assert helpers.watermarks(response.data) == ["PROJET", "PROJET"]  # not approved yet
    missing = client.get(f"/breaches/{breach.id}/letters/templates/{template.id}/preview.pdf?patient=NOPE")
    assert missing.status_code == 404


@pytest.mark.parametrize("backend", ["sqlite"])  # a detached process on the test's database file
def test_generation_runs_in_the_background_with_a_json_progress_and_token_downloads(app, breach, approved, helpers,
                                                                                    login_as, legal):
    client = login_as(legal)
    response = client.post(f"/breaches/{breach.id}/letters/jobs", data={"lot_size": "6"})
    assert response.status_code == 302
    job = LetterJob.query.one()
    assert response.headers["Location"].endswith(f"/letters/jobs/{job.token}")
    page = client.get(f"/letters/jobs/{job.token}").get_data(as_text=True)
    assert f'data-status-url="/letters/jobs/{job.token}/status.json"' in page and "letters.js" in page
    assert "<script>" not in page
    state = None
    for _ in range(600):  # bounded: the detached runner has 60 s
        state = client.get(f"/letters/jobs/{job.token}/status.json").get_json()
        if state["finished"]:
            break
        time.sleep(0.1)
    assert state["status"] == "done", state
    assert (state["done"], state["total"], state["lots"], state["held"]) == (10, 10, 2, 2)
    assert state["lot_states"] == [[1, "done"], [2, "done"]]  # the page's table of lots follows them one by one
    with client.get(f"/letters/jobs/{job.token}/manifest.csv") as manifest:
        assert manifest.status_code == 200 and manifest.data.decode().startswith("reference,patient_id,lot,")
    with client.get(f"/letters/jobs/{job.token}/lots/2") as lot:
        assert lot.status_code == 200 and lot.data.startswith(b"%PDF")
    assert status_of(client, f"/letters/jobs/{job.token}/lots/3") == 404
    panel = client.get(f"/breaches/{breach.id}").get_data(as_text=True)
    assert "Courriers aux patients" in panel and "Généré" in panel and "letters.js" in panel


def test_tracking_upload_applies_everything_or_lists_the_problems(app, breach, approved, login_as, dpo, helpers,
                                                                  tmp_path):
    job = letter_jobs.start_job(breach, user=None, out_dir=tmp_path / "out", lot_size=20).job
    assert letter_jobs.run_chunk(job.id, 1) == "done"
    references = [row["reference"] for row in helpers.read_manifest(tmp_path / "out" / "manifest.csv")]
    client = login_as(dpo)
    bad = f"reference\n{references[0]}\nVIO-2026-0001-1234567-Z\n".encode()
    response = client.post(f"/breaches/{breach.id}/letters/track", data={
        "file": (io.BytesIO(bad), "npai.csv"), "status": "returned", "date": "2026-04-03"},
        content_type="multipart/form-data")
    assert response.status_code == 400
    assert "rien n'a été appliqué" in html.unescape(response.get_data(as_text=True))
    good = f"reference;status\n{references[0]};posted\n{references[1]};posted\n".encode()
    response = client.post(f"/breaches/{breach.id}/letters/track", data={
        "file": (io.BytesIO(good), "poste.csv"), "status": "returned", "date": "2026-04-03"},
        content_type="multipart/form-data")
    assert response.status_code == 302
    page = client.get(f"/breaches/{breach.id}/letters").get_data(as_text=True)
    assert re.search(r'data-status="posted">2<', page) and re.search(r'data-status="generated">8<', page)
    reprint = client.post(f"/breaches/{breach.id}/letters/reprint", data={"patient_id": "IPP001"})
    assert reprint.status_code == 200 and reprint.mimetype == "application/pdf"
    assert "attachment" in reprint.headers["Content-Disposition"]


def test_after_the_patient_list_is_purged_the_job_page_says_the_lots_are_gone(app, breach, approved, login_as, legal,
                                                                              tmp_path):
    from notifier.patients import services as patients

    job = letter_jobs.start_job(breach, user=None, out_dir=tmp_path / "out", lot_size=20).job
    assert letter_jobs.run_chunk(job.id, 1) == "done" and letter_jobs.finalize(job.id) == "done"
    client = login_as(legal)
    assert f"/letters/jobs/{job.token}/lots/1" in client.get(f"/letters/jobs/{job.token}").get_data(as_text=True)
    patients.forget_patients(breach.id)
    db.session.commit()
    page = client.get(f"/letters/jobs/{job.token}").get_data(as_text=True)
    assert "Lots et manifest.csv supprimés avec la liste des patients" in page
    assert f"/letters/jobs/{job.token}/lots/1" not in page and "manifest.csv</a>" not in page
    assert status_of(client, f"/letters/jobs/{job.token}/lots/1") == 404
    assert status_of(client, f"/letters/jobs/{job.token}/manifest.csv") == 404


def test_the_editor_lists_the_segments_present_and_no_empty_one(app, breach, dpo, people, login_as):
    from notifier.patients.models import Patient

    Patient.query.filter_by(patient_id="IPP001").one().segment = ""  # an empty cell of the imported file
    db.session.commit()
    page = login_as(dpo).get(f"/breaches/{breach.id}/letters/variants/standard").get_data(as_text=True)
    assert "Segments présents dans la liste importée\u00a0: prescriptions</p>" in page


@pytest.mark.parametrize("backend", ["sqlite"])  # a detached process on the test's database file
def test_recto_verso_is_chosen_on_the_generation_form(app, breach, approved, login_as, legal, helpers):
    client = login_as(legal)
    form = client.get(f"/breaches/{breach.id}/letters").get_data(as_text=True)
    assert re.search(r'<input type="checkbox" name="duplex" value="y">', form)  # off unless LETTER_DUPLEX
    assert client.post(f"/breaches/{breach.id}/letters/jobs", data={"duplex": "y"}).status_code == 302
    job = LetterJob.query.one()
    assert job.duplex is True
    for _ in range(600):  # bounded: the detached runner has 60 s
        db.session.expire_all()
        if db.session.get(LetterJob, job.id).status != "running":
            break
        time.sleep(0.1)
    rows = helpers.read_manifest(f"{job.out_dir}/manifest.csv")
    assert rows and rows[0]["first_page"] == "3"  # after the cover sheet and its blank verso
    assert "impression recto verso" in client.get(f"/letters/jobs/{job.token}").get_data(as_text=True)
