"""The page "Saisie sur notifications.cnil.fr" and its one-page PDF: every field of the CNIL online form in its order,
the value to type with a copy button, the boxes to tick under the CNIL's labels, what is still missing; then the
CNIL's acknowledgement number, recorded through the wizard's step "Envoi à la CNIL"."""

import html
import io
import re

import pdfplumber

from notifier.accounts.organisations import Organisation
from notifier.accounts.services import add_user
from notifier.audit.models import AuditEntry
from notifier.breaches.rules import form
from notifier.extensions import db
from notifier.reports import cnil_entry


def page_of(client, breach, lang=None) -> str:
    if lang:
        client.post(f"/lang/{lang}", data={"next": "/", "csrf_token": client.csrf_token or client.fetch_csrf_token()})
    response = client.get(f"/breaches/{breach.id}/cnil-entry")
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def test_every_field_the_cnil_asks_for_has_its_place_in_the_form_order():
    placed = [name for _, names in cnil_entry.CNIL_FORM for name in names]
    assert len(placed) == len(set(placed))
    for name in placed:
        assert name in form.FIELD_BY_NAME or name in (cnil_entry.ESTABLISHMENT_NAME, cnil_entry.ESTABLISHMENT_SIREN)
    unplaced = set(form.FIELD_BY_NAME) - set(placed) - cnil_entry.NOT_ON_THE_CNIL_FORM
    assert unplaced == set(), "a new field of the record: place it in CNIL_FORM or say it is not on the CNIL form"


def test_the_page_lists_the_values_to_type_with_copy_buttons_and_the_boxes_to_tick(example_breach, dpo, login_as):
    page = page_of(login_as(dpo), example_breach)
    titles = re.findall(r'<h2 id="cnil-section-\d+-title">(.*?)</h2>', page)
    assert titles[:3] == ["1. Type de notification", "2. Organisme", "3. Personne à contacter"]
    assert len(titles) == len(cnil_entry.CNIL_FORM)
    # Awareness at 14:20 Paris time, as the online form takes it; the SIREN of the establishment.
    assert '<pre class="copy-value" id="value-aware_at">23/10/2026 14:20</pre>' in page
    assert f'id="value-{cnil_entry.ESTABLISHMENT_SIREN}">{example_breach.establishment.siren}</pre>' in page
    assert page.count('class="copy"') >= 20
    # The CNIL's labels, the boxes to tick marked: the example is a loss of confidentiality, more than 5,000 people.
    assert re.search(r'class="ticked"><span aria-hidden="true">☑</span> Perte de confidentialité', page)
    assert re.search(r'class="unticked"><span aria-hidden="true">☐</span> Perte de disponibilité', page)
    assert re.search(r'class="ticked"><span aria-hidden="true">☑</span> Plus de 5 000', page)
    assert 'src="/static/cnil_entry.js"' in page


def test_what_is_missing_is_listed_and_fields_not_asked_are_not(make_example, dpo, login_as):
    def blanks(doc):
        doc["sections"]["contacts"]["contact_email"] = None
        doc["sections"]["nature"]["breach_certainty"] = None
    breach = make_example(blanks)
    sheet = cnil_entry.sheet_for(breach, lang="fr")
    missing = [label for _, label in sheet.missing]
    assert "Courriel" in missing
    assert "Violation avérée ou suspectée au moment de la notification" in missing
    # Asked only after some answers: a withdrawal reason, another joint controller, reasons for a delay.
    assert "Motif du retrait de la notification" not in missing
    assert "Autre responsable conjoint (nom, SIREN, contact)" not in missing
    page = page_of(login_as(dpo), breach)
    assert '<a href="#cnil-section-3">3.</a> Courriel' in page


def test_the_enisa_result_is_offered_when_the_dpo_chose_that_method(make_example):
    breach = make_example(lambda doc: doc["sections"]["consequences"].update(risk_method="enisa"))
    entry = next(e for e in cnil_entry.sheet_for(breach, lang="fr").entries if e.name == "risk_method_result")
    assert entry.value.startswith("ENISA\u00a0: SE = ") and not entry.missing
    assert entry.note == "D'après l'évaluation enregistrée dans l'application"


