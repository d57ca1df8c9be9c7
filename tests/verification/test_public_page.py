"""The public page "is this letter genuine?": a genuine, an unknown and a mistyped reference each get their own
answer, and no answer carries personal data; no login, no cookie, a strict CSP, a rate limit per address with its
own French page, and daily counts without the caller's address."""

import re

import pytest
from sqlalchemy import inspect, select

from notifier.extensions import db
from notifier.letters import services as letters
from notifier.verification import services as verification
from notifier.verification.models import VerificationCount


def outcome_of(page: str) -> str:
    found = re.findall(r'data-outcome="([a-z-]+)"', page)
    assert len(found) == 1, found
    return found[0]


def personal_data(people) -> list[str]:
    """Everything of the patients that must never appear on the public page."""
    values = []
    for person in people.values():
        p = person.patient
        values += [p.patient_id, p.first_name, p.last_name, p.postcode, p.city, *p.address_lines,
                   p.birth_date.strftime("%d/%m/%Y"), p.birth_date.isoformat()]
    return values


def assert_no_personal_data(page: str, people) -> None:
    lowered = page.lower()
    leaked = [value for value in personal_data(people) if value.lower() in lowered]
    assert leaked == []


def test_a_genuine_reference_names_the_establishment_and_the_day_it_was_posted(client, mailed):
    person = mailed["IPP-GENUINE-1"]
    response = client.get(f"/verifier?reference={person.reference}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and outcome_of(page) == "genuine"
    assert "Ce courrier est authentique." in page and "Clinique des Lilas" in page
    assert "Courrier envoyé le 17 mars 2026." in page
    # The formula of the numbers is public: a forger can print a valid reference, so "genuine" comes with the test
    # a patient can apply to what they hold.
    assert "data-forgery-warning" in page and "même avec cette référence" in page
    assert "Ce que nous ne vous demanderons jamais" in page and "coordonnées bancaires" in page
    assert_no_personal_data(page, mailed)
    assert person.reference not in page  # never written back


def test_a_letter_generated_but_not_yet_posted_is_genuine_with_its_preparation_day(client, mailed):
    page = client.get(f"/verifier?reference={mailed['IPP-GENUINE-2'].reference}").get_data(as_text=True)
    assert outcome_of(page) == "genuine" and "Courrier préparé le 16 mars 2026" in page
    assert_no_personal_data(page, mailed)


def test_a_reference_typed_in_lower_case_with_spaces_is_still_recognised(client, mailed):
    typed = " " + mailed["IPP-GENUINE-1"].reference.lower().replace("-", " - ") + " "
    page = client.get("/verifier", query_string={"reference": typed}).get_data(as_text=True)
    assert outcome_of(page) == "genuine"


def test_an_unknown_reference_is_told_apart_from_a_mistyped_one(client, breach, mailed):
    unknown = letters.letter_reference(breach.reference, letters.letter_number(9999))  # right check, no letter
    page = client.get("/verifier", query_string={"reference": unknown}).get_data(as_text=True)
    assert outcome_of(page) == "unknown" and "Aucun courrier ne porte cette référence." in page
    assert_no_personal_data(page, mailed)

    genuine = mailed["IPP-GENUINE-1"].reference
    wrong_check = genuine[:-1] + ("A" if genuine[-1] != "A" else "B")
    digits = genuine[-9:-2]
    swapped = genuine[:-9] + digits[1] + digits[0] + digits[2:] + genuine[-2:]
    assert digits[0] != digits[1] or swapped == genuine
    for typo in (wrong_check, swapped if swapped != genuine else wrong_check, "PAS-UNE-REFERENCE", "x" * 500):
        page = client.get("/verifier", query_string={"reference": typo}).get_data(as_text=True)
        assert outcome_of(page) == "mistyped", typo
        assert "Cette référence est mal saisie." in page
        assert_no_personal_data(page, mailed)


def test_a_letter_never_generated_for_real_is_unknown(client, mailed):
    page = client.get(f"/verifier?reference={mailed['IPP-NOT-SENT'].reference}").get_data(as_text=True)
    assert outcome_of(page) == "unknown"


def test_the_reference_is_never_echoed_as_html(client, breach, mailed):
    hostile = f'{breach.reference}-1234567-"><script>alert(1)</script>'
    page = client.get("/verifier", query_string={"reference": hostile}).get_data(as_text=True)
    assert "<script" not in page and "alert(1)" not in page and "&lt;script" not in page
    assert outcome_of(page) == "mistyped"


def test_the_english_page_answers_in_english(client, mailed):
    page = client.get(f"/verify?reference={mailed['IPP-GENUINE-1'].reference}").get_data(as_text=True)
    assert outcome_of(page) == "genuine" and 'lang="en"' in page
    assert "This letter is genuine." in page and "17 March 2026" in page
    assert "authentique" not in page


def test_the_public_page_needs_no_login_and_sets_no_cookie(app, client, dpo, mailed):
    reference = mailed["IPP-GENUINE-1"].reference
    for url in ("/verifier", "/verify", f"/verifier?reference={reference}", "/verify?reference=nonsense"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Set-Cookie" not in response.headers, url
    from tests.conftest import login

    login(client, dpo)  # a DPO's browser, with its session cookie: the public page neither reads nor refreshes it
    response = client.get(f"/verifier?reference={reference}")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert dpo.email not in response.get_data(as_text=True)


def test_every_response_under_the_public_paths_is_the_public_page_with_no_cookie_and_the_strict_policy(app, dpo):
    """A mistyped address under the page (a trailing slash, a path), with or without a DPO's cookie: the public
    page's own 404 in its language, never the app's 404 page (its language form opened a session: Set-Cookie)."""
    from tests.conftest import login

    signed_in = app.test_client()
    login(signed_in, dpo)
    for client in (app.test_client(), signed_in):
        for path, lang in (("/verifier/", "fr"), ("/verify/", "en"), ("/verifier/x", "fr"), ("/verify/a/b", "en")):
            response = client.get(path)
            page = response.get_data(as_text=True)
            assert response.status_code == 404 and outcome_of(page) == "not-found", path
            assert f'<html lang="{lang}">' in page and 'action="/verif' in page, path
            assert "Set-Cookie" not in response.headers, path
            assert "default-src 'none'" in response.headers["Content-Security-Policy"], path
            assert "csrf_token" not in page and "<script" not in page, path
        response = client.post("/verifier")
        assert response.status_code == 405 and "Set-Cookie" not in response.headers
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_an_error_while_answering_is_the_public_page_in_its_language_with_no_cookie(app, monkeypatch):
    def database_out_of_reach(_reference):
        raise RuntimeError("connection refused")

    monkeypatch.setattr(verification, "verify", database_out_of_reach)
    monkeypatch.setattr(app, "testing", False)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    for path, lang, text in (("/verifier", "fr", "La vérification n'a pas pu être faite"),
                             ("/verify", "en", "The check could not be made")):
        response = app.test_client().get(path, query_string={"reference": "VIO-2026-0001-6579450-5"})
        page = response.get_data(as_text=True)
        assert response.status_code == 500 and outcome_of(page) == "failed" and text in page
        assert f'<html lang="{lang}">' in page and "connection refused" not in page
        assert "Set-Cookie" not in response.headers
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_the_public_page_has_a_strict_content_security_policy(client):
    response = client.get("/verifier")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "unsafe" not in csp
    assert "script-src" not in csp  # no script at all (default-src 'none')
    assert response.headers["Referrer-Policy"] == "no-referrer" and response.headers["Cache-Control"] == "no-store"
    assert "<script" not in response.get_data(as_text=True)


@pytest.fixture
def rate_limited(tmp_path):
    """An app with Flask-Limiter on (the shared test app turns it off), 3 verifications a minute per address."""
    from notifier import create_app

    url = f"sqlite:///{tmp_path / 'limited.db'}"
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SQLALCHEMY_DATABASE_URI": url,
                      "STORAGE_DIR": str(tmp_path / "storage"), "SECRET_KEY": "test-secret",
                      "SESSION_COOKIE_SECURE": False, "RATELIMIT_ENABLED": True, "VERIFY_RATE_LIMIT": "3 per minute",
                      "AUDIT_KEY": "k", "AUDIT_SIGNING_KEY": str(tmp_path / "audit_signing_key"),
                      "AUDIT_CHECKPOINT_FILE": str(tmp_path / "checkpoints.jsonl")})
    with app.app_context():
        db.create_all()
        yield app.test_client()
        db.session.remove()
        db.engine.dispose()


