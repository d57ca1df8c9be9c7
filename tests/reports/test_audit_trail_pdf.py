"""The audit trail as PDF/A (letters/audit/trail.html, used by services/audit_export.py): every entry with its id,
time, user, action, object and hash."""

from notifier.audit import export as audit_export
from notifier.audit.models import AuditEntry
from notifier.reports import services as reports


def test_the_audit_trail_pdf_lists_every_entry_with_its_hash(example_breach, dpo, pdf):
    reports.generate(example_breach, user=dpo)
    document = audit_export.export("pdf", breach_id=example_breach.id)
    text = pdf.text(document)
    squashed = pdf.squash(text)
    entries = AuditEntry.query.filter_by(breach_id=example_breach.id).order_by(AuditEntry.id).all()
    assert [e.action for e in entries] == ["breach.import", "risk.assess", "case.plan_start", "report.generate"]
    for entry in entries:
        assert entry.action in text and entry.entry_hash in squashed
        # Paris time first, with UTC beside it (issue 13, point 13): the UTC instant is printed to the second.
        assert pdf.squash(audit_export.utc_text(entry.at).removesuffix(" UTC")) in squashed
    assert dpo.email in text and "CONFIDENTIEL" in text
    with pdf.open(document) as opened:
        assert opened.open_metadata()["pdfaid:part"] == "3"
