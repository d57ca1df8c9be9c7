"""The hotline's charts as inline SVG (no script, no external file: the CSP allows them): calls per day, each bar
split by reason, and the legend."""

from __future__ import annotations

from markupsafe import Markup, escape

from notifier.core.formatting import format_date
from notifier.core.i18n import N_, translate
from notifier.hotline.services import REASON_LABELS, CallCounts
from notifier.hotline.states import CallReason

# One colour per reason, distinguishable in grey print too (light to dark).
COLOURS = {
    CallReason.GENUINE: "#9ecae1", CallReason.WHAT_DATA: "#6baed6", CallReason.ADDRESS_CHANGED: "#4292c6",
    CallReason.FRAUD_FEAR: "#e6550d", CallReason.RIGHTS: "#31a354", CallReason.COMPLAINT: "#a50f15",
    CallReason.PRESS: "#756bb1", CallReason.OTHER: "#636363",
}


def calls_by_day(counts: CallCounts, lang: str, *, days: int = 14, legend_below: bool = False) -> Markup | None:
    """Stacked bars: the last `days` days that had calls, oldest on the left; None when there was no call.
    `legend_below`: the legend under the bars, naming only the reasons shown, with larger text: the narrow form
    of the breach page's panel, readable on a 390 px phone (the SVG scales to the card's width)."""
    shown = list(reversed(counts.days[:days]))
    if not shown:
        return None
    title = translate(N_("Appels par jour et par motif"), lang)
    top = max(sum(reasons.values()) for _day, reasons in shown) or 1
    bar, gap, height, left = 28, 10, 160, 30
    width = left + len(shown) * (bar + gap) + 200
    colon = "\u00a0: " if lang == "fr" else ": "
    parts = []
    for index, (day, reasons) in enumerate(shown):
        x = left + index * (bar + gap)
        y = 10 + height
        label = escape(format_date(day, lang))
        for reason in CallReason:
            n = reasons.get(reason.value, 0)
            if not n:
                continue
            h = height * n / top
            y -= h
            parts.append(f'<rect x="{x}" y="{y:.1f}" width="{bar}" height="{h:.1f}" fill="{COLOURS[reason]}">'
                         f"<title>{label} · {escape(translate(REASON_LABELS[reason], lang))}{colon}{n}</title></rect>")
        parts.append(f'<text x="{x + bar / 2}" y="{height + 24}" font-size="{12 if legend_below else 9}" '
                     f'text-anchor="middle">{day.day}/{day.month}</text>')
    parts.append(f'<text x="0" y="18" font-size="10">{top}</text><text x="0" y="{height + 10}" font-size="10">0</text>')
    if legend_below:
        width = max(left + len(shown) * (bar + gap), 300)
        named = [reason for reason in CallReason if any(reasons.get(reason.value) for _day, reasons in shown)]
        for index, reason in enumerate(named):
            y = height + 50 + index * 20
            parts.append(f'<rect x="{left}" y="{y - 11}" width="13" height="13" fill="{COLOURS[reason]}"/>'
                         f'<text x="{left + 20}" y="{y}" font-size="13">'
                         f"{escape(translate(REASON_LABELS[reason], lang))}</text>")
        total_height = height + 40 + len(named) * 20
    else:
        legend_x = left + len(shown) * (bar + gap) + 10
        for index, reason in enumerate(CallReason):
            y = 14 + index * 18
            parts.append(f'<rect x="{legend_x}" y="{y - 10}" width="12" height="12" fill="{COLOURS[reason]}"/>'
                         f'<text x="{legend_x + 18}" y="{y}" font-size="10">'
                         f"{escape(translate(REASON_LABELS[reason], lang))}</text>")
        total_height = max(height + 34, 20 + len(CallReason) * 18)
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {total_height}" role="img" '
                  f'aria-label="{escape(title)}"><title>{escape(title)}</title>{"".join(parts)}</svg>')
