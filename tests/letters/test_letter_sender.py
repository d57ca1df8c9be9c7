"""Issue 13 point 9, the letter a patient receives: the date line has a place ("Lyon, le 8 décembre 2026"), the DPO's
title agrees in gender, the sender block is the contact given in the breach (not the establishment's default), and
every page of a preview carries the reference and "page n / N"."""

import io
from datetime import date

import pypdf

from notifier.documents.letter import format_letter_date
from notifier.extensions import db
from notifier.letters import services as letters


def test_the_date_line_names_the_place():
    assert format_letter_date(date(2026, 12, 8), "fr", "Lyon") == "Lyon, le 8 décembre 2026"
    assert format_letter_date(date(2026, 12, 1), "fr", "Lyon") == "Lyon, le 1er décembre 2026"
    assert format_letter_date(date(2026, 12, 8), "en", "Lyon") == "Lyon, 8 December 2026"
    assert format_letter_date(date(2026, 12, 8), "fr") == "Le 8 décembre 2026"


def test_the_city_is_read_from_the_establishments_address():
    assert letters.city_of_address("3 rue des Lilas, 75020 Paris") == "Paris"
    assert letters.city_of_address("12 avenue Rockefeller, 69008 Lyon Cedex 08") == "Lyon"
    assert letters.city_of_address("Route de Bel-Air") == ""


def test_the_dpo_title_agrees_with_the_contacts_title():
    assert letters.gender_of_title("Déléguée à la protection des données") == "f"
    assert letters.gender_of_title("Délégué à la protection des données") == "m"
    assert letters.gender_of_title("Juriste") == ""


def test_the_sender_block_is_the_breachs_contact(breach):
    breach.sections = {**breach.sections, "contacts": {
        **breach.sections["contacts"], "contact_name": "Claire Martin",
        "contact_role": "Déléguée à la protection des données", "contact_email": "c.martin@lilas.test",
        "contact_phone": "04 72 11 22 33"}}
    db.session.commit()
    sender = letters.default_sender(breach)
    assert (sender["phone"], sender["email"]) == ("04 72 11 22 33", "c.martin@lilas.test")  # not 01 02 03 04 05
    assert sender["contact"] == "Claire Martin, déléguée à la protection des données"
    assert (sender["city"], sender["dpo_gender"]) == ("Paris", "f")


def test_the_sender_block_printed_on_every_letter_has_a_real_address_and_number(breach, dpo):
    """Point 6 on the letter: the contact point a patient reads (art. 34(2)) is checked as in the wizard."""
    import pytest

    def save(**sender):
        draft = letters.TemplateDraft(texts=letters.default_texts(breach, "fr"), letter_date=date(2026, 12, 8),
                                      sender={**letters.default_sender(breach), **sender})
        return letters.save_template(breach, dpo, "standard", draft)

    with pytest.raises(letters.LetterError) as refused:
        save(email="claire.martin@")
    assert "Courriel de l'expéditeur invalide" in refused.value.message("fr")
    with pytest.raises(letters.LetterError) as refused:
        save(phone="04 72 10 20")
    assert "Téléphone de l'expéditeur invalide" in refused.value.message("fr")
    assert save(phone="0472102030", email="dpo@lilas.test").sender["phone"] == "04 72 10 20 30"


def test_a_preview_reads_déléguée_the_place_and_every_pages_reference(breach, dpo, people, helpers):
    breach.sections = {**breach.sections, "contacts": {
        **breach.sections["contacts"], "contact_role": "Déléguée à la protection des données"}}
    db.session.commit()
    long_measures = "\n\n".join(["Nous avons changé tous les mots de passe et renforcé la surveillance."] * 40)
    template = helpers.make_template(breach, dpo, texts={"measures": long_measures})
    pdf, _ = letters.preview(template, breach, "IPP004", user=dpo)
    pages = [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]
    assert len(pages) >= 2
    text = " ".join("\n".join(pages).split())
    assert "Paris, le 16 mars 2026" in text
    assert "notre déléguée à la protection des données" in text and "notre délégué " not in text
    assert "Claire Martin, déléguée à la protection des données" in text
    reference = next(line for line in pages[0].splitlines() if line.startswith("Référence ") and "page" in line)
    ref = reference.split()[1]
    for number, page in enumerate(pages, start=1):
        assert f"Référence {ref} · page {number} / {len(pages)}" in page
