"""Showing texts that other features hand to documents and pages, in one language.

The breach form (field labels, step titles, legal-source captions), the vocabulary, the risk levels and the deadline
clocks give their texts as French msgids of the catalog, translated here with ``translate(text, lang)``. Until those
features have moved from ``(French, English)`` pairs to msgids, a pair is still accepted: the pair branch goes away
with the last pair (see tests/core/test_i18n.py).
"""

from __future__ import annotations

from typing import Any

from notifier.core.errors import Refusal  # noqa: F401 - re-exported: one refusal for the whole app
from notifier.core.i18n import translate


def shown(text: Any, lang: str) -> str:
    """A French msgid (or, for now, a legacy pair) in ``lang``; "" for None."""
    if text is None:
        return ""
    if isinstance(text, tuple):  # legacy (French, English) pair, until its owner turns it into a msgid
        return text[1] if lang == "en" else text[0]
    return translate(text, lang)


def clock_label(clock: Any, lang: str) -> str:
    """A deadline clock's label (``Clock.label``, a French msgid) in ``lang``."""
    label = getattr(clock, "label", None)
    if label is None:  # legacy clocks carry one attribute per language
        label = tuple(getattr(clock, "label_" + code) for code in ("fr", "en"))
    return shown(label, lang)


