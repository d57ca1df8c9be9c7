"""Dates, times and durations as pages and letters print them, French typography first, English second.

French: « 26 octobre 2026 à 13 h 20 », « 1er mars 2028 », « 2 j 5 h 03 min », with a no-break space (U+00A0)
between a number and its unit so that a line never breaks inside « 13 h 20 ». Any language other than English gets
French, the product's first language."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

NBSP = "\u00a0"

MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
             "novembre", "décembre")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December")


def _english(lang: str) -> bool:
    return (lang or "").lower().startswith("en")


def _local(dt: datetime, tz: str) -> datetime:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"refusing to format a naive datetime as an instant: {dt.isoformat()}")
    return dt.astimezone(ZoneInfo(tz))


def format_date(d: date | datetime, lang: str = "fr", tz: str = "Europe/Paris") -> str:
    """fr « 1er mars 2028 », « 26 octobre 2026 »; en "1 March 2028". A datetime is first read in ``tz``."""
    if isinstance(d, datetime):
        d = _local(d, tz).date()
    if _english(lang):
        return f"{d.day} {MONTHS_EN[d.month - 1]} {d.year}"
    # French writes the first day of a month as an ordinal, « 1er », and the others as cardinals.
    day = "1er" if d.day == 1 else str(d.day)
    return f"{day} {MONTHS_FR[d.month - 1]} {d.year}"


def format_datetime(dt_utc: datetime, lang: str = "fr", tz: str = "Europe/Paris") -> str:
    """fr « 26 octobre 2026 à 13 h 20 »; en "26 October 2026 at 13:20"; the wall-clock time in ``tz``."""
    local = _local(dt_utc, tz)
    if _english(lang):
        return f"{format_date(local.date(), lang)} at {local:%H:%M}"
    return f"{format_date(local.date(), lang)} à {local.hour:02d}{NBSP}h{NBSP}{local.minute:02d}"


WEEKDAYS_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def format_datetime_words(dt_utc: datetime, lang: str = "fr", tz: str = "Europe/Paris") -> str:
    """The day of the week and the month in words, so that 12/03 cannot be read as 3 December: fr «\u00a0jeudi
    12 mars 2026 à 14 h 20\u00a0», en "Thursday 12 March 2026 at 14:20"; the wall-clock time in ``tz``."""
    local = _local(dt_utc, tz)
    weekday = (WEEKDAYS_EN if _english(lang) else WEEKDAYS_FR)[local.weekday()]
    return f"{weekday} {format_datetime(dt_utc, lang, tz)}"


def format_date_words(d: date, lang: str = "fr") -> str:
    """fr «\u00a0jeudi 12 mars 2026\u00a0», en "Thursday 12 March 2026"."""
    weekday = (WEEKDAYS_EN if _english(lang) else WEEKDAYS_FR)[d.weekday()]
    return f"{weekday} {format_date(d, lang)}"


def format_duration(td: timedelta, lang: str = "fr") -> str:
    """fr « 2 j 5 h 03 min », en "2 d 5 h 03 min", « 0 h 45 min » under a day; whole minutes, rounded down, the
    same as the live countdown in static/app.js. The absolute value: the caller says whether it is late or left."""
    minutes = int(abs(td).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    day_unit = "d" if _english(lang) else "j"
    text = f"{hours}{NBSP}h {minutes:02d}{NBSP}min"
    return f"{days}{NBSP}{day_unit} {text}" if days else text


def format_count(value: int, lang: str) -> str:
    """French groups thousands with a narrow no-break space (« 758 912 »), English with a comma."""
    text = f"{value:,}"
    return text if lang == "en" else text.replace(",", "\u202f")


def format_euros(value: float, lang: str) -> str:
    """An amount in euros: 1\u202f234,56\u00a0€ in French, €1,234.56 in English."""
    text = f"{value:,.2f}"
    if _english(lang):
        return f"€{text}"
    return text.replace(",", "\u202f").replace(".", ",") + "\u00a0€"
