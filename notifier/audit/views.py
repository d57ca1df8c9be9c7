"""The audit trail, for legal and administrators: browse, check the chain, export."""

from flask import Blueprint, Response, abort, render_template
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import func, select

from notifier.audit import export as audit_export
from notifier.audit import services as audit
from notifier.audit.labels import action_label, object_label
from notifier.audit.models import AuditEntry
from notifier.core.web import MAX_PAGE, query_int, require
from notifier.extensions import db

bp = Blueprint("audit", __name__, url_prefix="/audit")
PAGE_SIZE = 100


@bp.get("/")
@require("audit.view")
def index():
    page = query_int("page", 1, maximum=MAX_PAGE)
    mine = AuditEntry.organisation_id == current_user.organisation_id
    total = db.session.scalar(select(func.count()).select_from(AuditEntry).where(mine))
    entries = db.session.scalars(select(AuditEntry).where(mine).order_by(AuditEntry.id.desc())
                                 .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    lang = str(get_locale() or "fr")
    return render_template("audit/index.html", entries=entries, page=page, total=total, page_size=PAGE_SIZE,
                           chain=audit.verify(), lang=lang, action_label=lambda code: action_label(code, lang),
                           object_label=lambda code: object_label(code, lang))


@bp.get("/export.<fmt>")
@require("audit.view")
def export(fmt: str):
    """The trail of one breach (?breach=ID) as CSV or PDF/A. The whole chain is exported only with a breach
    filter or by an administrator, since other organisations' entries must not leak."""
    breach_id = query_int("breach")
    if fmt not in ("csv", "pdf"):
        return Response("unknown format", status=404)
    if breach_id is not None:
        # 404 unless the breach is the user's organisation's: every breach's trail starts with its creation entry,
        # recorded with its organisation, so the trail alone answers (audit builds on no other feature).
        if not audit_export.breach_trail_exists(breach_id, current_user.organisation_id):
            abort(404)
    data = audit_export.download(fmt, user=current_user, breach_id=breach_id,
                                 organisation_id=current_user.organisation_id, lang=str(get_locale() or "fr"))
    db.session.commit()
    name = f"audit-{breach_id or 'all'}.{fmt}"
    mimetype = "text/csv" if fmt == "csv" else "application/pdf"
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})
