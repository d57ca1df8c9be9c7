"""Issue 13, the wizard: Enter goes forward, the menu says each step's state, the nearest deadline is on every page
of a breach, the risk step comes before "Information des personnes", the breach page is an overview, dates are
echoed in words, a draft can be deleted with a reason, and the fields people type are checked."""

import copy
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from icalendar import Calendar

from notifier.audit.models import AuditEntry
from notifier.breaches import services as service
from notifier.breaches.models import Breach
from notifier.breaches.rules.progress import StepStatus, wizard_order
from notifier.extensions import db

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "breach.json"


def post_step(client, breach, code, **data):
    db.session.refresh(breach)
    return client.post(f"/breaches/{breach.id}/steps/{code}", data={"version": breach.version, **data})


def paris(instant: datetime) -> str:
    """The value of a datetime-local input (Paris time) for a UTC instant."""
    from zoneinfo import ZoneInfo

    return instant.astimezone(ZoneInfo("Europe/Paris")).strftime("%Y-%m-%dT%H:%M")


def menu_state(page: str, code: str) -> str:
    match = re.search(rf'data-step="{code}" data-state="(\w+)"', page)
    assert match, code
    return match.group(1)


# --- point 1: Enter never goes back -----------------------------------------------------------------------------

def test_the_first_submit_button_of_a_step_saves_and_continues(dpo_client, breach):
    """Enter in a field "clicks" the form's first submit button (HTML implicit submission): it must go forward."""
    for code in ("contacts", "people", "information", "cnil_submission"):
        page = dpo_client.get(f"/breaches/{breach.id}/steps/{code}").get_data(as_text=True)
        form = page[page.index('<form method="post" class="step-form"'):]
        first = re.search(r'<button type="submit" name="go" value="(\w+)"', form)
        assert first.group(1) == "next", code
        assert form.index('value="previous"') > form.index('value="next"')


def test_a_submission_without_a_button_stays_on_the_step(dpo_client, breach):
    response = post_step(dpo_client, breach, "people", people_count="12")
    assert response.headers["Location"].endswith("/steps/people")


# --- point 2: the step menu shows each step's state -------------------------------------------------------------

def test_the_menu_shows_complete_incomplete_with_what_is_missing_and_error(dpo_client, breach):
    post_step(dpo_client, breach, "people", people_count="758912")
    page = dpo_client.get(f"/breaches/{breach.id}/steps/people").get_data(as_text=True)
    assert menu_state(page, "people") == StepStatus.INCOMPLETE
    people = page[page.index('data-step="people"'):page.index('data-step="data"')]
    assert "Catégories de personnes" in people and "manque" in people
    assert menu_state(page, "contacts") == StepStatus.COMPLETE  # prefilled from the establishment
    post_step(dpo_client, breach, "people", people_count="758912", people_categories=["patients"])
    response = post_step(dpo_client, breach, "dates", aware_at="2026-02-31T10:00")
    assert response.status_code == 422
    page = dpo_client.get(f"/breaches/{breach.id}/steps/nature").get_data(as_text=True)
    assert menu_state(page, "people") == StepStatus.COMPLETE
    assert menu_state(page, "dates") == StepStatus.ERROR  # its last submission was refused
    assert menu_state(page, "risk") == StepStatus.INCOMPLETE


def test_a_refused_save_names_each_field_and_why_at_the_top_and_at_the_field(dpo_client, breach):
    future = paris(datetime.now(UTC) + timedelta(days=2))
    response = post_step(dpo_client, breach, "dates", aware_at=future, discovery_circumstances="Alerte à 6 h")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    summary = page[page.index('class="error-summary"'):page.index("</div>", page.index('class="error-summary"'))]
    assert "Enregistrement refusé\u00a0: rien n'a été enregistré pour cette étape" in summary
    assert '<a href="#aware_at">Prise de connaissance (point de départ des 72 h)</a>\u00a0: Cette date est dans le ' \
           'futur' in summary
    assert "le dernier enregistrement a été refusé" not in page.lower()
    field = page[page.index('id="aware_at-error"'):]
    assert field.startswith('id="aware_at-error">Cette date est dans le futur<')
    assert "Alerte à 6 h</textarea>" in page  # what was typed is kept
    assert f'value="{future}"' in page
    menu = page[page.index('data-step="dates"'):page.index('data-step="nature"')]
    assert "à corriger" in menu and "Prise de connaissance" in menu


