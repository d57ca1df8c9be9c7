"""In Chromium: a patient checks a letter on the public page "is this letter genuine?" by typing its reference: a
genuine, an unknown and a mistyped reference each get their own answer, no cookie is ever set and no personal data
is in the page; past the rate limit the page answers in French with a 429. The breach page's calls chart stays
readable on a phone. Screenshots at 1,280 and 390 px under test-output/screenshots/ (issue 17); axe-core finds no
serious violation."""

import pytest
from playwright.sync_api import Page, expect

from notifier import create_app
from notifier.extensions import db
from tests.mailed_letters import PEOPLE

PASSWORD = "public page passphrase 2026"
LIMIT = 20  # requests per address and minute to the public page in these tests (each check is two: form, answer)


@pytest.fixture
def live_app(tmp_path):
    """The e2e app with the public page's rate limit on (the other e2e tests turn rate limiting off)."""
    url = f"sqlite:///{tmp_path / 'e2e.db'}"
    app = create_app({
        "DATABASE_URL": url, "SQLALCHEMY_DATABASE_URI": url, "STORAGE_DIR": str(tmp_path / "storage"),
        "SECRET_KEY": "e2e-secret", "SESSION_COOKIE_SECURE": False, "RATELIMIT_ENABLED": True,
        "VERIFY_RATE_LIMIT": f"{LIMIT} per minute", "VERIFY_COUNT_FLUSH_SECONDS": 0,
    })
    with app.app_context():
        db.create_all()
    return app


@pytest.fixture
def scene(live_app):
    """An establishment, a DPO and a hotline agent, a breach with a posted letter, one prepared and one never
    generated (tests/mailed_letters.py)."""
    from notifier.accounts.organisations import Establishment, Organisation
    from notifier.accounts.services import add_user
    from notifier.breaches.services import create_breach
    from notifier.letters import services as letters
    from tests.mailed_letters import add_letters

    with live_app.app_context():
        organisation = Organisation(name="CH des Lilas")
        establishment = Establishment(organisation=organisation, name="Centre hospitalier des Lilas",
                                      siren="552100554", finess="690781234", address="1 rue des Lilas, 35000 Rennes",
                                      dpo_name="Claire Martin", dpo_email="dpo@lilas.test", dpo_phone="02 99 10 20 30")
        db.session.add_all([organisation, establishment])
        db.session.commit()
        dpo = add_user("dpo@lilas.test", "dpo", PASSWORD, organisation=organisation)
        hotline_user = add_user("accueil@lilas.test", "hotline", PASSWORD, organisation=organisation)
        breach = create_breach(dpo, establishment)
        db.session.commit()
        made = add_letters(breach)
        return {"breach": breach.id, "dpo": dpo.id, "hotline": hotline_user.id,
                "genuine": made["IPP-GENUINE-1"].reference,
                "unknown": letters.letter_reference(breach.reference, letters.letter_number(99)),
                "never_generated": made["IPP-NOT-SENT"].reference}


def personal_data() -> list[str]:
    values = []
    for ipp, first, last, born, street, postcode, city, _status in PEOPLE:
        values += [ipp, first, last, street, postcode, city, born.strftime("%d/%m/%Y"), born.isoformat()]
    return [value.lower() for value in values]


def check(page: Page, base: str, reference: str) -> str:
    """Types the reference into the page's form and submits it; returns the answer's outcome."""
    page.goto(f"{base}/verifier")
    page.get_by_label("Référence du courrier").fill(reference)
    page.get_by_role("button", name="Vérifier").click()
    answer = page.locator("[data-outcome]")
    expect(answer).to_have_count(1)
    return answer.get_attribute("data-outcome")


def no_leak(page: Page) -> list[str]:
    html = page.content().lower()
    return [value for value in personal_data() if value in html]


