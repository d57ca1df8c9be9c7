"""A breach's stored values as people read them, for the change history (issue 13.13): choice codes as their
labels ("will_be" -> "Les personnes seront informées"), lists as labels, booleans as Oui/Non, instants in Paris time,
counts grouped. The raw value stays one click away on the page. Pure: no Flask, no SQLAlchemy."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from notifier.breaches.rules import form, vocabulary
from notifier.core.formatting import format_count, format_date, format_datetime
from notifier.core.i18n import N_, translate

YES_NO: dict[bool, str] = {True: N_("Oui"), False: N_("Non")}
STATUS_LABELS: dict[str, str] = {"draft": N_("Brouillon"), "open": N_("En cours"), "closed": N_("Clôturée")}
# Changes recorded outside the wizard's fields (breaches/services.py): their labels.
OTHER_FIELDS: dict[str, str] = {"status": N_("Statut"), "reopen_reason": N_("Motif de la réouverture"),
                                "establishment": N_("Établissement")}


def field_label(name: str, lang: str) -> str:
    field = form.FIELD_BY_NAME.get(name)
    if field is not None:
        return translate(field.label, lang)
    return translate(OTHER_FIELDS[name], lang) if name in OTHER_FIELDS else name


def _instant(value: Any) -> datetime | None:
    try:
        instant = datetime.fromisoformat(value) if isinstance(value, str) else value
    except ValueError:
        return None
    return instant if isinstance(instant, datetime) and instant.tzinfo is not None else None


def value_text(name: str, value: Any, lang: str) -> str:
    """One stored value as text; "" when empty. A value that does not fit its field is shown as it is."""
    if value in (None, "", []):
        return ""
    if name == "status":
        return translate(STATUS_LABELS[value], lang) if value in STATUS_LABELS else str(value)
    field = form.FIELD_BY_NAME.get(name)
    if isinstance(value, bool):
        return translate(YES_NO[value], lang)
    if field is None:
        if isinstance(value, list):
            return ", ".join(map(str, value))
        return str(value)
    if isinstance(value, list):
        return ", ".join(vocabulary.label(field.options, str(code), lang) if field.options else str(code)
                         for code in value)
    if field.kind == "choice":
        return vocabulary.label(field.options, str(value), lang)
    if field.kind == "int" and isinstance(value, int):
        return format_count(value, lang)
    if field.kind == "datetime":
        instant = _instant(value)
        return format_datetime(instant, lang) if instant else str(value)
    if field.kind == "date":
        try:
            return format_date(date.fromisoformat(str(value)), lang)
        except ValueError:
            return str(value)
    return str(value)
