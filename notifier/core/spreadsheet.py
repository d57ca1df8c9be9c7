"""Cells written to CSV/XLSX exports that a spreadsheet will open."""

from typing import Any

# OWASP "CSV injection": a cell starting with one of these is run as a formula by Excel/LibreOffice.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: Any) -> Any:
    """Neutralise a text cell that a spreadsheet would read as a formula, by prefixing an apostrophe.

    Numbers stay numbers; only text is touched, so a negative amount typed as text is neutralised too (as it
    should be: '-2+3' typed in a free-text field is not a number)."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = value if isinstance(value, str) else str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text
