"""The audit trail is append-only and hash-chained: any edit or removal is found, and named."""

from sqlalchemy import text

from notifier.audit import services as audit
from notifier.audit.models import AuditEntry
from notifier.breaches import services as breaches
from notifier.extensions import db


def make_history(dpo, establishment):
    breach = breaches.create_breach(dpo, establishment)
    breaches.save_step(breach, "people", {"people_count": "12"}, user=dpo, expected_version=breach.version)
    breaches.save_step(breach, "people", {"people_count": "13"}, user=dpo, expected_version=breach.version)
    return breach


def test_actions_are_recorded_with_user_and_object(dpo, establishment):
    breach = make_history(dpo, establishment)
    entries = AuditEntry.query.filter_by(breach_id=breach.id).order_by(AuditEntry.id).all()
    assert [e.action for e in entries] == ["breach.create", "breach.update", "breach.update"]
    assert entries[1].user_email == dpo.email and entries[1].details == {"section": "people",
                                                                           "fields": ["people_count"]}


def test_an_intact_chain_verifies(dpo, establishment):
    make_history(dpo, establishment)
    report = audit.verify()
    assert report.intact and report.entries >= 4


def test_an_altered_entry_is_named(dpo, establishment, app):
    make_history(dpo, establishment)
    target = AuditEntry.query.filter_by(action="breach.update").first()
    db.session.execute(text("UPDATE audit_entry SET user_email = 'someone@else' WHERE id = :id"), {"id": target.id})
    db.session.commit()
    report = audit.verify()
    assert report.first_bad_id == target.id and "altered" in report.problem_in("en")
    result = app.test_cli_runner(env={"NOTIFIER_LANG": "en"}).invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and f"entry {target.id}" in result.output


def test_a_removed_entry_breaks_the_next_link(dpo, establishment):
    make_history(dpo, establishment)
    ids = [e.id for e in AuditEntry.query.order_by(AuditEntry.id).all()]
    db.session.execute(text("DELETE FROM audit_entry WHERE id = :id"), {"id": ids[2]})
    db.session.commit()
    report = audit.verify()
    assert report.first_bad_id == ids[3] and "removed" in report.problem_in("en")


def test_the_trail_exports_as_csv_without_formulas(dpo, establishment, app):
    breach = make_history(dpo, establishment)
    breaches.save_step(breach, "notification", {"title": "=HYPERLINK(\"http://x\")", "notification_type": "initial"},
                       user=dpo, expected_version=breach.version)
    from notifier.audit import export as audit_export

    data = audit_export.export("csv", breach_id=breach.id).decode("utf-8-sig")
    assert data.splitlines()[0].startswith("id;at;user_email;action")
    assert "breach.update" in data
    for line in data.splitlines()[1:]:
        for cell in line.split(";"):
            assert not cell.startswith(("=", "+", "@")), cell


def test_audit_page_is_for_legal_and_admin(login_as, legal, viewer, dpo, establishment):
    make_history(dpo, establishment)
    page = login_as(legal).get("/audit/")
    assert page.status_code == 200 and "Chaîne d'intégrité vérifiée" in page.get_data(as_text=True)


def test_audit_csv_export_from_the_web(login_as, legal, dpo, establishment):
    breach = make_history(dpo, establishment)
    response = login_as(legal).get(f"/audit/export.csv?breach={breach.id}")
    assert response.status_code == 200 and b"breach.create" in response.data