def test_a_refused_save_is_named_in_english_for_an_english_user(dpo_client, breach):
    dpo_client.post("/lang/en", data={"next": "/"})
    page = post_step(dpo_client, breach, "contacts", contact_email="claire.martin@").get_data(as_text=True)
    summary = page[page.index('class="error-summary"'):]
    assert "Save refused: nothing was saved for this step" in summary
    assert "Invalid e-mail address" in summary[:summary.index("</ul>")]


def test_back_on_a_refused_step_the_fields_refused_are_named_until_it_is_saved(dpo_client, breach):
    post_step(dpo_client, breach, "dates", aware_at="2026-02-31T10:00")
    page = dpo_client.get(f"/breaches/{breach.id}/steps/dates").get_data(as_text=True)
    summary = page[page.index('class="error-summary"'):page.index("</div>", page.index('class="error-summary"'))]
    assert "Le dernier enregistrement de cette étape a été refusé" in summary
    assert '<a href="#aware_at">Prise de connaissance' in summary
    assert 'id="aware_at-error">Refusé au dernier enregistrement' in page
    other = dpo_client.get(f"/breaches/{breach.id}/steps/people").get_data(as_text=True)
    menu = other[other.index('data-step="dates"'):other.index('data-step="nature"')]
    assert "Prise de connaissance" in menu
    post_step(dpo_client, breach, "dates", aware_at=paris(datetime.now(UTC) - timedelta(hours=2)))
    page = dpo_client.get(f"/breaches/{breach.id}/steps/dates").get_data(as_text=True)
    assert 'class="error-summary"' not in page and "Refusé au dernier" not in page


def test_a_stored_value_broken_by_another_step_shows_as_an_error(dpo_client, breach):
    """The CNIL notification was on time; moving the awareness time earlier makes it late without reasons."""
    now = datetime.now(UTC)
    post_step(dpo_client, breach, "dates", aware_at=paris(now - timedelta(hours=20)))
    post_step(dpo_client, breach, "cnil_submission", cnil_sent_at=paris(now - timedelta(hours=1)),
              cnil_reference="NOT-1")
    post_step(dpo_client, breach, "dates", aware_at=paris(now - timedelta(hours=100)))
    page = dpo_client.get(f"/breaches/{breach.id}").get_data(as_text=True)
    assert 'data-step="cnil_submission" data-state="error"' in dpo_client.get(
        f"/breaches/{breach.id}/steps/people").get_data(as_text=True)
    assert page  # the breach page still renders


def test_the_step_form_carries_the_leave_warning_in_the_page_language(dpo_client, breach):
    page = dpo_client.get(f"/breaches/{breach.id}/steps/people").get_data(as_text=True)
    assert "data-leave-warning=\"Des modifications de cette étape ne sont pas enregistrées" in page
    dpo_client.post("/lang/en", data={"next": "/"})
    page = dpo_client.get(f"/breaches/{breach.id}/steps/people").get_data(as_text=True)
    assert "data-leave-warning=\"Changes to this step are not saved" in page


# --- point 3: the nearest open deadline, everywhere -------------------------------------------------------------

def test_after_the_cnil_notification_the_nearest_deadline_is_the_nis2_early_warning(dpo_client, breach):
    now = datetime.now(UTC)
    post_step(dpo_client, breach, "dates", aware_at=paris(now - timedelta(hours=6)))
    post_step(dpo_client, breach, "other_bodies", ars_reported="y", ars_reported_at=paris(now - timedelta(hours=5)))
    post_step(dpo_client, breach, "cnil_submission", cnil_sent_at=paris(now - timedelta(hours=1)),
              cnil_reference="NOT-2026-1")
    for url in (f"/breaches/{breach.id}", f"/breaches/{breach.id}/steps/people", f"/breaches/{breach.id}/risk",
                f"/breaches/{breach.id}/history"):
        page = dpo_client.get(url).get_data(as_text=True)
        bar = page[page.index('class="deadline-bar'):page.index("</aside>")]
        nearest = bar[bar.index('class="deadline-nearest"'):]
        assert 'data-clock="nis2_early_warning"' in nearest.split("</span>")[0] or \
            nearest.startswith('class="deadline-nearest" data-clock="nis2_early_warning"'), url
        assert "NIS2 : alerte précoce" in nearest.replace("\u00a0", " ")
        assert bar.count("<li ") == 5, url  # the other clocks one click away (CNIL, ARS, three NIS2 stages)
    dashboard = dpo_client.get("/").get_data(as_text=True)
    card = dashboard[dashboard.index(f'data-breach="{breach.reference}"'):]
    assert "NIS2 : alerte précoce" in card[:card.index("other-clocks")].replace("\u00a0", " ")


