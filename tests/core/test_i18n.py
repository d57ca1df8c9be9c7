"""The English catalog: French is the source language (the msgids), English comes from notifier/translations.

Every string marked for translation in the sources must have an English translation in the .po, the committed .mo
must say the same as the .po, and switching the language to English must change what the pages show. When (a)
fails, run pybabel extract + update (see the failure message), translate the new entries and compile.
"""

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "notifier" / "translations" / "en" / "LC_MESSAGES"
KEYWORDS = {**DEFAULT_KEYWORDS, "_": None, "gettext": None, "lazy_gettext": None, "_l": None, "N_": None}


def _source_msgids() -> dict[str, str]:
    """Every msgid (the singular for plurals) extracted now from the sources, with where it was found first."""
    with open(ROOT / "babel.cfg") as config:
        method_map, options_map = parse_mapping_cfg(config, "babel.cfg")
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def _read_po():
    with open(CATALOG / "messages.po", "rb") as po:
        return read_po(po)


def _translated(message) -> bool:
    strings = tuple(message.string) if isinstance(message.string, tuple | list) else (message.string,)
    return not message.fuzzy and all(s and s.strip() for s in strings)


def test_every_source_string_has_an_english_translation():
    sources = _source_msgids()
    assert len(sources) > 100, "extraction found almost nothing: is babel.cfg still right?"
    catalog = _read_po()
    missing = []
    for msgid, where in sorted(sources.items(), key=lambda item: item[1]):
        message = catalog.get(msgid)
        if message is None or not _translated(message):
            missing.append(f"{where}: {msgid!r}")
    assert not missing, (
        f"{len(missing)} string(s) without an English translation in {CATALOG / 'messages.po'}. Run `make "
        "translations`, translate the new entries in the .po, then run it again to compile.\n" + "\n".join(missing))


def test_the_compiled_catalog_matches_the_po():
    def as_dict(catalog):
        def frozen(value):  # plural forms: a tuple from the .po, a list from the .mo
            return tuple(value) if isinstance(value, tuple | list) else value

        return {frozen(message.id): frozen(message.string) for message in catalog
                if message.id and _translated(message)}

    po = _read_po()
    # A fuzzy header makes `pybabel compile` skip the whole catalog (and update --omit-header produces one).
    assert not po.fuzzy, "the header of messages.po is marked fuzzy: pybabel compile would skip it"
    with open(CATALOG / "messages.mo", "rb") as mo:
        compiled = as_dict(read_mo(mo))
    source = as_dict(po)
    stale = sorted(set(source) ^ set(compiled)) + sorted(
        str(msgid) for msgid in set(source) & set(compiled) if source[msgid] != compiled[msgid])
    assert not stale, ("messages.mo differs from messages.po: run `pybabel compile -d notifier/translations`. "
                       f"First differences: {stale[:10]}")


def test_pages_are_in_french_by_default(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="fr">' in page
    assert "Connexion" in page
    assert "Mot de passe" in page


def test_pages_are_in_english_when_chosen(dpo_client):
    french = dpo_client.get("/").get_data(as_text=True)
    assert "Tableau de bord" in french and "Se déconnecter" in french

    dpo_client.post("/lang/en", data={"next": "/"})
    page = dpo_client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Dashboard" in page
    assert "Log out" in page
    assert "Tableau de bord" not in page
    assert "Se déconnecter" not in page


# --- one translation path -----------------------------------------------------------------------------------------

SECOND_SYSTEM = re.compile(r"label_fr|label_en|def pick\(|Text = tuple\[str, str\]")


def _second_system() -> list[str]:
    return [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
            for path in sorted((ROOT / "notifier").rglob("*.py"))
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if SECOND_SYSTEM.search(line)]


def test_no_python_file_carries_french_english_pairs():
    offenders = _second_system()
    assert not offenders, "(fr, en) pairs beside the catalog: use N_() and translate()\n" + "\n".join(offenders)


# --- the language of commands -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("environment", "expected"), [
    ({}, "fr"),
    ({"LANG": "C.UTF-8"}, "fr"),
    ({"LANG": "en_GB.UTF-8"}, "en"),
    ({"LANG": "fr_FR.UTF-8"}, "fr"),
    ({"LANG": "de_DE.UTF-8"}, "fr"),
    ({"LC_MESSAGES": "en_US.UTF-8", "LANG": "fr_FR.UTF-8"}, "en"),
    ({"LC_ALL": "fr_FR.UTF-8", "LC_MESSAGES": "en_US.UTF-8"}, "fr"),
    ({"NOTIFIER_LANG": "en", "LC_ALL": "fr_FR.UTF-8"}, "en"),
    ({"NOTIFIER_LANG": "fr", "LANG": "en_US.UTF-8"}, "fr"),
    ({"NOTIFIER_LANG": "", "LANG": "en_US.UTF-8"}, "en"),
])
def test_command_language_comes_from_notifier_lang_then_the_locale_then_french(monkeypatch, environment, expected):
    from notifier.core.i18n import cli_language

    for name in ("NOTIFIER_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert cli_language() == expected
