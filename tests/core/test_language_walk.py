"""French output speaks French, English output speaks English: every page a DPO or an admin can open, and every
document the app makes (CNIL report initial and complementary, ARS and NIS2 summaries, register PDF, audit PDF, a
patient letter, the public notice), read as text in both languages.

The check is a small list of frequent function words of the other language. What the DPO typed is in the language
she wrote it in, not the app's: the example breach (docs/examples/breach.json) is imported with its free-text answers
replaced by neutral words, so that only the application's own words remain. Proper names and the titles of French
texts of law (quoted as they are in every language) are allowed.
"""

import importlib.util
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pdfplumber
import pytest

from notifier.extensions import db

TESTS = Path(__file__).resolve().parents[1]

# Frequent words that only one of the two languages uses.
ENGLISH_WORDS = {"the", "and", "of", "with", "which", "must", "been", "breach", "breaches", "this", "these", "your",
                 "our", "has", "have", "were", "will", "should", "please", "from", "not", "yet", "by", "if"}
FRENCH_WORDS = {"le", "la", "les", "des", "est", "une", "avec", "doit", "violation", "été", "du", "aux", "pour",
                "dans", "sur", "par", "qui", "vous", "nous", "votre", "être", "pas", "ou", "au", "sont", "ces"}

# Proper names and the titles of French texts, quoted as they are in any language; the test data's names.
ALLOWED = [
    "Code de la santé publique", "code de la santé publique", "décret n° 2016-1214", "code civil",
    "Type de notification", "incident de sécurité des SI", "incident de sécurité des systèmes d'information",
    "autorité parentale", "Clinique des Lilas", "rue des Lilas", "Groupe Hospitalier Test", "CERT Santé",
    "signalement.social-sante.gouv.fr", "notifications.cnil.fr", "Français", "English", "NF Z10-011",
    "notifier-breach", "La Poste", "Commission nationale de l'informatique et des libertés",
]

NEUTRAL = "Xq 42"
# Not pages: files, and a lot, which holds the letters of both templates (each is read alone as a preview).
SKIPPED = {"static", "letters.lot"}  # a free-text answer in no language
# Pages whose language is their address, not the user's choice: the public verification page (issue 17).
FIXED_LANGUAGE = {"verification.verifier": "fr", "verification.verify": "en"}


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(f"_walk_{path.parent.name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


reports_fixtures = _load(TESTS / "reports" / "conftest.py")
letters_fixtures = _load(TESTS / "letters" / "conftest.py")


def _neutral_free_text(doc):
    """Every text and textarea answer of the example becomes NEUTRAL: choices, dates and numbers stay."""
    from notifier.breaches.rules import form

    for step in form.STEPS:
        answers = doc["sections"].get(step.code) or {}
        for item in step.fields:
            if item.kind in ("text", "textarea") and isinstance(answers.get(item.name), str) and answers[item.name]:
                if item.check or (item.kind == "text" and "@" in answers[item.name]):
                    continue  # an e-mail address or a phone number is no language
                answers[item.name] = NEUTRAL


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "code"):  # <code>: machine data shown as stored (audit codes, JSON)
            self._skip += 1
        for name, value in attrs:  # what a user reads besides the text: labels of buttons, titles, placeholders
            if name in ("title", "placeholder", "aria-label", "alt") and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "code"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def html_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def pdf_text(data: bytes) -> str:
    with pdfplumber.open(io.BytesIO(data)) as document:
        return " ".join(" ".join(page.extract_text() or "" for page in document.pages).split())


