"""The wizard in the browser's shoes: each step saves, errors show next to the field, nothing is lost."""

from html import unescape

from notifier.breaches.rules.form import STEPS
from notifier.extensions import db


def test_the_dashboard_offers_to_declare_a_breach(dpo_client):
    page = dpo_client.get("/").get_data(as_text=True)
    assert "Déclarer une violation" in page


def test_declaring_a_breach_opens_the_first_step_without_creating_a_record(dpo_client, establishment):
    from notifier.breaches.models import Breach

    page = dpo_client.get("/breaches/new").get_data(as_text=True)
    assert 'name="title"' in page and 'action="/breaches/new"' in page
    assert db.session.query(Breach).count() == 0


def test_the_record_and_its_number_come_with_the_first_saved_step(dpo_client, establishment):
    from notifier.breaches.models import Breach

    response = dpo_client.post("/breaches/new", data={
        "establishment_id": establishment.id, "notification_type": "initial", "title": "Rançongiciel PACS",
        "go": "next"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/steps/contacts")
    breach = db.session.query(Breach).one()
    assert breach.title == "Rançongiciel PACS" and breach.reference.endswith("-0001")


def test_a_first_step_without_a_title_creates_nothing(dpo_client, establishment):
    from notifier.breaches.models import Breach

    response = dpo_client.post("/breaches/new", data={"establishment_id": establishment.id,
                                                      "notification_type": "initial", "title": "  "})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="title-error"' in page
    summary = page[page.index('class="error-summary"'):]
    assert "Enregistrement refusé\u00a0: la violation n'est pas encore enregistrée" in summary
    assert '<a href="#title">Intitulé interne de la violation</a>\u00a0: Donnez un intitulé interne' in summary
    assert db.session.query(Breach).count() == 0


def test_every_step_renders_its_fields_with_labels(dpo_client, breach):
    for step in STEPS:
        page = dpo_client.get(f"/breaches/{breach.id}/steps/{step.code}").get_data(as_text=True)
        for field in step.fields:
            assert f'name="{field.name}"' in page, (step.code, field.name)
        assert step.title in page


def test_next_saves_and_moves_on(dpo_client, breach):
    response = dpo_client.post(f"/breaches/{breach.id}/steps/people", data={
        "people_categories": ["patients"], "people_count": "758912", "version": breach.version, "go": "next"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/steps/data")
    db.session.refresh(breach)
    assert breach.sections["people"]["people_count"] == 758912


def test_a_failed_validation_shows_the_error_and_keeps_earlier_steps(dpo_client, breach):
    dpo_client.post(f"/breaches/{breach.id}/steps/people", data={
        "people_count": "42", "version": breach.version, "go": "next"})
    db.session.refresh(breach)
    response = dpo_client.post(f"/breaches/{breach.id}/steps/dates", data={
        "aware_at": "2026-02-31T10:00", "discovery_circumstances": "Alerte de l'hébergeur",
        "version": breach.version, "go": "next"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="aware_at-error"' in page and "Date et heure invalides" in page
    assert "Alerte de l&#39;hébergeur" in page  # what was typed is shown back
    db.session.refresh(breach)
    assert breach.sections["people"]["people_count"] == 42
    assert breach.sections["dates"]["discovery_circumstances"] is None


def test_errors_are_in_english_when_chosen(dpo_client, breach):
    dpo_client.post("/lang/en", data={"next": "/"})
    response = dpo_client.post(f"/breaches/{breach.id}/steps/people", data={
        "people_count": "many", "version": breach.version})
    assert "A whole positive number is expected" in response.get_data(as_text=True)


def test_a_second_tab_with_an_old_version_is_told_not_overwritten(dpo_client, breach):
    old = breach.version
    dpo_client.post(f"/breaches/{breach.id}/steps/people", data={"people_count": "10", "version": old})
    response = dpo_client.post(f"/breaches/{breach.id}/steps/people", data={"people_count": "99", "version": old})
    assert response.status_code == 409
    assert "modifiée entre-temps" in response.get_data(as_text=True)
    db.session.refresh(breach)
    assert breach.sections["people"]["people_count"] == 10


def test_script_in_a_field_is_shown_as_text(dpo_client, breach):
    dpo_client.post(f"/breaches/{breach.id}/steps/notification", data={
        "title": "<script>alert(1)</script>", "notification_type": "initial", "version": breach.version})
    page = dpo_client.get(f"/breaches/{breach.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_breach_page_shows_the_deadline_in_paris_time(dpo_client, breach):
    dpo_client.post(f"/breaches/{breach.id}/steps/dates", data={
        "aware_at": "2026-10-23T14:20", "version": breach.version})
    page = dpo_client.get(f"/breaches/{breach.id}").get_data(as_text=True)
    assert "26 octobre 2026 à 13\u00a0h\u00a020" in page


def test_a_late_notification_requires_reasons(dpo_client, breach):
    dpo_client.post(f"/breaches/{breach.id}/steps/dates", data={
        "aware_at": "2026-10-23T14:20", "version": breach.version})
    db.session.refresh(breach)
    response = dpo_client.post(f"/breaches/{breach.id}/steps/cnil_submission", data={
        "cnil_sent_at": "2026-10-27T10:00", "cnil_reference": "X1", "version": breach.version})
    assert response.status_code == 422
    assert "motifs du retard" in response.get_data(as_text=True)


def test_the_history_lists_who_changed_what(dpo_client, breach, dpo):
    dpo_client.post(f"/breaches/{breach.id}/steps/people", data={"people_count": "7", "version": breach.version})
    page = dpo_client.get(f"/breaches/{breach.id}/history").get_data(as_text=True)
    assert dpo.email in page and "Nombre de personnes concernées" in page and ">7<" in page


def test_a_viewer_can_read_but_not_save(login_as, viewer, breach):
    client = login_as(viewer)
    assert client.get(f"/breaches/{breach.id}/steps/people").status_code == 200
    response = client.post(f"/breaches/{breach.id}/steps/people", data={"people_count": "1", "version": 1})
    assert response.status_code == 403


def test_json_export_downloads_the_document(dpo_client, breach):
    response = dpo_client.get(f"/breaches/{breach.id}/export.json")
    assert response.status_code == 200 and response.json["format"] == "notifier-breach"


def test_the_legal_source_of_each_step_is_in_the_language_of_the_page(dpo_client, breach):
    page = unescape(dpo_client.get(f"/breaches/{breach.id}/steps/notification").get_data(as_text=True))
    assert "RGPD art. 33(4)\u00a0; formulaire CNIL, rubrique «\u00a0Type de notification\u00a0»" in page
    page = unescape(dpo_client.get(f"/breaches/{breach.id}/steps/cnil_submission").get_data(as_text=True))
    assert "une notification faite après 72 heures est accompagnée des motifs du retard" in page
    assert "GDPR" not in page and "accompanied by the reasons" not in page
    # Each regime of the step cites its text: ARS / CERT Santé, NIS2, NIS1 (ANSSI).
    page = unescape(dpo_client.get(f"/breaches/{breach.id}/steps/other_bodies").get_data(as_text=True))
    assert "arrêté du 30 octobre 2017 (ARS / CERT Santé)" in page and "directive 2022/2555 art. 23 (NIS2)" in page
    assert "loi 2018-133 art. 7 et décret 2018-384 art. 11 (ANSSI" in page

    dpo_client.post("/lang/en", data={"next": "/"})
    page = unescape(dpo_client.get(f"/breaches/{breach.id}/steps/notification").get_data(as_text=True))
    assert "GDPR art. 33(4); CNIL form, section 'Type de notification'" in page
    page = unescape(dpo_client.get(f"/breaches/{breach.id}/steps/cnil_submission").get_data(as_text=True))
    assert "a notification made after 72 hours is accompanied by the reasons for the delay" in page
    assert "RGPD" not in page


def test_deadline_cards_cite_rgpd_in_french_and_gdpr_in_english(dpo_client, breach):
    dpo_client.post(f"/breaches/{breach.id}/steps/dates", data={
        "aware_at": "2026-10-23T14:20", "version": breach.version})
    page = unescape(dpo_client.get(f"/breaches/{breach.id}").get_data(as_text=True))
    assert "RGPD art. 33(1)" in page and "Directive (UE) 2022/2555" in page
    assert "GDPR" not in page and "RGPD / GDPR" not in page

    dpo_client.post("/lang/en", data={"next": "/"})
    page = unescape(dpo_client.get(f"/breaches/{breach.id}").get_data(as_text=True))
    assert "GDPR art. 33(1)" in page and "Notification to the CNIL" in page and "Directive (EU) 2022/2555" in page
    assert "RGPD" not in page


def test_the_new_fields_of_the_cnil_form_and_the_edpb_template_save_through_the_wizard(dpo_client, breach):
    """Issue 15: the processor's alert as a Paris time (art. 33(2)), its HDS certification, the measures in place
    before the breach apart from those against recurrence, the joint controller; a withdrawal without its reason is
    refused next to the field."""
    def post(step, **data):
        db.session.refresh(breach)
        return dpo_client.post(f"/breaches/{breach.id}/steps/{step}", data={**data, "version": breach.version})

    assert post("systems", processors_involved="y", processor_name="Infogérance Rhône",
                processor_alerted_at="2026-10-23T09:45", processor_hds="certified").status_code == 302
    assert post("measures", security_measures_before=["encryption_at_rest", "backups"],
                recurrence_measures="Double authentification des comptes d'export.").status_code == 302
    assert post("contacts", joint_controllers="y", joint_controller_identity="GCS e-Santé Rhône",
                filer_name="Paul Girard").status_code == 302
    db.session.refresh(breach)
    assert breach.sections["systems"]["processor_alerted_at"] == "2026-10-23T07:45:00+00:00"
    assert breach.sections["systems"]["processor_hds"] == "certified"
    assert breach.sections["measures"]["security_measures_before"] == ["encryption_at_rest", "backups"]
    assert breach.sections["contacts"]["joint_controllers"] is True
    exported = dpo_client.get(f"/breaches/{breach.id}/export.json").json["sections"]
    assert exported["systems"]["processor_alerted_at"] == "2026-10-23T09:45:00+02:00"
    assert exported["contacts"]["joint_controller_identity"] == "GCS e-Santé Rhône"
    response = post("notification", notification_type="initial", title="Rançongiciel PACS",
                    notification_state="withdrawn", establishment_id=breach.establishment_id)
    assert response.status_code == 422
    assert 'id="withdrawal_reason-error"' in response.get_data(as_text=True)
