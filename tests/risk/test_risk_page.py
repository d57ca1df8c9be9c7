"""The "Évaluation du risque" step in the browser's shoes: the facts form, the result with its parts and reasons,
refused input, the DPO's override, the history, and who may do what."""

import re

from notifier.extensions import db
from notifier.risk import services as service
from notifier.risk.models import RiskAssessment


def url(breach, suffix=""):
    return f"/breaches/{breach.id}/risk{suffix}"


def text_of(response) -> str:
    """The page's text, tags removed, spaces (no-break ones included) collapsed."""
    page = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(page.replace("&#39;", "'").replace("\u00a0", " ").split())


def test_the_page_prefills_the_facts_from_the_record(dpo_client, example_breach):
    response = dpo_client.get(url(example_breach))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'name="data_types" value="health" checked' in page
    assert 'name="people_categories" value="minors" checked' in page
    assert 'id="people_count" name="people_count" type="text" inputmode="numeric" value="758912"' in page
    assert '<option value="unknown_recipients" selected>' in page
    assert 'id="malicious" name="malicious" value="y" checked' in page
    assert "Prérempli d'après la fiche, étape « Nature de la violation »" in text_of(response)
    assert f'<a href="/breaches/{example_breach.id}/risk" aria-current="step"' in page


def test_the_result_shows_the_parts_the_band_the_verdicts_and_the_reasons(dpo_client, example_breach):
    text = text_of(dpo_client.get(url(example_breach)))
    assert "SE = DPC 4 × EI 1 + CB 1 = 5" in text
    assert "donnée la plus sensible « Données de santé » (données sensibles)" in text
    assert "DPC +1 : mineurs ou personnes vulnérables" in text and "DPC +1 : plus de 5 000 personnes" in text
    assert "Ramené dans l'échelle de 1 à 4" in text
    assert "Maximale : identification directe" in text
    assert "Confidentialité : Données communiquées à un nombre inconnu de destinataires (ou publiées) : +0,5" in text
    assert "Intention malveillante : +0,5" in text
    assert "Gravité (ENISA) Très élevée" in text and "Niveau de risque retenu Risque élevé" in text
    assert "Notifier la CNIL (art. 33(1) du RGPD) oui — oui" in text
    assert "Informer chaque personne (art. 34(1) du RGPD) oui — oui" in text
    assert "Art. 34(3)(a) : données rendues incompréhensibles (chiffrement, clé non compromise) : conditions non " \
           "remplies" in text
    assert "informer chaque personne dans les meilleurs délais (art. 34(1) du RGPD)" in text
    assert "la notifier à la CNIL dans les 72 heures" in text and "(art. 33(1) du RGPD)" in text


def test_the_page_is_in_english_when_chosen(dpo_client, example_breach):
    dpo_client.post("/lang/en", data={"next": "/"})
    response = dpo_client.get(url(example_breach))
    assert "“Health data”" in response.get_data(as_text=True)  # English quotes, no no-break spaces
    text = text_of(response)
    assert "Health data" in text and "Maximum: direct identification" in text
    assert "High risk: tell each person without undue delay (GDPR art. 34(1))" in text
    assert "SE = DPC 4 × EI 1 + CB 1 = 5" in text and "+0.5" in text


def test_submitting_the_facts_stores_a_new_assessment(dpo_client, example_breach, dpo, form_of):
    facts = service.facts_from_breach(example_breach)
    response = dpo_client.post(url(example_breach), data=form_of(
        facts, unintelligible=True, people_count="758 912"))
    assert response.status_code == 302 and response.headers["Location"].endswith("/risk#result-title")
    latest = service.latest_assessment(example_breach)
    assert (latest.trigger, latest.created_by_id) == ("manual", dpo.id)
    assert latest.facts["unintelligible"] is True and latest.facts["people_count"] == 758912
    assert "34.3.a" in latest.result["exceptions"]
    db.session.refresh(example_breach)
    assert example_breach.sections["risk_facts"]["unintelligible"] is True
    text = text_of(dpo_client.get(url(example_breach)))
    assert f"{dpo.email} · Évaluation par le DPO" in text
    assert "conditions remplies" in text