def test_the_dashboard_lists_breaches_by_nearest_deadline_not_by_the_cnil_clock(dpo_client, breach, dpo,
                                                                                  establishment):
    """A breach notified to the CNIL whose NIS2 early warning is due in 14 h comes before one whose CNIL clock runs
    but whose nearest duty is due in 22 h; a breach without awareness comes last."""
    now = datetime.now(UTC)
    notified = breach
    post_step(dpo_client, notified, "dates", aware_at=paris(now - timedelta(hours=10)))
    post_step(dpo_client, notified, "other_bodies", ars_reported="y", ars_reported_at=paris(now - timedelta(hours=9)))
    post_step(dpo_client, notified, "cnil_submission", cnil_sent_at=paris(now - timedelta(hours=8)),
              cnil_reference="NOT-1")
    running = service.create_breach(dpo, establishment)
    blank = service.create_breach(dpo, establishment)
    db.session.commit()
    post_step(dpo_client, running, "dates", aware_at=paris(now - timedelta(hours=2)))
    post_step(dpo_client, running, "other_bodies", ars_reported="y", ars_reported_at=paris(now - timedelta(hours=1)))
    page = dpo_client.get("/").get_data(as_text=True)
    order = re.findall(r'class="breach-card [^"]*" data-breach="([^"]+)"', page)
    assert order == [notified.reference, running.reference, blank.reference]
    first = page[page.index(f'data-breach="{notified.reference}"'):page.index(f'data-breach="{running.reference}"')]
    assert "NIS2 : alerte précoce" in first[:first.index("other-clocks")].replace("\u00a0", " ")


def test_a_complementary_notification_promised_is_a_deadline_until_it_is_sent(dpo_client, breach):
    """GDPR art. 33(4): the date announced to the CNIL for the complement (ahead: accepted) is a clock of its own,
    the nearest here (10 h, before the NIS2 early warning's 18 h), in the checklist and in the calendar file; once
    the complement's sending date is typed, the nearest is the NIS2 early warning again."""
    now = datetime.now(UTC)
    post_step(dpo_client, breach, "dates", aware_at=paris(now - timedelta(hours=6)))
    post_step(dpo_client, breach, "other_bodies", ars_reported="y", ars_reported_at=paris(now - timedelta(hours=5)))
    sent = {"cnil_sent_at": paris(now - timedelta(hours=1)), "cnil_reference": "NOT-2026-1",
            "cnil_complement_due_at": paris(now + timedelta(hours=10))}
    assert post_step(dpo_client, breach, "cnil_submission", **sent).status_code == 302
    page = dpo_client.get(f"/breaches/{breach.id}/steps/people").get_data(as_text=True)
    assert 'class="deadline-nearest" data-clock="cnil_complement"' in page
    overview = dpo_client.get(f"/breaches/{breach.id}").get_data(as_text=True).replace("\u00a0", " ")
    assert "Respecter le délai : CNIL : notification complémentaire promise" in overview
    calendar = Calendar.from_ical(dpo_client.get(f"/breaches/{breach.id}/deadlines.ics").data)
    assert f"{breach.reference}-cnil_complement-{breach.organisation_id}@notifier" in {
        str(e["uid"]) for e in calendar.walk("VEVENT")}
    post_step(dpo_client, breach, "cnil_submission", **sent, cnil_complement_sent_at=paris(now))
    page = dpo_client.get(f"/breaches/{breach.id}/steps/people").get_data(as_text=True)
    assert 'class="deadline-nearest" data-clock="nis2_early_warning"' in page
    assert '<li class="done_on_time" data-clock="cnil_complement">' in page


