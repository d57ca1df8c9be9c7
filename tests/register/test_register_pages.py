"""/register (register.view) and its exports (register.export): the organisation's breaches only."""

import html
import re

from notifier.accounts.organisations import Organisation
from notifier.accounts.services import add_user
from notifier.audit.models import AuditEntry
from notifier.extensions import db


def test_the_register_page_lists_every_breach_with_its_decision(two_breaches, viewer, login_as):
    notified, quiet = two_breaches
    page = html.unescape(login_as(viewer).get("/register").get_data(as_text=True))
    assert notified.reference in page and quiet.reference in page
    assert "Non notifiée : risque improbable (art. 33(1))" in page
    assert "Compte de service désactivé" in page
    assert "/register/export.csv" not in page  # viewers do not export
    assert re.search(r"<summary>\d+ motifs</summary>", page)  # the reasons fold away: the table stays readable


def test_export_links_are_fetched_behind_a_status_line(two_breaches, legal, login_as):
    page = login_as(legal).get("/register").get_data(as_text=True)
    links = re.findall(r'<a href="/register/export\.(\w+)"([^>]*)>', page)
    assert [fmt for fmt, _ in links] == ["csv", "xlsx", "pdf"]
    for _, attributes in links:  # static/app.js shows them while the file is built
        assert 'data-busy="Préparation du fichier…"' in attributes and "data-busy-error=" in attributes


def test_filters_come_from_the_query_string(two_breaches, legal, login_as):
    notified, quiet = two_breaches
    quiet.status = "closed"
    db.session.commit()
    client = login_as(legal)
    page = client.get("/register?status=closed").get_data(as_text=True)
    assert quiet.reference in page and notified.reference not in page
    assert "/register/export.csv?status=closed" in page
    assert client.get("/register?status=bogus&year=abc&establishment=999").status_code == 200


def test_exports_for_legal_and_dpo_only(two_breaches, legal, viewer, login_as):
    notified, _quiet = two_breaches
    client = login_as(legal)
    for fmt, mimetype in (("csv", "text/csv"), ("xlsx", "application/vnd.openxmlformats-officedocument."
                                                        "spreadsheetml.sheet"), ("pdf", "application/pdf")):
        response = client.get(f"/register/export.{fmt}?status=open")
        assert response.status_code == 200 and response.mimetype == mimetype, fmt
    assert notified.reference in client.get("/register/export.csv").data.decode("utf-8-sig")
    assert client.get("/register/export.doc").status_code == 404
    assert AuditEntry.query.filter_by(action="register.export").count() == 4
    assert login_as(viewer).get("/register/export.csv").status_code == 403


def test_another_organisation_sees_none_of_these_breaches(two_breaches, password, login_as):
    notified, _quiet = two_breaches
    other = Organisation(name="Autre groupe")
    db.session.add(other)
    db.session.commit()
    client = login_as(add_user("legal@autre.test", "legal", password, organisation=other))
    assert notified.reference not in client.get("/register").get_data(as_text=True)
    assert notified.reference not in client.get("/register/export.csv").data.decode("utf-8-sig")
    page = client.get(f"/register?establishment={notified.establishment_id}").get_data(as_text=True)
    assert notified.reference not in page