def test_an_invalid_fact_is_refused_with_its_message_and_nothing_is_stored(dpo_client, example_breach, form_of):
    before = dict(example_breach.sections["risk_facts"])
    facts = service.facts_from_breach(example_breach)
    response = dpo_client.post(url(example_breach), data=form_of(
        facts, people_count="beaucoup", data_types=[], dpc_adjustment="1", dpc_adjustment_reason="",
        identifiability="totale"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for field, message in (("people_count", "Nombre entier positif ou nul attendu"),
                           ("data_types", "Cochez au moins un type de données"),
                           ("dpc_adjustment_reason", "Justification écrite obligatoire quand le DPC est ajusté"),
                           ("identifiability", "Choix inconnu\u00a0: totale")):
        assert re.search(rf'<p class="error" id="{field}-error">{message}', page), field
    assert 'value="beaucoup"' in page  # what was typed is shown back
    assert "rien n&#39;a été enregistré" in page
    assert db.session.query(RiskAssessment).count() == 1  # the import's only
    db.session.refresh(example_breach)
    assert example_breach.sections["risk_facts"] == before


def test_an_invalid_fact_is_explained_in_english_when_chosen(dpo_client, example_breach, form_of):
    dpo_client.post("/lang/en", data={"next": "/"})
    response = dpo_client.post(url(example_breach), data=form_of(
        service.facts_from_breach(example_breach), availability_hours="long"))
    assert response.status_code == 422
    assert "A positive number of hours is expected" in response.get_data(as_text=True)


def test_an_override_without_justification_is_refused(dpo_client, example_breach):
    assessment = service.latest_assessment(example_breach)
    response = dpo_client.post(url(example_breach, "/override"), data={
        "assessment_id": assessment.id, "notify_authority": "", "inform_subjects": "no", "justification": "  "})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert '<p class="error" id="justification-error">Justification écrite obligatoire (20 caractères au moins)' in page
    db.session.refresh(assessment)
    assert assessment.overridden_at is None and assessment.override_inform_subjects is None
    db.session.refresh(example_breach)
    assert "risk_override" not in example_breach.sections
    assert service.decision(example_breach)["inform_subjects"] is True


def test_an_override_with_justification_is_stored_and_shown(dpo_client, example_breach, dpo):
    assessment = service.latest_assessment(example_breach)
    justification = "Instruction écrite de la CNIL du 27 octobre 2026 (art. 34(4)) : information par avis public."
    response = dpo_client.post(url(example_breach, "/override"), data={
        "assessment_id": assessment.id, "notify_authority": "", "inform_subjects": "no",
        "justification": justification})
    assert response.status_code == 302
    db.session.refresh(assessment)
    assert (assessment.override_notify_authority, assessment.override_inform_subjects) == (None, False)
    assert assessment.override_justification == justification and assessment.overridden_by_id == dpo.id
    db.session.refresh(example_breach)
    mirror = example_breach.sections["risk_override"]
    assert mirror["inform_subjects"] is False and mirror["notify_authority"] is None
    assert mirror["justification"] == justification and mirror["by"] == dpo.email
    decision = service.decision(example_breach)
    assert decision["inform_subjects"] is False and decision["computed"]["inform_subjects"] is True
    assert decision["notify_authority"] is True
    text = text_of(dpo_client.get(url(example_breach)))
    assert "Informer chaque personne (art. 34(1) du RGPD) oui non non" in text
    assert justification.replace("\u00a0", " ") in text
    assert f"Décidé par {dpo.email} le" in text
    assert "Décision du délégué à la protection des données" in text  # among the reasons


def test_a_second_override_keeps_the_first_in_the_history(dpo_client, example_breach):
    first = service.latest_assessment(example_breach)
    for inform, why in (("no", "Première décision : information par avis public."),
                        ("", "Retrait : la CNIL demande finalement des courriers individuels.")):
        latest = service.latest_assessment(example_breach)
        assert dpo_client.post(url(example_breach, "/override"), data={
            "assessment_id": latest.id, "inform_subjects": inform, "justification": why}).status_code == 302
    db.session.expire_all()  # the requests ran in their own sessions
    rows = service.history(example_breach)
    assert len(rows) == 2 and rows[1].id == first.id
    assert rows[1].override_inform_subjects is False
    assert rows[0].has_override_record and not rows[0].overrides  # the withdrawal, with its justification
    assert service.decision(example_breach)["override"] is None
    db.session.refresh(example_breach)
    assert "risk_override" not in example_breach.sections


def test_an_override_of_an_assessment_that_is_no_longer_the_latest_is_refused(dpo_client, example_breach, dpo):
    shown = service.latest_assessment(example_breach)
    service.assess_breach(example_breach, service.facts_from_breach(example_breach), dpo)
    db.session.commit()  # as the request that called it would
    response = dpo_client.post(url(example_breach, "/override"), data={
        "assessment_id": shown.id, "inform_subjects": "no", "justification": "x" * 30})
    assert response.status_code == 422
    assert "Une nouvelle évaluation a été faite entre-temps" in response.get_data(as_text=True)
    assert service.decision(example_breach)["override"] is None


def test_the_history_keeps_every_assessment(dpo_client, example_breach, dpo, form_of):
    facts = service.facts_from_breach(example_breach)
    for changes in ({"care_disrupted": True}, {"risk_neutralised": True}):
        assert dpo_client.post(url(example_breach), data=form_of(facts, **changes)).status_code == 302
    db.session.refresh(example_breach)
    assert dpo_client.post(f"/breaches/{example_breach.id}/steps/people", data={
        "people_categories": ["patients"], "people_count": "758912", "version": example_breach.version,
    }).status_code == 302
    rows = service.history(example_breach)
    assert [row.trigger for row in rows] == ["facts_changed", "manual", "manual", "import"]
    text = text_of(dpo_client.get(url(example_breach)))
    history = text[text.index("Historique des évaluations"):]
    assert history.count("automatique") == 2 and history.count(dpo.email) == 2
    for label in ("Faits modifiés dans la fiche", "Évaluation par le DPO", "Import JSON"):
        assert label in history


def test_the_breach_page_summarises_the_decision(dpo_client, example_breach):
    text = text_of(dpo_client.get(f"/breaches/{example_breach.id}"))
    assert "Évaluation du risque Gravité ENISA : Très élevée (SE 5) · niveau de risque : Risque élevé" in text
    assert "Notifier la CNIL (art. 33) : oui" in text and "Informer chaque personne (art. 34) : oui" in text
    assert f'href="/breaches/{example_breach.id}/risk"' in dpo_client.get(
        f"/breaches/{example_breach.id}").get_data(as_text=True)


def test_a_breach_not_yet_assessed_says_so(dpo_client, breach):
    assert "Le risque n'a pas encore été évalué." in text_of(dpo_client.get(f"/breaches/{breach.id}"))
    assert "Le risque n'a pas encore été évalué." in text_of(dpo_client.get(url(breach)))


def test_a_viewer_sees_the_assessment_but_cannot_post(example_breach, viewer, login_as, form_of):
    client = login_as(viewer)
    response = client.get(url(example_breach))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "SE = DPC 4" in text_of(response)
    assert f'action="/breaches/{example_breach.id}/risk/override"' not in page
    assert "<fieldset disabled>" in page and ">Évaluer le risque</button>" not in page
    facts = service.facts_from_breach(example_breach)
    assert client.post(url(example_breach), data=form_of(facts)).status_code == 403
    assert client.post(url(example_breach, "/override"), data={
        "inform_subjects": "no", "justification": "x" * 40}).status_code == 403
    assert len(service.history(example_breach)) == 1


def test_another_organisations_breach_is_not_found(example_breach, login_as, password):
    from notifier.accounts.organisations import Organisation
    from notifier.accounts.services import add_user

    other = Organisation(name="Autre groupe")
    db.session.add(other)
    db.session.commit()
    client = login_as(add_user("dpo@autre.test", "dpo", password, organisation=other))
    assert client.get(url(example_breach)).status_code == 404
    assert client.post(url(example_breach, "/override"), data={"justification": "x" * 40}).status_code == 404
