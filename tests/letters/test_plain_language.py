"""Issue 13 point 9, GDPR art. 34(2) "clear and plain language": before approval, jargon and technical terms (a list
in the rules, French and English), long sentences and missing advice are flagged for the DPO and legal."""

import html
import re

from notifier.letters import services as letters
from notifier.letters.rules.plain_language import JARGON, check_texts, jargon, long_sentences


def test_the_cnil_language_of_the_wizard_is_flagged_with_a_plainer_wording():
    text = "L'analyse des journaux a confirmé une exfiltration depuis un compte de service via le VPN (DPI)."
    terms = [term for term, _ in jargon(text, "fr")]
    assert terms == ["compte de service", "DPI", "VPN", "exfiltration", "journaux"]


def test_acronyms_match_in_capitals_only_and_terms_without_accents_or_case():
    assert jargon("Si vous avez un doute, appelez-nous.", "fr") == []
    assert [t for t, _ in jargon("Le SI de l'hôpital", "fr")] == ["SI"]
    assert [t for t, _ in jargon("Une EXFILTRATION a eu lieu", "fr")] == ["exfiltration"]
    assert [t for t, _ in jargon("A ransomware attack on our server", "en")] == ["ransomware", "server"]


def test_both_languages_have_a_list_and_each_term_a_plainer_wording():
    assert set(JARGON) == {"fr", "en"}
    assert all(plain for terms in JARGON.values() for plain in terms.values())


def test_a_sentence_over_25_words_is_flagged_with_its_start():
    long = " ".join(["mot"] * 30) + "."
    assert long_sentences(f"Phrase courte. {long}") == [(30, "mot mot mot mot mot mot…")]
    assert long_sentences("Une ligne.\n- un élément de liste\n- un autre") == []


def test_missing_or_empty_advice_is_flagged():
    assert [w.code for w in check_texts({"nature": "Un vol."}, "fr")] == ["advice_missing"]
    vague = check_texts({"advice": "Nous restons à votre écoute."}, "fr")
    assert [w.code for w in vague] == ["advice_not_concrete"]
    assert check_texts({"advice": "Méfiez-vous des appels."}, "fr") == []


def test_the_warnings_are_sentences_in_the_readers_language_with_the_suggestion_in_the_letters():
    warnings = letters.plain_language_warnings({"nature": "Exfiltration de données.", "advice": "Appelez-nous."},
                                               "fr", "en")
    assert warnings == ["Block “Nature of the breach (what happened)”: “exfiltration” is a technical term; prefer "
                        "for instance “copie de données par des personnes non autorisées” (GDPR art. 34(2), clear "
                        "and plain language)."]


def test_dpo_and_legal_see_the_warnings(breach, dpo, legal, helpers, login_as):
    template = helpers.make_template(breach, dpo, texts={"measures": "Nous avons coupé le VPN et l'EDR surveille."})
    for user in (dpo, legal):
        page = login_as(user).get(f"/breaches/{breach.id}/letters/templates/{template.id}").get_data(as_text=True)
        text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).replace("\u00a0", " ").split())
        assert "« VPN » est un terme technique" in text and "« EDR » est un terme technique" in text
    edit = login_as(dpo).get(f"/breaches/{breach.id}/letters/variants/standard").get_data(as_text=True)
    assert "termes clairs et simples (RGPD art. 34(2))" in html.unescape(edit)