def foreign_words(text: str, lang: str, names: list[str]) -> list[str]:
    """The other language's words in `text`, each with a little context, allowed phrases and names removed first.
    Words written in capitals are address lines (NF Z10-011 prints them so), not sentences."""
    text = text.replace("\u00a0", " ").replace("\u202f", " ").replace("’", "'")
    text = re.sub(r"(\w)- (\w)", r"\1-\2", text)  # a word cut at its hyphen by a line break
    # Machine identifiers are no language: audit action codes (breach.import) and CSV column names (breach_id).
    text = re.sub(r"\b[a-z]+(?:_[a-z]+)*\.[a-z_]+\b|\b[a-z]+_[a-z_]+\b", " ", text)
    for phrase in sorted([*ALLOWED, *names], key=len, reverse=True):
        text = text.replace(phrase, " ")
    if lang == "en":  # the CNIL form's own section names, quoted in English captions: "section 'Type de notification'"
        text = re.sub(r"\bsections? '[^'\n]{1,60}'(?: and '[^'\n]{1,60}')?", " ", text)
    unwanted = FRENCH_WORDS if lang == "en" else ENGLISH_WORDS
    found = []
    for match in re.finditer(r"[^\W\d_]+(?:'[^\W\d_]+)?", text):
        word = match.group(0)
        if word.isupper() and len(word) > 1:
            continue
        bare = word.lower().split("'")[-1] if lang == "en" else word.lower()
        if bare in unwanted:
            found.append(text[max(0, match.start() - 40):match.end() + 40])
    return found


@pytest.fixture
def world(app, dpo, legal, admin, establishment, tmp_path):
    """A complete breach: the example imported (risk assessed from its facts), each report in both languages (the
    CNIL one initial then complementary), a French and an English letter template, patients, a letter job."""
    from notifier.letters import jobs as letter_jobs
    from notifier.reports import services as reports

    breach = reports_fixtures.import_example(dpo, _neutral_free_text)
    versions = {"fr": [], "en": []}
    for lang in ("fr", "en"):
        for document in reports.available_documents(breach):
            versions[lang].append(reports.generate(breach, user=dpo, document=document.code, kind="initial",
                                                   lang=lang, now=reports_fixtures.IMPORT_NOW).id)
        versions[lang].append(reports.generate(breach, user=dpo, document="cnil", kind="complementary", lang=lang,
                                               now=reports_fixtures.IMPORT_NOW).id)
    people = list(letters_fixtures.PEOPLE)
    ipp, civility, first, last, lines, postcode, city, *_ = people[-1]
    people[-1] = (ipp, civility, first, last, lines, postcode, city, "ready", [], "english")
    patients = letters_fixtures.add_patients(breach, people)
    templates = {
        "fr": letters_fixtures.make_template(breach, dpo, approver=legal),
        "en": letters_fixtures.make_template(breach, dpo, variant="english", lang="en", segments=["english"],
                                             approver=legal),
    }
    job = letter_jobs.start_job(breach, user=None, out_dir=tmp_path / "out", lot_size=20).job
    letters_fixtures.run_here(job.id)
    letter_jobs.finalize(job.id)
    db.session.commit()
    # A tracking file applied in the background, so that its result page is walked too.
    from datetime import date

    from notifier.letters import tracking

    staged = tracking.stage(io.BytesIO(b"reference;status\n"), max_bytes=10_000)
    upload = tracking.begin(breach, staged, "suivi.csv", user=dpo, default_status="returned",
                            default_date=date(2026, 11, 2), max_bytes=10_000)
    tracking.process(upload.id, max_bytes=10_000)
    db.session.commit()
    # The case: a piece of evidence (an image, so that its thumbnail is walked), an event and an exchange.
    from PIL import Image

    from notifier.cases import services as cases

    picture = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 20, 30)).save(picture, format="PNG")
    picture.seek(0)
    evidence = cases.add_evidence(breach, dpo, filename="capture.png", stream=picture, max_bytes=10**6)
    cases.add_event(breach, dpo, occurred_at="2026-10-25T08:30", kind="publication", description="NEUTRAL",
                    evidence_ids=[evidence.id])
    cases.add_exchange(breach, dpo, direction="in", party="cnil", occurred_at="2026-11-02T10:00", subject="NEUTRAL",
                       reference="CNIL-2026-0456", reply_by="2026-11-16T18:00", evidence_ids=[evidence.id])
    db.session.commit()
    held = next(p for p in patients if p.status == "held")
    import_id = patients[0].import_id
    # A rejected row of that import, so that its correction page is walked too (issue 13.10).
    from notifier.patients.models import RejectedLine

    rejected = RejectedLine(import_id=import_id, breach_id=breach.id, row_number=7,
                            cells={"IPP": "999001", "Nom": "Durand", "Code postal": "750"},
                            errors=[["postcode", "postcode_format", "750"]])
    db.session.add(rejected)
    db.session.commit()
    names = [establishment.name, establishment.organisation.name, establishment.address or "",
             establishment.dpo_name or "", establishment.legal_representative or "", breach.reference]
    for person in people:
        names += [person[2], person[3], *person[4], person[6]]
    return {"breach": breach, "versions": versions, "templates": templates, "job": job, "held": held,
            "import_id": import_id, "upload_id": upload.id, "line_id": rejected.id, "evidence_id": evidence.id,
            "names": [n for n in names + ["Durand"] if n]}


