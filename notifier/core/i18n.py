"""The one translation path: French is the source language, English comes from the Babel catalog
(notifier/translations/en/LC_MESSAGES/messages.po), for pages, flashes, CLI messages and documents alike.

Plain Python (no Flask), so that rules and commands can use it:
- rules mark the texts they carry with ``N_("…")`` (extracted by ``make translations``, translated when shown);
- anything that shows a text to someone calls ``translate(text, lang)``, or ``gettext`` inside a request
  (Flask-Babel reads the same catalog);
- documents render with an explicit locale (``force_locale``), never the request's by accident.
"""

from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations

SOURCE_LANGUAGE = "fr"
LANGUAGES = ("fr", "en")
TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"


def N_(message: str) -> str:
    """Mark a French text for the catalog without translating it now: it is translated where it is shown."""
    return message


@cache
def catalog(lang: str) -> NullTranslations:
    if lang == SOURCE_LANGUAGE or lang not in LANGUAGES:
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS_DIR), [lang])


def translate(message: str, lang: str, **params) -> str:
    """``message`` (French, as written in the code) in ``lang``; ``%(name)s`` placeholders filled from params."""
    text = catalog(lang).gettext(message) if message else message
    return text % params if params else text


def translate_plural(singular: str, plural: str, count: int, lang: str, **params) -> str:
    text = catalog(lang).ngettext(singular, plural, count)
    return text % {"num": count, **params}


def normalise_language(lang: str | None) -> str:
    return lang if lang in LANGUAGES else SOURCE_LANGUAGE


def cli_language() -> str:
    """The language of command-line messages: NOTIFIER_LANG, else the locale (LC_ALL, LC_MESSAGES, LANG: fr* or
    en*), else French. Only messages change; machine-read parts (``error:``, exit codes, ids, JSON) never do."""
    import os

    for name in ("NOTIFIER_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = (os.environ.get(name) or "").strip().lower()
        if value[:2] in LANGUAGES:
            return value[:2]
    return SOURCE_LANGUAGE
