"""The dashboard's chart of the organisation's letters by status, in the order of a letter's life."""

from html import escape

from notifier.breaches.charts import Chart, svg
from notifier.core.i18n import N_, translate
from notifier.letters.services import STATUS_LABELS, letter_counts_by_status


def letters_by_status(organisation_id: int, lang: str) -> Chart | None:
    counts = letter_counts_by_status(organisation_id)
    if not counts:
        return None
    title = translate(N_("Courriers par statut"), lang)
    width, height = 440, 30 + 20 * len(counts)
    top = max(counts.values())
    parts = []
    for index, (status, n) in enumerate(counts.items()):  # in the order of a letter's life
        y = 10 + index * 20
        label = escape(translate(STATUS_LABELS[status], lang))
        colon = "\u00a0: " if lang == "fr" else ": "
        bar = max(1, 200 * n / top)
        parts.append(f'<text x="0" y="{y + 11}" font-size="10">{label}</text>'
                     f'<rect x="170" y="{y}" width="{bar:.1f}" height="14" fill="#1f5fa8">'
                     f"<title>{label}{colon}{n}</title></rect>"
                     f'<text x="{175 + bar:.1f}" y="{y + 11}" font-size="10">{n}</text>')
    return Chart(title, svg(width, height, title, "".join(parts)))
