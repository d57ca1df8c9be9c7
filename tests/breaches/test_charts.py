"""Dashboard charts: server-side SVG, labelled in the user's language, drawn from the organisation's own data only."""

import html
import re
from datetime import UTC, datetime

from notifier.accounts.organisations import Establishment, Organisation
from notifier.accounts.services import add_user
from notifier.breaches.charts import dashboard_charts
from notifier.breaches.services import create_breach
from notifier.extensions import db
from notifier.letters.models import Letter


def _letters(breach, statuses):
    for serial, status in enumerate(statuses, 1):
        db.session.add(Letter(breach_id=breach.id, serial=serial, number=1000 + serial, status=status))
    db.session.commit()


def test_no_breach_no_chart(organisation):
    assert dashboard_charts(organisation.id, "fr") == []


def test_breaches_per_month_and_time_to_notify_are_drawn_for_every_breach(breach):
    breach.aware_at = datetime(2026, 10, 26, 12, 20, tzinfo=UTC)
    db.session.commit()
    titles = [chart.title for chart in dashboard_charts(breach.organisation_id, "fr")]
    assert titles[:2] == ["Violations par mois et par nature", "Délai entre prise de connaissance et notification (h)"]
    svg = dashboard_charts(breach.organisation_id, "fr")[0].svg
    assert svg.startswith("<svg") and 'role="img"' in svg and ">oct.</text>" in svg and ">2026</text>" in svg
    assert "<title>oct. 2026 · Nature non renseignée\u00a0: 1</title>" in svg  # the nature step is not filled yet
    assert ">Oct</text>" in dashboard_charts(breach.organisation_id, "en")[0].svg


def test_the_legend_gives_each_nature_its_own_row(app, dpo, establishment):
    """The French labels are long: side by side they ran into one another."""
    for month, natures in ((9, ["confidentiality", "integrity"]), (10, ["availability"]), (10, ["confidentiality"])):
        breach = create_breach(dpo, establishment)
        breach.aware_at = datetime(2026, month, 3, 9, 0, tzinfo=UTC)
        breach.sections = {**breach.sections, "nature": {"natures": natures}}
    db.session.commit()
    svg = dashboard_charts(dpo.organisation_id, "fr")[0].svg
    legend = re.findall(r'<text x="16" y="(\d+)" font-size="12">([^<]+)</text>', svg)
    assert [html.unescape(label) for _, label in legend] == [
        "Perte de confidentialité", "Perte d'intégrité", "Perte de disponibilité"]
    assert len({y for y, _ in legend}) == 3
    totals = re.findall(r'text-anchor="middle">(\d+)</text>', svg)
    assert totals == ["2", "2"]  # a breach of two natures counts in each of them


def test_letters_by_status_uses_labels_in_the_order_of_a_letters_life(breach):
    _letters(breach, ["returned", "generated", "generated", "posted", None])
    french = dashboard_charts(breach.organisation_id, "fr")[-1]
    assert french.title == "Courriers par statut"
    assert french.svg.index("Généré") < french.svg.index("Posté") < french.svg.index("Revenu (NPAI)")
    assert "Généré\u00a0: 2</title>" in french.svg and "generated" not in french.svg
    english = dashboard_charts(breach.organisation_id, "en")[-1]
    assert english.title == "Letters by status" and "Generated: 2</title>" in english.svg


def test_another_organisations_letters_are_not_counted(breach, password):
    other = Organisation(name="Autre groupe")
    establishment = Establishment(organisation=other, name="Clinique voisine")
    db.session.add_all([other, establishment])
    db.session.commit()
    create_breach(add_user("dpo@autre.test", "dpo", password, organisation=other), establishment)
    _letters(breach, ["generated"])
    assert [chart.title for chart in dashboard_charts(other.id, "fr")] == [
        "Violations par mois et par nature", "Délai entre prise de connaissance et notification (h)"]


def test_chart_labels_stay_readable_on_a_390_px_phone(breach):
    """Issue 13.14: a chart is drawn across the phone's width (390 px less about 52 px of margins and padding), and
    never wider than its viewBox (static/app.css): each label must still be at least 10 px high."""
    breach.aware_at = datetime(2026, 10, 26, 12, 20, tzinfo=UTC)
    breach.cnil_sent_at = datetime(2026, 10, 27, 12, 20, tzinfo=UTC)
    db.session.commit()
    _letters(breach, ["generated", "posted"])
    charts = dashboard_charts(breach.organisation_id, "fr")
    assert len(charts) == 3
    for chart in charts:
        width = float(re.search(r'viewBox="0 0 ([\d.]+) ', chart.svg).group(1))
        sizes = [float(size) for size in re.findall(r'font-size="([\d.]+)"', chart.svg)]
        assert sizes and min(sizes) * min(1.0, (390 - 52) / width) >= 10, (chart.title, width, min(sizes))
