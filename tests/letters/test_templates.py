"""Letter templates: the art. 34(2) content, immutable versions, and the four-eyes approval."""

from datetime import date

import pytest

from notifier.accounts.services import add_user
from notifier.letters import jobs as letter_jobs
from notifier.letters import services as letters
from notifier.letters.models import LetterTemplate
from notifier.letters.services import LetterError


def test_a_new_variant_is_prefilled_for_patients_from_the_breach_record_and_the_examples(breach):
    # The wizard's answers are written for the CNIL: the letter starts from the facts, in plain words.
    breach.sections["nature"]["nature_details"] = "Exfiltration depuis un compte de service compromis (DPI)."
    breach.sections["nature"]["natures"] = ["confidentiality"]
    breach.sections["nature"]["confidentiality_subtypes"] = ["exfiltration"]
    breach.sections["origin"]["origins"] = ["hacking_malware_phishing"]
    breach.sections["data"]["data_categories"] = ["civil_status", "health"]
    breach.sections["dates"]["discovered_at"] = "2026-10-23T09:45:00+02:00"
    texts = letters.default_texts(breach, "fr")
    assert texts["nature"].startswith("Le 23 octobre 2026, nous avons découvert que des personnes non autorisées "
                                      "ont copié une partie de nos fichiers, à la suite d'une attaque informatique.")
    assert "- des informations sur votre santé ou vos soins" in texts["nature"]
    assert "compte de service" not in texts["nature"] and "DPI" not in texts["nature"]
    assert "CNIL" not in texts["measures"]  # not notified yet: the letter does not say it was
    assert letters.plain_language_warnings(texts, "fr", "fr") == []
    english = letters.default_texts(breach, "en")
    assert english["nature"].startswith("On 23 October 2026, we found out that unauthorised people copied")
    assert "Claire Martin" in texts["dpo_contact"] and "dpo@lilas.test" in texts["dpo_contact"]
    assert texts["advice"] and texts["consequences"]  # from the examples
    assert letters.missing_required_texts(texts) == []


def test_the_first_version_is_not_approved_and_records_its_author(breach, dpo):
    template = letters.save_template(breach, dpo, "standard", letters.TemplateDraft(
        texts=letters.default_texts(breach), letter_date=date(2026, 3, 16)))
    assert (template.version, template.created_by_id, template.approved) == (1, dpo.id, False)
    assert template.sender["name"] == "Clinique des Lilas"
    assert template.layout == {"left": 110.0, "top": 55.0}


def test_legal_approves_a_version_written_by_someone_else(breach, dpo, legal, helpers):
    template = helpers.make_template(breach, dpo)
    letters.approve_template(template, legal)
    assert template.approved and template.approved_by_id == legal.id


def test_the_author_cannot_approve_their_own_version(breach, legal, helpers):
    template = helpers.make_template(breach, legal)
    with pytest.raises(LetterError, match="someone other than the author"):
        letters.approve_template(template, legal)
    assert not template.approved


def test_only_legal_approves(breach, dpo, organisation, helpers, password):
    template = helpers.make_template(breach, dpo)
    for role in ("dpo", "viewer", "admin"):
        other = add_user(f"other-{role}@lilas.test", role, password, organisation=organisation)
        with pytest.raises(LetterError, match="Only a legal user"):
            letters.approve_template(template, other)
    assert not template.approved


def test_an_edit_after_approval_is_a_new_version_that_needs_a_new_approval(breach, dpo, legal, helpers):
    first = helpers.make_template(breach, dpo, approver=legal)
    second = helpers.make_template(breach, dpo, texts={"advice": "Changez vos mots de passe."})
    assert (first.version, second.version) == (1, 2)
    assert first.approved and not second.approved
    assert first.texts["advice"] != "Changez vos mots de passe."  # the approved version was not touched
    assert letters.current_template(breach.id, "standard").id == second.id
    with pytest.raises(letter_jobs.GenerationRefused, match="not approved"):
        letter_jobs.start_job(breach, user=dpo, out_dir="/nonexistent-never-created", draft=False)


def test_an_older_version_can_no_longer_be_approved(breach, dpo, legal, helpers):
    first = helpers.make_template(breach, dpo)
    helpers.make_template(breach, dpo, texts={"advice": "Autre conseil."})
    with pytest.raises(LetterError, match="newer version"):
        letters.approve_template(first, legal)


def test_saving_the_same_texts_again_keeps_the_version_and_its_approval(breach, dpo, legal, helpers):
    first = helpers.make_template(breach, dpo, approver=legal)
    again = helpers.make_template(breach, dpo)
    assert again.id == first.id and again.approved
    assert LetterTemplate.query.count() == 1


def test_a_template_missing_an_art_34_2_element_can_be_neither_approved_nor_used(breach, dpo, legal, helpers, people,
                                                                                 tmp_path):
    for blank in ("nature", "dpo_contact", "consequences", "measures", "advice"):
        template = helpers.make_template(breach, dpo, texts={blank: "  "})
        assert letters.template_problems(template) == [blank]
        with pytest.raises(LetterError, match=f"Missing art. 34\\(2\\) elements: {blank}"):
            letters.approve_template(template, legal)
        for draft in (False, True):
            with pytest.raises(letter_jobs.GenerationRefused, match=blank):
                letter_jobs.start_job(breach, user=dpo, out_dir=tmp_path / "out", draft=draft)


def test_the_right_to_complain_to_the_cnil_is_always_in_the_letter(breach, dpo, helpers, people):
    template = helpers.make_template(breach, dpo)
    pdf, _ = letters.preview(template, breach)
    text = " ".join(helpers.pdf_text(pdf).split())
    assert "réclamation auprès de la Commission nationale de l'informatique et des libertés (CNIL)" in text
    assert "www.cnil.fr/plaintes" in text


def test_generation_without_an_approved_template_is_refused_unless_draft(breach, dpo, helpers, people, tmp_path):
    helpers.make_template(breach, dpo)
    with pytest.raises(letter_jobs.GenerationRefused, match="No approved template"):
        letter_jobs.start_job(breach, user=dpo, out_dir=tmp_path / "final")
    started = letter_jobs.start_job(breach, user=dpo, out_dir=tmp_path / "drafts", draft=True)
    assert started.job.draft and started.job.total == 10


def test_two_variants_cannot_cover_the_same_patients(breach, dpo, helpers):
    helpers.make_template(breach, dpo, variant="standard")
    helpers.make_template(breach, dpo, variant="ordonnances", segments=["prescriptions"])
    with pytest.raises(LetterError, match="same patients as variant \"standard\""):
        helpers.make_template(breach, dpo, variant="autre")
    with pytest.raises(LetterError, match="same patients as variant \"ordonnances\""):
        helpers.make_template(breach, dpo, variant="mixte", segments=["identity", "prescriptions"])
    heirs = helpers.make_template(breach, dpo, variant="ayants-droit", audience="heirs")
    assert heirs.version == 1


def test_variant_names_languages_and_window_positions_are_checked(breach, dpo, helpers):
    with pytest.raises(LetterError, match="Invalid variant name"):
        helpers.make_template(breach, dpo, variant="../etc")
    with pytest.raises(LetterError, match="Unknown language"):
        helpers.make_template(breach, dpo, lang="de")
    with pytest.raises(LetterError, match="Impossible window position"):
        helpers.make_template(breach, dpo, layout={"left": 180, "top": 55})
    moved = helpers.make_template(breach, dpo, layout={"left": 100, "top": 50})
    assert letters.boxes_for(moved.layout).address.left == 100