def test_the_clocks_as_an_icalendar_file(dpo_client, breach):
    now = datetime.now(UTC)
    post_step(dpo_client, breach, "dates", aware_at=paris(now - timedelta(hours=6)))
    response = dpo_client.get(f"/breaches/{breach.id}/deadlines.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert f'{breach.reference}-delais.ics' in response.headers["Content-Disposition"]
    calendar = Calendar.from_ical(response.data)
    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    assert len(events) == 5  # CNIL, ARS / CERT Santé, NIS2 early warning, notification, final report
    cnil = events[f"{breach.reference}-cnil-{breach.organisation_id}@notifier"]
    db.session.refresh(breach)
    assert cnil.decoded("dtstart") == breach.aware_at + timedelta(hours=72)
    assert "Notification à la CNIL" in str(cnil["summary"])
    assert len(cnil.walk("VALARM")) == 2
    again = Calendar.from_ical(dpo_client.get(f"/breaches/{breach.id}/deadlines.ics").data)
    assert {str(e["uid"]) for e in again.walk("VEVENT")} == set(events)  # same UIDs: a re-import updates


def test_another_organisation_gets_no_calendar_nor_deletion(client, breach, organisation):
    from notifier.accounts.organisations import Organisation
    from tests.conftest import login, make_user

    other = Organisation(name="Autre groupe")
    db.session.add(other)
    db.session.commit()
    login(client, make_user(other, "dpo", "dpo@autre.test"))
    assert client.get(f"/breaches/{breach.id}/deadlines.ics").status_code == 404
    assert client.post(f"/breaches/{breach.id}/delete", data={"reason": "pas chez nous du tout"}).status_code == 404
    assert db.session.get(Breach, breach.id) is not None


# --- point 4: order, overview, dates in words -------------------------------------------------------------------

def test_the_risk_step_comes_before_information(dpo_client, breach):
    order = wizard_order()
    assert order.index("risk") == order.index("information") - 1
    response = post_step(dpo_client, breach, "measures", measures_taken="Comptes désactivés", go="next")
    assert response.headers["Location"].endswith(f"/breaches/{breach.id}/risk")
    risk_page = dpo_client.get(f"/breaches/{breach.id}/risk").get_data(as_text=True)
    assert f'href="/breaches/{breach.id}/steps/information"' in risk_page
    start = risk_page.index('class="steps"')
    menu = risk_page[start:risk_page.index("</nav>", start)]
    assert menu.index('data-step="risk"') < menu.index('data-step="information"')
    response = post_step(dpo_client, breach, "information", go="previous")
    assert response.headers["Location"].endswith(f"/breaches/{breach.id}/risk")
    response = post_step(dpo_client, breach, "cnil_submission", go="next")
    assert response.headers["Location"].endswith(f"/breaches/{breach.id}")


def test_information_starts_from_the_risk_verdict(dpo_client, dpo, establishment):
    doc = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    doc = copy.deepcopy(doc)
    doc["sections"]["information"] = {}
    breach = service.import_document(doc, dpo, now=datetime(2026, 11, 1, tzinfo=UTC))
    db.session.commit()
    verdict = service.risk_decision(breach)
    assert verdict is not None and verdict["inform_subjects"]
    page = dpo_client.get(f"/breaches/{breach.id}/steps/information").get_data(as_text=True)
    assert "D'après l'évaluation du risque" in page
    assert re.search(r'<option value="will_be" selected>', page)
    assert breach.sections["information"]["information_status"] is None  # proposed, not stored


def test_the_breach_page_is_an_overview_with_what_to_do_next(dpo_client, breach):
    now = datetime.now(UTC)
    post_step(dpo_client, breach, "dates", aware_at=paris(now - timedelta(hours=6)))
    page = dpo_client.get(f"/breaches/{breach.id}").get_data(as_text=True)
    todo = page[page.index('class="todo-list"'):page.index("</ol>", page.index('class="todo-list"'))]
    assert 'data-todo="cnil"' in todo and "Notifier la CNIL avant le" in todo
    assert 'data-todo="risk"' in todo and 'data-todo="ars"' in todo
    assert page.count("Générer une nouvelle version") <= 1  # one documents table, one form
    assert 'class="table documents-table"' in page
    note = page[page.index('<details class="note">'):]
    assert "règlement 1182/71" in note[:note.index("</details>")]
    post_step(dpo_client, breach, "cnil_submission", cnil_sent_at=paris(now - timedelta(hours=1)),
              cnil_reference="NOT-1")
    page = dpo_client.get(f"/breaches/{breach.id}").get_data(as_text=True)
    assert re.search(r'<li class="done" data-todo="cnil">', page)


def test_dates_are_echoed_in_words_in_the_page_language(dpo_client, breach):
    post_step(dpo_client, breach, "dates", aware_at="2026-03-12T14:20")
    page = dpo_client.get(f"/breaches/{breach.id}/steps/dates").get_data(as_text=True)
    words = page[page.index('id="aware_at-words"'):]
    assert "jeudi 12 mars 2026 à 14\u00a0h\u00a020" in words[:words.index("</p>")]
    dpo_client.post("/lang/en", data={"next": "/"})
    page = dpo_client.get(f"/breaches/{breach.id}/steps/dates").get_data(as_text=True)
    assert "Thursday 12 March 2026 at 14:20" in page


# --- point 5: no record before the first step; deleting a draft -------------------------------------------------

def test_a_dpo_deletes_a_draft_with_a_reason_kept_in_the_audit_trail(dpo_client, breach):
    reference, breach_id = breach.reference, breach.id
    post_step(dpo_client, breach, "people", people_count="3")
    response = dpo_client.post(f"/breaches/{breach_id}/delete", data={"reason": "Saisie en double de VIO-1"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Breach, breach_id) is None
    entry = db.session.query(AuditEntry).filter_by(action="breach.delete").one()
    assert entry.details["reference"] == reference and entry.details["reason"] == "Saisie en double de VIO-1"


def test_a_deleted_draft_number_is_not_given_again(dpo_client, dpo, establishment, breach):
    reference = breach.reference
    dpo_client.post(f"/breaches/{breach.id}/delete", data={"reason": "Essai de formation"})
    db.session.expunge(breach)
    again = service.create_breach(dpo, establishment)
    assert again.reference != reference


def test_deleting_needs_a_reason(dpo_client, breach):
    response = dpo_client.post(f"/breaches/{breach.id}/delete", data={"reason": "oups"}, follow_redirects=True)
    assert "Indiquez le motif de la suppression" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Breach, breach.id) is not None


def test_a_notified_breach_cannot_be_deleted(dpo_client, breach):
    now = datetime.now(UTC)
    post_step(dpo_client, breach, "dates", aware_at=paris(now - timedelta(hours=6)))
    post_step(dpo_client, breach, "cnil_submission", cnil_sent_at=paris(now - timedelta(hours=1)))
    page = dpo_client.get(f"/breaches/{breach.id}").get_data(as_text=True)
    assert "Supprimer ce brouillon" not in page
    response = dpo_client.post(f"/breaches/{breach.id}/delete", data={"reason": "Ne plus la voir"},
                               follow_redirects=True)
    assert "a été notifiée ou signalée" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Breach, breach.id) is not None