def fits(page: Page) -> list[str]:
    return page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
        .slice(0, 8).map(e => e.tagName + '.' + e.className)""")


def test_a_patient_checks_a_genuine_an_unknown_and_a_mistyped_reference(page: Page, live_server, scene,
                                                                          assert_accessible, screenshot):
    genuine = scene["genuine"]
    page.goto(f"{live_server}/verifier")
    expect(page.get_by_role("heading", name="Ce courrier vient-il bien de nous ?")).to_be_visible()
    assert_accessible(page, "the empty public page")

    assert check(page, live_server, genuine.lower().replace("-", "- ", 1)) == "genuine"  # as copied from paper
    expect(page.get_by_text("Ce courrier est authentique.")).to_be_visible()
    expect(page.get_by_text("Centre hospitalier des Lilas")).to_be_visible()
    expect(page.get_by_text("Courrier envoyé le 17 mars 2026.")).to_be_visible()
    assert no_leak(page) == [] and genuine not in page.content()  # the reference is never written back
    assert_accessible(page, "a genuine answer")
    screenshot(page, "public-page-genuine")
    page.set_viewport_size({"width": 390, "height": 844})
    assert fits(page) == []
    screenshot(page, "public-page-genuine")
    page.set_viewport_size({"width": 1280, "height": 900})

    assert check(page, live_server, scene["unknown"]) == "unknown"
    expect(page.get_by_text("Aucun courrier ne porte cette référence.")).to_be_visible()
    assert check(page, live_server, scene["never_generated"]) == "unknown"  # a draft letter is no letter
    assert no_leak(page) == []
    assert_accessible(page, "an unknown reference")
    screenshot(page, "public-page-unknown")

    mistyped = genuine[:-1] + ("A" if genuine[-1] != "A" else "B")
    assert check(page, live_server, mistyped) == "mistyped"
    expect(page.get_by_text("Cette référence est mal saisie.")).to_be_visible()
    assert no_leak(page) == []
    assert_accessible(page, "a mistyped reference")
    page.set_viewport_size({"width": 390, "height": 844})
    assert fits(page) == []
    screenshot(page, "public-page-mistyped")

    assert page.context.cookies() == []  # no session, no cookie of any kind, whatever the answer


def test_past_the_limit_the_page_answers_in_french_with_a_429(page: Page, live_server, scene, assert_accessible,
                                                              screenshot):
    url = f"{live_server}/verifier?reference={scene['genuine']}"
    statuses = [page.goto(url).status for _ in range(LIMIT)]
    assert statuses == [200] * LIMIT
    response = page.goto(url)
    assert response.status == 429 and response.headers["retry-after"] == "60"
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("alert")).to_have_text(
        "Trop de vérifications depuis votre adresse\u00a0: réessayez dans une minute.")
    assert page.context.cookies() == []
    assert_accessible(page, "the 429 page")
    screenshot(page, "public-page-too-many")
    page.set_viewport_size({"width": 390, "height": 844})
    assert fits(page) == []
    screenshot(page, "public-page-too-many")


def test_the_breach_pages_calls_chart_is_readable_on_a_phone(page: Page, live_server, live_app, scene,
                                                             assert_accessible, screenshot):
    from notifier.accounts.models import User
    from notifier.breaches.models import Breach
    from notifier.hotline import services as hotline

    with live_app.app_context():
        breach, agent = db.session.get(Breach, scene["breach"]), db.session.get(User, scene["hotline"])
        for reason in ("genuine", "genuine", "fraud_fear", "rights"):
            hotline.log_call(breach, agent, reason=reason, outcome="answered")
        db.session.commit()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/login")
    page.get_by_label("Courriel").fill("dpo@lilas.test")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(f"{live_server}/breaches/{scene['breach']}")
    chart = page.locator("figure.hotline-panel-chart svg")
    chart.scroll_into_view_if_needed()
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    # Every word of the chart at least 10 px high once scaled to the phone's width (days and legend).
    heights = page.evaluate("""() => [...document.querySelectorAll('figure.hotline-panel-chart svg text')]
        .filter(t => t.textContent.trim().length > 1).map(t => t.getBoundingClientRect().height)""")
    assert heights and min(heights) >= 10, heights
    legend = page.locator("figure.hotline-panel-chart svg text[font-size='13']").all_text_contents()
    assert len(legend) == 3  # the three reasons called, not all eight
    assert_accessible(page, "the breach page with its calls chart")
    screenshot(page, "breach-page-calls-chart")
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot(page, "breach-page-calls-chart")