def test_the_page_speaks_english_with_the_translated_labels(example_breach, dpo, login_as):
    page = page_of(login_as(dpo), example_breach, lang="en")
    assert "Entry on notifications.cnil.fr" in page and "Loss of confidentiality" in page
    assert ">Copy<" in page


def test_the_one_page_sheet_to_work_from(example_breach, viewer, login_as):
    response = login_as(viewer).get(f"/breaches/{example_breach.id}/cnil-entry.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    with pdfplumber.open(io.BytesIO(response.data)) as document:
        assert len(document.pages) == 1
        text = document.pages[0].extract_text()
    assert "Saisie sur notifications.cnil.fr" in text and example_breach.reference in text
    assert "23/10/2026 14:20" in text and "☑ Perte de confidentialité" in text
    assert AuditEntry.query.filter_by(action="report.cnil_sheet").count() == 1


def test_the_dpo_records_the_cnil_acknowledgement_number(example_breach, dpo, login_as):
    client = login_as(dpo)
    reasons = example_breach.sections["cnil_submission"]["delay_reasons"]
    client.get(f"/breaches/{example_breach.id}/cnil-entry")
    response = client.post(f"/breaches/{example_breach.id}/cnil-entry/acknowledgement", data={
        "csrf_token": client.csrf_token or client.fetch_csrf_token(), "version": example_breach.version,
        "sent_at": "2026-10-25T11:02", "reference": "NOT-2026-000123"})
    assert response.status_code == 302
    db.session.refresh(example_breach)
    submission = example_breach.sections["cnil_submission"]
    assert submission["cnil_reference"] == "NOT-2026-000123"
    assert submission["cnil_sent_at"] == "2026-10-25T10:02:00+00:00"  # 11:02 Paris, winter time since 25 Oct 03:00
    assert submission["delay_reasons"] == reasons  # kept as it was
    assert "NOT-2026-000123" in page_of(client, example_breach)


def test_a_sending_time_in_the_future_is_refused_with_its_message(example_breach, dpo, login_as):
    client = login_as(dpo)
    response = client.post(f"/breaches/{example_breach.id}/cnil-entry/acknowledgement", data={
        "csrf_token": client.csrf_token or client.fetch_csrf_token(), "version": example_breach.version,
        "sent_at": "2099-01-01T10:00", "reference": "X"})
    assert response.status_code == 422
    assert "Cette date est dans le futur" in html.unescape(response.get_data(as_text=True))
    db.session.refresh(example_breach)
    assert example_breach.sections["cnil_submission"]["cnil_reference"] != "X"


def test_a_late_sending_still_needs_the_reasons_for_the_delay(example_breach, dpo, login_as):
    """GDPR art. 33(1): the wizard's rule applies here too (deadline 26 Oct 2026 13:20 Paris)."""
    client = login_as(dpo)
    response = client.post(f"/breaches/{example_breach.id}/cnil-entry/acknowledgement", data={
        "csrf_token": client.csrf_token or client.fetch_csrf_token(), "version": example_breach.version,
        "sent_at": "2026-10-27T09:00", "reference": "NOT-2026-000999"})
    assert response.status_code == 422
    assert "l'article 33(1) du RGPD exige les motifs du retard" in html.unescape(response.get_data(as_text=True))


def test_another_organisation_never_sees_the_sheet(example_breach, password, login_as):
    other = Organisation(name="Autre groupe")
    db.session.add(other)
    db.session.commit()
    client = login_as(add_user("dpo@autre.test", "dpo", password, organisation=other))
    assert client.get(f"/breaches/{example_breach.id}/cnil-entry").status_code == 404
    assert client.get(f"/breaches/{example_breach.id}/cnil-entry.pdf").status_code == 404
    response = client.post(f"/breaches/{example_breach.id}/cnil-entry/acknowledgement", data={
        "csrf_token": client.csrf_token or client.fetch_csrf_token(), "reference": "X", "sent_at": ""})
    assert response.status_code == 404