def test_a_breach_with_patients_cannot_be_deleted(app, dpo_client, breach, tmp_path):
    path = tmp_path / "patients.csv"
    path.write_text("IPP;Civilité;Prénom;Nom;Date de naissance;Adresse;Code postal;Ville\n"
                    "100001;M.;Jean;Martin;12/03/1960;12 rue des Lilas;75020;Paris\n", encoding="utf-8")
    result = app.test_cli_runner(env={"NOTIFIER_LANG": "en"}).invoke(
        args=["patients", "import", str(breach.id), str(path)])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert any("patients" in blocker for blocker in service.deletion_blockers(breach))
    response = dpo_client.post(f"/breaches/{breach.id}/delete", data={"reason": "Plus utile du tout"},
                               follow_redirects=True)
    assert "elle ne peut pas être supprimée" in response.get_data(as_text=True)
    assert db.session.get(Breach, breach.id) is not None


def test_only_a_dpo_deletes(login_as, legal, breach):
    client = login_as(legal)
    assert client.post(f"/breaches/{breach.id}/delete", data={"reason": "Je ne suis pas DPO"}).status_code == 403


# --- point 6: field checks --------------------------------------------------------------------------------------

def test_the_contact_email_and_phone_are_checked(dpo_client, breach):
    response = post_step(dpo_client, breach, "contacts", contact_name="Claire Martin", contact_email="claire.martin@",
                         contact_phone="04 72 10 20")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="contact_email-error"' in page and 'id="contact_phone-error"' in page
    response = post_step(dpo_client, breach, "contacts", contact_name="Claire Martin",
                         contact_email="claire.martin@chu-lyon.fr", contact_phone="0472102030")
    assert response.status_code == 302
    db.session.refresh(breach)
    assert breach.sections["contacts"]["contact_phone"] == "04 72 10 20 30"


def test_the_filers_email_and_phone_are_checked_too(dpo_client, breach):
    """The EDPB template's second contact, the person filing the notification: an address and a French number."""
    response = post_step(dpo_client, breach, "contacts", contact_name="Claire Martin", filer_email="j.fabre@",
                         filer_phone="04 72")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="filer_email-error"' in page and 'id="filer_phone-error"' in page


def test_an_establishment_needs_valid_siren_and_finess_keys(login_as, admin):
    client = login_as(admin)
    base = {"name": "Clinique Test", "address": "1 rue A, 69003 Lyon"}
    page = client.post("/admin/establishments/new", data={**base, "siren": "552100555", "finess": "750712184"})
    assert "clé de contrôle" in page.get_data(as_text=True)
    page = client.post("/admin/establishments/new", data={**base, "siren": "552100554", "finess": "750712185"})
    assert "FINESS invalide" in page.get_data(as_text=True)
    response = client.post("/admin/establishments/new", data={**base, "siren": "552 100 554", "finess": "750712184"})
    assert response.status_code == 302