def test_too_many_verifications_from_one_address_get_a_french_429_page(rate_limited):
    client = rate_limited
    for _ in range(3):
        assert client.get("/verifier?reference=VIO-2026-0001-1234567-K").status_code == 200
    response = client.get("/verifier?reference=VIO-2026-0001-1234567-K")
    page = response.get_data(as_text=True)
    assert response.status_code == 429 and response.headers["Retry-After"] == "60"
    assert "Trop de vérifications depuis votre adresse\u00a0: réessayez dans une minute." in page
    assert "Set-Cookie" not in response.headers and "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert "data-outcome=\"too-many\"" in page and "mal saisie" not in page  # the limited request was not looked up
    english = client.get("/verify")  # the limit is shared by both languages, the page is in the one asked
    assert english.status_code == 429 and "Too many verifications" in english.get_data(as_text=True)
    other = client.get("/verifier", environ_overrides={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 200  # per address
    assert client.get("/login").status_code == 200  # the rest of the app is not limited by it


def test_verifications_are_counted_per_breach_day_and_outcome_without_the_callers_address(client, breach, mailed):
    genuine = mailed["IPP-GENUINE-1"].reference
    client.get(f"/verifier?reference={genuine}")
    client.get(f"/verify?reference={genuine}")
    client.get("/verifier", query_string={"reference": genuine[:-1] + ("A" if genuine[-1] != "A" else "B")})
    client.get("/verifier", query_string={"reference": letters.letter_reference(breach.reference, 12)})
    client.get("/verifier", query_string={"reference": letters.letter_reference("FAUX-2026-0001", 12)})
    client.get("/verifier")  # the empty form is not a verification
    counts = verification.daily_counts(breach.id)
    assert counts.totals == {"genuine": 2, "unknown": 1, "mistyped": 1}
    assert len(counts.days) == 1
    nowhere = db.session.execute(select(VerificationCount.outcome, VerificationCount.count)
                                 .where(VerificationCount.breach_id.is_(None))).all()
    assert nowhere == [("unknown", 1)]
    columns = {column["name"] for column in inspect(db.engine).get_columns("verification_count")}
    assert columns == {"id", "breach_id", "day", "outcome", "count"}  # nothing about the caller


def test_the_breach_page_shows_the_daily_verifications_to_dpo_and_legal(client, breach, mailed, dpo_client):
    dpo_client.get(f"/verifier?reference={mailed['IPP-GENUINE-1'].reference}")
    page = dpo_client.get(f"/breaches/{breach.id}").get_data(as_text=True)
    assert "verification-counts" in page and 'data-outcome="genuine">1<' in page


def test_a_genuine_answer_gives_the_hotline_number_and_public_notice_of_the_approved_script(client, breach, dpo,
                                                                                           legal, mailed):
    from notifier.hotline import services as hotline

    texts = {key: f"Texte {key}" for key in hotline.SECTIONS}
    script = hotline.save_script(breach, dpo, texts=texts, phone="0 800 00 12 34", hours="9 h - 18 h",
                                 notice_url="https://www.lilas.test/avis")
    db.session.commit()
    page = client.get(f"/verifier?reference={mailed['IPP-GENUINE-1'].reference}").get_data(as_text=True)
    assert "0 800 00 12 34" not in page  # not approved yet: nothing of the draft is public
    hotline.approve_script(script, legal)
    db.session.commit()
    page = client.get(f"/verifier?reference={mailed['IPP-GENUINE-1'].reference}").get_data(as_text=True)
    assert "0 800 00 12 34" in page and "9 h - 18 h" in page
    assert 'href="https://www.lilas.test/avis" rel="noreferrer"' in page
    assert "Texte " not in page  # none of the script's sections: not what happened, not the data concerned
    assert_no_personal_data(page, mailed)


def test_the_lookup_runs_the_same_queries_whatever_the_answer(app, breach, mailed):
    """Constant work: a genuine, an unknown and a mistyped reference cost the same statements."""
    from sqlalchemy import event

    def statements(reference):
        seen = []

        def count(*_args):
            seen.append(1)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            verification.verify(reference)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(seen)

    genuine = mailed["IPP-GENUINE-1"].reference
    unknown = letters.letter_reference(breach.reference, 12)
    assert statements(genuine) == statements(unknown) == statements(genuine[:-1] + "0") == statements("garbage")


def test_counts_wait_in_the_process_then_are_written_together(app, breach, mailed):
    genuine = verification.verify(mailed["IPP-GENUINE-1"].reference)
    key = f"test-db-{breach.id}-{id(app)}"
    assert verification.count(genuine, database=key, flush_seconds=3600)  # the first one writes
    assert not verification.count(genuine, database=key, flush_seconds=3600)  # then they wait...
    assert not verification.count(genuine, database=key, flush_seconds=3600)
    assert verification.daily_counts(breach.id).totals["genuine"] == 1
    assert verification.count(genuine, database=key, flush_seconds=0)  # ...until the interval passed
    db.session.commit()
    assert verification.daily_counts(breach.id).totals["genuine"] == 4


def test_two_rows_of_one_counter_still_count_each_verification_once(app, breach, mailed):
    """Two workers' first writes of a day may each insert the counter's row; a later write adds to one of them."""
    genuine = verification.verify(mailed["IPP-GENUINE-1"].reference)
    today = verification.datetime.now(verification.PARIS).date()
    db.session.add_all([VerificationCount(breach_id=breach.id, day=today, outcome="genuine", count=1),
                        VerificationCount(breach_id=breach.id, day=today, outcome="genuine", count=1)])
    db.session.commit()
    assert verification.count(genuine, database=f"two-rows-{id(app)}", flush_seconds=0)
    db.session.commit()
    assert verification.daily_counts(breach.id).totals["genuine"] == 3


def test_a_verification_between_two_count_writes_runs_one_statement_and_loads_no_user(app, client, breach, mailed):
    """The lookup is the request's only statement: no session, no user loaded (even with a remember cookie), no
    transaction around it; the counts are written once per VERIFY_COUNT_FLUSH_SECONDS."""
    from sqlalchemy import event

    app.config["VERIFY_COUNT_FLUSH_SECONDS"] = 3600
    reference = mailed["IPP-GENUINE-1"].reference
    client.get(f"/verifier?reference={reference}")  # the first one of this database writes its count
    client.set_cookie("remember_token", "1|forged", domain="localhost")
    seen = []

    def statement(_connection, _cursor, text, *_args):
        seen.append(text.split()[0].upper())

    event.listen(db.engine, "before_cursor_execute", statement)
    try:
        for path in (f"/verifier?reference={reference}", f"/verify?reference={reference}",
                     "/verifier?reference=NOT-A-REFERENCE"):
            response = client.get(path)
            assert response.status_code == 200 and "Set-Cookie" not in response.headers
    finally:
        event.remove(db.engine, "before_cursor_execute", statement)
    assert seen == ["SELECT", "SELECT", "SELECT"]


def test_each_answer_is_rendered_for_its_own_facts(client, mailed):
    """The page of an answer is kept once rendered: a genuine, an unknown and a mistyped answer, in either language,
    never get each other's page."""
    genuine = mailed["IPP-GENUINE-1"].reference
    pages = {}
    for _round in range(2):
        for path in ("/verifier", "/verify"):
            for reference in (genuine, genuine[:-1] + ("A" if genuine[-1] != "A" else "B"),
                              letters.letter_reference(genuine.rsplit("-", 2)[0], 12)):
                page = client.get(path, query_string={"reference": reference}).get_data(as_text=True)
                pages.setdefault((path, reference), set()).add((outcome_of(page), '<html lang="en">' in page))
    assert all(len(answers) == 1 for answers in pages.values())
    assert {answer for answers in pages.values() for answer in answers} == {
        (outcome, english) for outcome in ("genuine", "mistyped", "unknown") for english in (False, True)}


def test_a_reference_two_organisations_both_sent_names_both_establishments_and_says_to_compare(client, breach,
                                                                                               mailed):
    """Breach references are numbered per organisation and letter numbers follow the serial, so two organisations
    of one instance send letters with the same reference: the page names every establishment that sent it and
    tells the patient to compare with the one named on the letter; a reference of one of them names it alone."""
    from notifier.accounts.organisations import Establishment, Organisation
    from notifier.breaches.services import create_breach
    from tests.conftest import make_user
    from tests.mailed_letters import PEOPLE, add_letters

    other = Organisation(name="CHU Voisin")
    db.session.add_all([other, Establishment(organisation=other, name="Hôpital Voisin", siren="552100554",
                                             finess="750000002")])
    db.session.commit()
    theirs = create_breach(make_user(other, "dpo", "dpo@voisin.test"), other.establishments[0])
    db.session.commit()
    assert theirs.reference == breach.reference
    add_letters(theirs, PEOPLE[:1])
    both = client.get(f"/verifier?reference={mailed['IPP-GENUINE-1'].reference}").get_data(as_text=True)
    assert outcome_of(both) == "genuine" and 'data-several="2"' in both
    assert "Clinique des Lilas" in both and "Hôpital Voisin" in both
    assert "Plusieurs établissements ont envoyé un courrier portant cette référence." in both
    one = client.get(f"/verifier?reference={mailed['IPP-GENUINE-2'].reference}").get_data(as_text=True)
    assert outcome_of(one) == "genuine" and "data-several" not in one
    assert "Clinique des Lilas" in one and "Hôpital Voisin" not in one
    english = client.get(f"/verify?reference={mailed['IPP-GENUINE-1'].reference}").get_data(as_text=True)
    assert "Several establishments sent a letter with this reference." in english
    assert verification.daily_counts(theirs.id).totals["genuine"] == 2  # counted for each breach named
