"""Showing texts that other features hand to documents and pages, in one language: the breach form (field labels,
step titles, legal-source captions), the vocabulary, the risk levels and the deadline clocks give their texts as
French msgids of the catalog (notifier/core/i18n.py)."""

from __future__ import annotations

from typing import Any

from notifier.core.i18n import translate


def shown(text: str | None, lang: str) -> str:
    """A French msgid in ``lang``; "" for None."""
    return translate(text, lang) if text else ""


def clock_label(clock: Any, lang: str) -> str:
    """A deadline clock's label (``Clock.label``, a French msgid) in ``lang``."""
    return shown(clock.label, lang)