def _urls(app, world, lang):
    """Every GET route of the app with its ids filled from the world, in `lang`."""
    from notifier.breaches.rules import form

    breach = world["breach"]
    values = {
        "breach_id": [breach.id], "code": [step.code for step in form.STEPS],
        "establishment_id": [breach.establishment_id],
        "version_id": world["versions"][lang], "import_id": [world["import_id"]], "patient_pk": [world["held"].id],
        "variant": ["standard" if lang == "fr" else "english"], "template_id": [world["templates"][lang].id],
        "token": [world["job"].token], "number": [1], "fmt": ["csv", "pdf"], "upload_id": [world["upload_id"]],
        "line_id": [world["line_id"]],
        "evidence_id": [world["evidence_id"]],
    }
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in SKIPPED or rule.endpoint.startswith("auth."):
            continue
        if FIXED_LANGUAGE.get(rule.endpoint, lang) != lang:
            continue
        combinations = [{}]
        for argument in rule.arguments:
            combinations = [{**c, argument: v} for c in combinations for v in values[argument]]
        with app.test_request_context():
            from flask import url_for

            for arguments in combinations:
                query = {"lang": lang} if rule.endpoint == "letters.public_notice" else {}
                urls.append(url_for(rule.endpoint, **arguments, **query))
    return urls


def _read(response) -> str | None:
    kind = response.mimetype
    if kind == "text/html":
        return html_text(response.get_data(as_text=True))
    if kind == "application/pdf":
        return pdf_text(response.get_data())
    if kind == "text/csv":
        return response.get_data(as_text=True).splitlines()[0]  # the header line; the rest is data
    return None


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_page_and_document_speaks_one_language(app, world, login_as, dpo, admin, lang):
    problems, seen = [], 0
    for user in (dpo, admin):
        client = login_as(user)
        if lang == "en":
            client.post("/lang/en", data={"next": "/"})
        for url in _urls(app, world, lang):
            response = client.get(url)
            assert response.status_code < 500, url
            text = _read(response) if response.status_code == 200 else None
            response.close()
            if text is None:
                continue
            seen += 1
            problems += [f"{user.role} {url}: …{context}…" for context in foreign_words(text, lang, world["names"])]
        client.post("/logout", data={})
        client.csrf_token = None
    assert seen > 30
    assert not problems, f"{len(problems)} words of the other language:\n" + "\n".join(problems[:80])


def test_the_word_check_finds_the_other_language():
    assert not foreign_words("Violation importée breach.import ; colonnes breach_id;user_email", "fr", [])
    assert len(foreign_words("Notification of the breach", "fr", [])) == 3
    assert foreign_words("Notification de la violation", "en", [])
    assert not foreign_words("Notification à la CNIL — Clinique des Lilas", "fr", [])
    assert not foreign_words("Code de la santé publique art. L.1111-8-2, 12 RUE DE LA PAIX", "en", [])

