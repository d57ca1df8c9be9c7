"""The breach register page (GDPR art. 33(5)) and its exports: every breach of the organisation, notified or not."""

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import get_locale
from flask_login import current_user

from notifier.breaches.access import establishments
from notifier.breaches.states import BreachStatus
from notifier.core.web import query_int, require
from notifier.extensions import db
from notifier.register import services as service

bp = Blueprint("register", __name__)


def _filters() -> service.Filters:
    """Filters from the query string; an unknown establishment, year or status is ignored rather than an error."""
    own = {e.id for e in establishments()}
    establishment_id = query_int("establishment", strict=False)
    status = request.args.get("status") or None
    year = query_int("year", minimum=1900, maximum=9999, strict=False)
    return service.Filters(
        establishment_id=establishment_id if establishment_id in own else None,
        year=year if year is not None and 1900 <= year <= 9999 else None,
        status=status if status in list(BreachStatus) else None,
    )


@bp.get("/register")
@require("register.view")
def index():
    filters = _filters()
    lang = str(get_locale() or "fr")
    entries = service.rows(current_user.organisation_id, filters, lang, current_app.config["CNIL_PERIOD_HOURS"])
    return render_template(
        "register/index.html", entries=entries, filters=filters, establishments=establishments(),
        years=service.years(current_user.organisation_id), statuses=service.STATUS_LABELS,
        columns=service.COLUMNS, query=filters.as_dict())


@bp.get("/register/export.<fmt>")
@require("register.export")
def export(fmt: str):
    if fmt not in service.FORMATS:
        abort(404)
    filters = _filters()
    lang = str(get_locale() or "fr")
    data = service.download(fmt, current_user.organisation_id, filters, user=current_user, lang=lang,
                            organisation=current_user.organisation.name,
                            period_hours=current_app.config["CNIL_PERIOD_HOURS"])
    db.session.commit()
    return Response(data, mimetype=service.MIMETYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="registre-violations.{fmt}"'})
