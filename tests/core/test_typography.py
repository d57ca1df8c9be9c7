"""French typography (README.md, "Languages"): a no-break space before « : ; ? ! », and inside « guillemets », in
every French text the application shows or prints. A plain space there lets the browser or WeasyPrint break the line
just before the colon, which French typesetting forbids."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# A plain space after a word and before high punctuation or a closing guillemet, or after an opening guillemet.
PLAIN_SPACE = re.compile(r"[^\s] [:;?!»](?:\s|$|[\"'<)\\.,])|« ")
SOURCES = sorted([*ROOT.glob("templates/**/*.html"), *ROOT.glob("letters/**/*.html"), *ROOT.glob("notifier/**/*.py")])


def test_french_texts_use_a_no_break_space_before_high_punctuation():
    offenders = [f"{source.relative_to(ROOT)}:{number}: {line.strip()[:120]}"
                 for source in SOURCES
                 for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1)
                 if PLAIN_SPACE.search(line)]
    assert not offenders, "use U+00A0 (no-break space) before : ; ? ! » and after «:\n" + "\n".join(offenders)


def test_a_french_page_as_served_has_no_plain_space_before_a_colon(dpo_client, breach):
    page = dpo_client.get(f"/breaches/{breach.id}").get_data(as_text=True)
    text = re.sub(r"<[^>]+>", "", page)
    assert "\u00a0:" in text
    assert not PLAIN_SPACE.search(text), PLAIN_SPACE.search(text)
