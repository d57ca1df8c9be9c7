"""Dashboard charts, drawn on the server as small accessible SVGs (no JavaScript library, nothing fetched)."""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from sqlalchemy import select

from notifier.breaches.models import Breach
from notifier.breaches.rules import vocabulary
from notifier.core import events
from notifier.core.i18n import N_, translate
from notifier.extensions import db

PARIS = ZoneInfo("Europe/Paris")
COLOURS = {"confidentiality": "#1f5fa8", "integrity": "#b86e00", "availability": "#6b3fa0", "none": "#8a94a3"}


@dataclass
class Chart:
    title: str
    svg: str


def dashboard_charts(organisation_id: int, lang: str) -> list[Chart]:
    breaches = db.session.scalars(select(Breach).where(Breach.organisation_id == organisation_id)).all()
    if not breaches:
        return []
    charts = [_per_month_by_nature(breaches, lang), _time_to_notify(breaches, lang)]
    # The other features' charts (letters by status...), announced rather than imported: they build on breaches.
    charts.extend(events.gathered(events.dashboard_charts.send(organisation_id, lang=lang)))
    return charts


def _month(instant: datetime) -> str:
    return instant.astimezone(PARIS).strftime("%Y-%m")


MONTHS = (N_("janv."), N_("févr."), N_("mars"), N_("avr."), N_("mai"), N_("juin"), N_("juil."), N_("août"),
          N_("sept."), N_("oct."), N_("nov."), N_("déc."))
NATURE_ORDER = ("confidentiality", "integrity", "availability", "none")


def _per_month_by_nature(breaches, lang) -> Chart:
    """Stacked bars: breaches per month of awareness (or creation), by nature, the total above each bar. The legend
    takes a row per nature: the French labels are too long to share a row in a 360-unit-wide chart."""
    counts: dict[str, Counter] = {}
    for breach in breaches:
        month = _month(breach.aware_at or breach.created_at)
        natures = breach.sections["nature"].get("natures") or ["none"]
        counts.setdefault(month, Counter()).update(natures)
    months = _twelve_months_to(max(counts))  # a continuous axis: a month without breach shows as a gap
    counts = {month: counts.get(month, Counter()) for month in months}
    shown = [n for n in NATURE_ORDER if any(counts[m][n] for m in months)]
    legend_height = 14 * len(shown) + 6
    width, plot_height = 360, 130
    baseline = legend_height + 14 + plot_height  # room for the total above the tallest bar
    height = baseline + 30
    bar = max(8, min(40, 300 // max(1, len(months)) - 6))
    top = max(1, *(sum(counts[m].values()) for m in months))
    title = translate(N_("Violations par mois et par nature"), lang)
    names = {n: vocabulary.label(vocabulary.NATURES, n, lang) if n != "none" else
             translate(N_("Nature non renseignée"), lang) for n in NATURE_ORDER}
    colon = "\u00a0: " if lang == "fr" else ": "
    parts = [f'<rect x="0" y="{4 + 14 * i}" width="10" height="10" fill="{COLOURS[n]}"/>'
             f'<text x="14" y="{13 + 14 * i}" font-size="10">{escape(names[n])}</text>' for i, n in enumerate(shown)]
    for index, month in enumerate(months):
        x = 30 + index * (bar + 6)
        y = baseline
        for nature in NATURE_ORDER:
            n = counts[month][nature]
            if not n:
                continue
            h = plot_height * n / top
            y -= h
            parts.append(f'<rect x="{x}" y="{y:.1f}" width="{bar}" height="{h:.1f}" fill="{COLOURS[nature]}">'
                         f"<title>{escape(_month_label(month, lang))} · {escape(names[nature])}{colon}{n}</title>"
                         "</rect>")
        middle = x + bar / 2
        total = sum(counts[month].values())
        if total:
            parts.append(f'<text x="{middle}" y="{y - 3:.1f}" font-size="10" text-anchor="middle">{total}</text>')
        parts.append(f'<text x="{middle}" y="{baseline + 12}" font-size="9" text-anchor="middle">'
                     f"{escape(_month_name(month, lang))}</text>")
        if index == 0 or month.endswith("-01"):  # the year under its first month only
            parts.append(f'<text x="{x}" y="{baseline + 24}" font-size="9">{month[:4]}</text>')
    parts.append(f'<line x1="26" y1="{baseline}" x2="{34 + len(months) * (bar + 6)}" y2="{baseline}" '
                 'stroke="#8a94a3"/>')
    return Chart(title, svg(width, height, title, "".join(parts)))


def _twelve_months_to(last: str) -> list[str]:
    """The twelve months ending with `last` ("YYYY-MM"), oldest first."""
    year, month = int(last[:4]), int(last[5:])
    serial = year * 12 + month - 1
    return [f"{n // 12:04d}-{n % 12 + 1:02d}" for n in range(serial - 11, serial + 1)]


def _month_name(month: str, lang: str) -> str:
    """"2026-10" -> "oct." / "Oct"."""
    return translate(MONTHS[int(month[5:]) - 1], lang)


def _month_label(month: str, lang: str) -> str:
    """"2026-10" -> "oct. 2026" / "Oct 2026"."""
    return f"{_month_name(month, lang)} {month[:4]}"


def _time_to_notify(breaches, lang) -> Chart:
    """Hours from awareness to the CNIL notification, with the 72 h line (GDPR art. 33(1))."""
    done = sorted(
        ((b.reference, (b.cnil_sent_at - b.aware_at).total_seconds() / 3600) for b in breaches
         if b.aware_at and b.cnil_sent_at), key=lambda item: item[0])[-15:]
    title = translate(N_("Délai entre prise de connaissance et notification (h)"), lang)
    width, height = 360, 40 + 18 * max(1, len(done))
    longest = max([72.0, *(hours for _, hours in done)])
    scale = (width - 140) / longest
    parts = [f'<line x1="{110 + 72 * scale:.1f}" y1="20" x2="{110 + 72 * scale:.1f}" y2="{height - 10}" '
             f'stroke="#b3261e" stroke-dasharray="4 3"><title>72 h</title></line>',
             f'<text x="{112 + 72 * scale:.1f}" y="14" font-size="10" fill="#b3261e">72 h</text>']
    for index, (reference, hours) in enumerate(done):
        y = 24 + index * 18
        colour = "#b3261e" if hours > 72 else "#1e6b3a"
        parts.append(f'<text x="0" y="{y + 10}" font-size="10">{escape(reference)}</text>'
                     f'<rect x="110" y="{y}" width="{max(1.0, hours * scale):.1f}" height="12" fill="{colour}">'
                     f"<title>{escape(reference)} : {hours:.0f} h</title></rect>")
    if not done:
        parts.append('<text x="110" y="34" font-size="11">'
                     + escape(translate(N_("Aucune notification envoyée"), lang)) + "</text>")
    return Chart(title, svg(width, height, title, "".join(parts)))


def svg(width: int, height: int, title: str, body: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{escape(title)}"><title>{escape(title)}</title>{body}</svg>')
