"""The reports panel of the breach page: generate versions, download any of them again bit for bit, see the clocks
and the CNIL acknowledgement. Downloads go through the version's id and an organisation check, never a file path."""

import hashlib
import html
import re

from notifier.accounts.organisations import Organisation
from notifier.accounts.services import add_user
from notifier.audit.models import AuditEntry
from notifier.breaches import services as breaches
from notifier.extensions import db
from notifier.reports import services as reports
from notifier.reports.models import ReportVersion


def generate_from_page(client, breach, **form):
    response = client.post(f"/breaches/{breach.id}/reports", data={"document": "cnil", "lang": "fr", **form})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client.get(f"/breaches/{breach.id}").get_data(as_text=True)


def download_links(page: str) -> list[str]:
    return re.findall(r'href="(/reports/\d+)"', page)


def test_each_generated_version_downloads_again_bit_for_bit(example_breach, dpo, viewer, login_as):
    client = login_as(dpo)
    generate_from_page(client, example_breach, kind="initial")
    page = generate_from_page(client, example_breach, kind="complementary")
    versions = ReportVersion.query.filter_by(breach_id=example_breach.id).order_by(ReportVersion.number).all()
    assert [(v.number, v.kind) for v in versions] == [(1, "initial"), (2, "complementary")]
    assert sorted(download_links(page)) == sorted(f"/reports/{v.id}" for v in versions)
    for version in versions:
        assert version.sha256 in page
        assert version.storage_name not in page
    # Later, and by a viewer of the same organisation: the same bytes as generated.
    client = login_as(viewer)
    for version in versions:
        response = client.get(f"/reports/{version.id}")
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        assert hashlib.sha256(response.data).hexdigest() == version.sha256
        assert response.data == reports.storage_path(version.storage_name).read_bytes()
        assert f'filename="{version.filename}"' in response.headers["Content-Disposition"]
    assert AuditEntry.query.filter_by(action="report.download").count() == 2


def test_another_organisation_never_reaches_a_version(example_breach, dpo, password, login_as):
    version = reports.generate(example_breach, user=dpo)
    other = Organisation(name="Autre groupe")
    db.session.add(other)
    db.session.commit()
    outsider = add_user("legal@autre.test", "legal", password, organisation=other)
    client = login_as(outsider)
    assert client.get(f"/reports/{version.id}").status_code == 404
    assert client.get(f"/reports/{version.id + 1000}").status_code == 404
    assert client.post(f"/breaches/{example_breach.id}/reports", data={"document": "cnil"}).status_code == 404
    assert ReportVersion.query.count() == 1


def test_anonymous_users_are_sent_to_the_login_page(example_breach, dpo, client):
    version = reports.generate(example_breach, user=dpo)
    response = client.get(f"/reports/{version.id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_viewers_download_but_do_not_generate(example_breach, viewer, login_as):
    client = login_as(viewer)
    assert client.post(f"/breaches/{example_breach.id}/reports", data={"document": "cnil"}).status_code == 403
    page = client.get(f"/breaches/{example_breach.id}").get_data(as_text=True)
    assert "Générer une nouvelle version" not in page


def test_a_tampered_archive_is_refused_and_recorded(example_breach, dpo, login_as):
    version = reports.generate(example_breach, user=dpo)
    path = reports.storage_path(version.storage_name)
    path.write_bytes(path.read_bytes() + b"%tampered")
    response = login_as(dpo).get(f"/reports/{version.id}")
    assert response.status_code == 500 and b"SHA-256" in response.data
    assert AuditEntry.query.filter_by(action="report.archive_corrupted").count() == 1


def test_a_refused_request_is_explained(example_breach, dpo_client):
    response = dpo_client.post(f"/breaches/{example_breach.id}/reports",
                               data={"document": "cnil", "kind": "complementary"}, follow_redirects=True)
    assert "une version complémentaire suppose une version précédente" in html.unescape(
        response.get_data(as_text=True))
    assert ReportVersion.query.count() == 0


def test_the_panel_is_one_table_of_documents_with_their_clocks_and_one_form(example_breach, dpo_client):
    """Issue 13: one table of documents instead of one near-identical panel per document."""
    page = html.unescape(dpo_client.get(f"/breaches/{example_breach.id}").get_data(as_text=True))
    panel = page[page.index('id="reports-title"'):]
    panel = panel[:panel.index("</section>")]
    table = panel[panel.index('class="table documents-table"'):panel.index("</table>")]
    for label in ("Notification à la CNIL", "Signalement ARS / CERT Santé", "NIS2\u00a0: alerte précoce",
                  "NIS2\u00a0: notification d'incident", "NIS2\u00a0: rapport final"):
        assert label in table, label
    # The NIS2 intermediate and progress reports appear only once due (art. 23(4)(c), (e)): not for this example.
    assert 'id="report-nis2_intermediate_report"' not in panel and 'id="report-nis2_progress_report"' not in panel
    for code in [d.code for d in reports.DOCUMENTS.values() if not d.when_due]:
        row = table[table.index(f'id="report-{code}"'):]
        row = row[:row.index("</tr>")]
        assert ("fait le" in row or "avant le" in row or "dépassé de" in row or "sans délai" in row), code
        assert f'<option value="{code}">' in panel
    assert panel.count("Générer une nouvelle version") == 1 and panel.count("<form") == 1


def test_nis2_reports_only_for_establishments_in_scope(example_breach, establishment, dpo, dpo_client):
    establishment.nis2_in_scope = False
    db.session.commit()
    page = dpo_client.get(f"/breaches/{example_breach.id}").get_data(as_text=True)
    assert 'id="report-nis2_early_warning"' not in page
    response = dpo_client.post(f"/breaches/{example_breach.id}/reports", data={"document": "nis2_early_warning"},
                               follow_redirects=True)
    assert "n'est pas dans le champ de NIS2" in html.unescape(response.get_data(as_text=True))
    assert ReportVersion.query.count() == 0


def test_the_cnil_acknowledgement_closes_the_notification_step(breach, dpo, dpo_client):
    page = dpo_client.get(f"/breaches/{breach.id}").get_data(as_text=True)
    assert "Pas encore enregistré" in page
    assert f'href="/breaches/{breach.id}/steps/cnil_submission"' in page
    result = breaches.save_step(breach, "cnil_submission", {"cnil_sent_at": "2026-10-25T18:40",
                                                            "cnil_reference": "NOT-2026-0154321"},
                                user=dpo, expected_version=breach.version)
    assert result.ok, result.errors
    db.session.commit()  # as the request that called it would
    page = dpo_client.get(f"/breaches/{breach.id}").get_data(as_text=True)
    assert "Pas encore enregistré" not in page
    assert "NOT-2026-0154321" in page and "25 octobre 2026 à 18\u00a0h\u00a040" in page
