"""The page "Saisie sur notifications.cnil.fr" and its one-page PDF: every field of the CNIL online form in its order,
the value to type with a copy button, the boxes to tick under the CNIL's labels, what is still missing; then the
CNIL's acknowledgement number, recorded through the wizard's step "Envoi à la CNIL"."""

import html
import io
import re
from datetime import date

import pdfplumber

from notifier.accounts.organisations import Organisation
from notifier.accounts.services import add_user
from notifier.audit.models import AuditEntry
from notifier.breaches.rules import form
from notifier.extensions import db
from notifier.letters.models import Letter
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
        assert name in form.FIELD_BY_NAME or name in (cnil_entry.ESTABLISHMENT_NAME, cnil_entry.ESTABLISHMENT_SIREN,
                                                      cnil_entry.PEOPLE_INFORMED)
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


def letters(breach, *statuses):
    for number, (status, day) in enumerate(statuses, 1):
        db.session.add(Letter(breach_id=breach.id, serial=number, number=number, status=status, status_date=day))
    db.session.commit()


def test_the_people_informed_by_each_channel_come_after_the_channels_with_their_days(example_breach, dpo, login_as):
    """GDPR art. 34; what the complementary notification reports (reports.services.people_informed): by letter and
    by public notice, how many and from which day to which, in the section "Information des personnes"."""
    letters(example_breach, ("posted", date(2026, 10, 28)), ("posted", date(2026, 10, 29)),
            ("resent", date(2026, 11, 5)), ("returned", date(2026, 11, 2)), ("public_notice", date(2026, 11, 12)))
    sheet = cnil_entry.sheet_for(example_breach, lang="fr")
    section = next(s for s in sheet.sections if s.title == "Information des personnes")
    names = [entry.name for entry in section.entries]
    assert names[names.index("information_channels") + 1:][:2] == ["people_informed_letter",
                                                                     "people_informed_public_notice"]
    by_name = {entry.name: entry for entry in section.entries}
    letter = by_name["people_informed_letter"]
    assert (letter.label, letter.value, letter.note) == (
        "Personnes effectivement informées (courrier postal)", "3", "du 28/10/2026 au 05/11/2026")
    assert (by_name["people_informed_public_notice"].value, by_name["people_informed_public_notice"].note) == (
        "1", "le 12/11/2026")
    assert not letter.missing
    page = page_of(login_as(dpo), example_breach)
    assert '<pre class="copy-value" id="value-people_informed_letter">3</pre>' in page
    assert "du 28/10/2026 au 05/11/2026" in page


def test_the_one_page_sheet_states_the_people_informed_too(example_breach, viewer, login_as):
    letters(example_breach, ("posted", date(2026, 10, 28)), ("posted", date(2026, 10, 30)))
    response = login_as(viewer).get(f"/breaches/{example_breach.id}/cnil-entry.pdf")
    with pdfplumber.open(io.BytesIO(response.data)) as document:
        assert len(document.pages) == 1
        # The sheet is set in three columns: read the column that holds the entry.
        words = document.pages[0].search("Personnes effectivement informées")
        assert words, "the entry is on the sheet"
        column = document.pages[0].crop((words[0]["x0"] - 1, words[0]["top"] - 1, document.pages[0].width / 3
                                         * (int(words[0]["x0"] // (document.pages[0].width / 3)) + 1),
                                         words[0]["top"] + 30))
        text = " ".join(column.extract_text().replace("\u00a0", " ").split())
    assert text.startswith("Personnes effectivement informées (courrier postal) : 2 (du 28/10/2026 au 30/10/2026)")


def test_people_to_inform_but_nobody_recorded_yet_is_said_not_counted_missing(make_example):
    breach = make_example(lambda doc: doc["sections"]["information"].update(information_status="will_be"))
    sheet = cnil_entry.sheet_for(breach, lang="en")
    entry = next(e for e in sheet.entries if e.name == cnil_entry.PEOPLE_INFORMED)
    assert (entry.label, entry.value, entry.note) == ("People actually informed", "",
                                                      "No person informed is recorded yet.")
    assert "People actually informed" not in [label for _, label in sheet.missing]


def test_people_not_to_be_informed_have_no_such_entry(make_example):
    breach = make_example(lambda doc: doc["sections"]["information"].update(
        information_status="will_not_be", art_34_3_exception="34.3.a"))
    assert not [e for e in cnil_entry.sheet_for(breach, lang="fr").entries if e.name.startswith("people_informed")]


def test_an_awareness_long_after_the_processors_alert_is_to_check_before_typing(make_example, dpo, login_as):
    """GDPR art. 33(2); WP250 rev.01 section II.A.4: aware once the processor informed it (notifier.breaches.rules.
    awareness). The example's processor alerted at 9:45 on 23 October; awareness is moved to the 25th."""
    breach = make_example(lambda doc: doc["sections"]["dates"].update(aware_at="2026-10-25T09:00:00+01:00"))
    (warning,) = cnil_entry.sheet_for(breach, lang="fr").warnings
    assert "après l'alerte du sous-traitant" in warning and "WP250 rev.01, section II.A.4" in warning
    page = page_of(login_as(dpo), breach)
    assert 'id="to-check"' in page and "À vérifier avant la saisie" in page


def test_an_awareness_soon_after_the_alert_has_nothing_to_check(example_breach):
    assert cnil_entry.sheet_for(example_breach, lang="fr").warnings == ()
