"""The e-mail of a variant (letters/email_text.py): rendered once per variant, one patient's reference and
salutation substituted; the result is the message rendered for that patient from the texts."""

from datetime import date

import pytest

from notifier.documents.letter import EXAMPLE_TEXTS
from notifier.letters.email_text import email_body


@pytest.fixture
def body():
    return email_body(dict(EXAMPLE_TEXTS["fr"]), lang="fr", establishment="Clinique <des> Lilas & Cie",
                      letter_date=date(2026, 3, 1), phone="01 23 45 67 89", email="dpo@lilas.test")


@pytest.mark.parametrize(("reference", "salutation"), [
    ("VIO-2026-0001-0000001-K", "Madame Zoé Œuvrard"),
    ("VIO-2026-0001-0000002-7", "M. <b>Dupont</b> & fils"),  # escaped in the HTML, as is in the text
    ("VIO-2026-0001-0000003-X", "Cher \x00 patient\u2028"),  # control characters and separators become spaces
    ("", ""),
])
def test_each_patient_s_message_equals_the_message_rendered_for_that_patient(body, reference, salutation):
    assert body.message_for(reference, salutation) == body.render(reference, salutation)


def test_the_reference_and_the_salutation_are_where_the_letter_puts_them(body):
    message = body.message_for("VIO-2026-0001-0000002-7", "M. <b>Dupont</b>")
    assert message.subject == ("Clinique <des> Lilas & Cie\u00a0: information sur une violation de données "
                               "personnelles (réf. VIO-2026-0001-0000002-7)")
    assert message.text.startswith("Référence de ce message\u00a0: VIO-2026-0001-0000002-7\n\nM. <b>Dupont</b>\n")
    assert "<p>M. &lt;b&gt;Dupont&lt;/b&gt;</p>" in message.html and "<b>Dupont" not in message.html
    assert message.text.count("VIO-2026-0001-0000002-7") == 2 and "&lt;des&gt;" in message.html


def test_a_text_holding_the_marker_s_nul_is_rendered_in_full_for_each_patient():
    texts = {**EXAMPLE_TEXTS["fr"], "nature": "Une \x00reference\x00 attaque."}
    body = email_body(texts, lang="fr", establishment="Lilas", letter_date=date(2026, 3, 1))
    assert body.message_for("R-1", "Madame") == body.render("R-1", "Madame")
