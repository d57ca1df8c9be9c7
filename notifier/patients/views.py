"""The affected patients of a breach: upload a list (CSV/XLSX), say which column is which when the headers are not
recognised, follow a long import, download the rejected rows, search the list, fix a held record by hand.

The view is thin: services.patients does the work, the same functions as `notifier patients import`. Imports run in
a thread of the web process (its own application context) so the page can be left and come back to; the import
page polls a JSON status (static/patients.js). Files are looked up by import id with an organisation check, never
by a path or a file name in the URL."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from notifier.breaches.access import get_breach
from notifier.core.i18n import N_, translate
from notifier.core.web import query_int, require
from notifier.core.web import user_lang as _lang
from notifier.extensions import db
from notifier.patients import services as patients
from notifier.patients.rules.postcodes import VERIFY_REASONS
from notifier.patients.rules.rows import FIELDS, HOLDS, NORMALISATIONS, REQUIRED_FIELDS, ImportFileError
from notifier.patients.states import ImportStatus, PatientStatus

bp = Blueprint("patients", __name__)
for _state in (ImportStatus, PatientStatus):
    bp.add_app_template_global(_state, _state.__name__)


IMPORT_STATUS_LABELS = {
    "mapping": N_("en attente des colonnes"),
    "running": N_("en cours"),
    "done": N_("terminé"),
    "failed": N_("échoué"),
    "cancelled": N_("abandonné"),
}


@bp.app_context_processor
def _patient_helpers():
    def patient_panel(breach):
        return {"counts": patients.counts(breach.id), "imports": patients.imports_of(breach.id)[:1]}

    def number(value):
        return patients.format_count(value or 0, _lang())

    def import_status_label(status):
        return translate(IMPORT_STATUS_LABELS.get(status, status), _lang())

    return {"patient_panel": patient_panel, "number": number, "import_status_label": import_status_label,
            "address_counts": patients.address_counts}


def _import_or_404(breach, import_id: int):
    imp = patients.get_import(import_id, breach)
    if imp is None:
        abort(404)
    return imp


@bp.get("/breaches/<int:breach_id>/patients")
@require("patients.view")
def index(breach_id: int):
    breach = get_breach(breach_id)
    patients.fail_stale_imports(breach.id)
    query = request.args.get("q", "").strip()[:100]
    status = request.args.get("status", "")
    hold = request.args.get("hold", "")
    page = patients.list_patients(breach.id, query=query, status=status, hold=hold,
                                  after=query_int("after"), before=query_int("before"))
    imports = patients.imports_of(breach.id)
    filters = {key: value for key, value in (("q", query), ("status", status), ("hold", hold)) if value}
    return render_template(
        "patients/index.html", breach=breach, page=page, counts=patients.counts(breach.id), imports=imports,
        normalisations=patients.normalisation_totals(imports), filters=filters, holds=HOLDS,
        normalisation_labels=NORMALISATIONS, saved_mappings=patients.saved_mappings(breach.organisation_id),
        max_upload_mib=current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024),
    )


@bp.post("/breaches/<int:breach_id>/patients/imports")
@require("patients.import")
def upload(breach_id: int):
    """Store the uploaded file (streamed to STORAGE_DIR), inspect it, then either start the import or ask for the
    columns it did not recognise."""
    breach = get_breach(breach_id)
    upload_file = request.files.get("file")
    if upload_file is None or not upload_file.filename:
        flash(_("Choisissez un fichier CSV ou XLSX."), "error")
        return redirect(url_for("patients.index", breach_id=breach.id))
    staged, sha256 = patients.stage_upload(upload_file.stream)
    try:
        imp = patients.begin_import(breach, patients.storage_path(staged), upload_file.filename, user=current_user,
                                    sha256=sha256, mapping_name=request.form.get("mapping_name") or None,
                                    staged=staged)
    except (ImportFileError, patients.ImportRefused) as error:
        flash(_("Fichier non importé : %(reason)s", reason=error.message(_lang())), "error")
        return redirect(url_for("patients.index", breach_id=breach.id))
    # The DPO confirms the columns even when every header was recognised (issue 13.10): a wrong guess ("Nom" for
    # the birth name) would address hundreds of thousands of letters wrongly. A mapping the DPO saved earlier and
    # chose by name on the upload form was confirmed then: the import starts at once when it covers every column.
    if not imp.mapping_name or patients.needs_mapping(imp):
        return redirect(url_for("patients.mapping", breach_id=breach.id, import_id=imp.id))
    try:
        return _start(breach, imp, imp.mapping, save_as=None)
    except patients.ImportRefused as error:  # another import of this breach is running: this one waits
        db.session.rollback()
        flash(error.message(_lang()), "error")
        return redirect(url_for("patients.mapping", breach_id=breach.id, import_id=imp.id))


def _start(breach, imp, mapping, save_as):
    patients.confirm_mapping(imp, mapping, user=current_user, save_as=save_as)
    patients.start_in_background(current_app._get_current_object(), imp.id, lang=_lang())
    return redirect(url_for("patients.import_page", breach_id=breach.id, import_id=imp.id))


@bp.route("/breaches/<int:breach_id>/patients/imports/<int:import_id>/mapping", methods=["GET", "POST"])
@require("patients.import")
def mapping(breach_id: int, import_id: int):
    """Which canonical field each column of the file holds; the choice can be saved by name for next time."""
    breach = get_breach(breach_id)
    imp = _import_or_404(breach, import_id)
    if imp.status != ImportStatus.MAPPING:
        return redirect(url_for("patients.import_page", breach_id=breach.id, import_id=imp.id))
    saved = patients.saved_mappings(breach.organisation_id)
    error = None
    if request.method == "POST":
        chosen = {header: request.form.get(f"col-{index}", "") for index, header in enumerate(imp.headers)}
        save_as = (request.form.get("save_as") or "").strip() or None
        try:
            return _start(breach, imp, chosen, save_as)
        except (ImportFileError, patients.ImportRefused) as problem:
            db.session.rollback()
            error = problem.message(_lang())
    else:
        applied = patients.get_saved_mapping(breach.organisation_id, request.args.get("saved", "")) \
            if request.args.get("saved") else patients.suggested_mapping(breach.organisation_id, imp.headers)
        chosen = patients.proposed_mapping(imp, applied)
    return render_template(
        "patients/mapping.html", breach=breach, imp=imp, chosen=chosen, error=error, saved=saved,
        samples=patients.sample_values(imp), fields=FIELDS, required=REQUIRED_FIELDS,
        undecided=patients.undecided_headers(imp), needs_choice=patients.needs_mapping(imp),
    ), 400 if error else 200


@bp.post("/breaches/<int:breach_id>/patients/imports/<int:import_id>/cancel")
@require("patients.import")
def cancel(breach_id: int, import_id: int):
    breach = get_breach(breach_id)
    imp = _import_or_404(breach, import_id)
    try:
        patients.cancel_import(imp, user=current_user)
        db.session.commit()
        flash(_("Import abandonné : le fichier a été supprimé."), "success")
    except patients.ImportRefused as error:
        flash(error.message(_lang()), "error")
    return redirect(url_for("patients.index", breach_id=breach.id))


@bp.get("/breaches/<int:breach_id>/patients/imports/<int:import_id>")
@require("patients.view")
def import_page(breach_id: int, import_id: int):
    breach = get_breach(breach_id)
    patients.fail_stale_imports(breach.id)
    imp = _import_or_404(breach, import_id)
    lang = _lang()
    lines = patients.pending_lines(imp)
    return render_template("patients/import.html", breach=breach, imp=imp, holds=HOLDS,
                           normalisation_labels=NORMALISATIONS, fields=FIELDS,
                           rejections=[(code, patients.rejection_label(code, lang), n)
                                       for code, n in patients.rejection_counts(imp)],
                           lines=[(line, patients.line_messages(line, lang)) for line in lines],
                           pending=patients.pending_count(imp) if lines else 0)


@bp.route("/breaches/<int:breach_id>/patients/imports/<int:import_id>/rejected/<int:line_id>",
          methods=["GET", "POST"])
@require("patients.fix")
def fix_rejected(breach_id: int, import_id: int, line_id: int):
    """Correct a rejected row in the browser and check it again; accepted, it joins the breach's patients."""
    breach = get_breach(breach_id)
    imp = _import_or_404(breach, import_id)
    line = patients.get_rejected_line(imp, line_id)
    if line is None:
        abort(404)
    editable = patients.editable_fields(imp)
    values = patients.line_fields(imp, line)
    errors: list[str] = []
    if request.method == "POST":
        given = {field: request.form.get(field, "")[:300] for field in editable if field in request.form}
        values.update(given)
        result = patients.fix_rejected_line(imp, line, given, user=current_user, lang=_lang())
        if not result.errors:
            db.session.commit()
            flash(_("Ligne %(row)s corrigée\u00a0: le patient a rejoint la liste.", row=line.row_number), "success")
            return redirect(url_for("patients.import_page", breach_id=breach.id, import_id=imp.id) + "#rejected")
        db.session.rollback()
        errors = result.errors
    header_of = {field: header for header, field in imp.mapping.items() if field}
    return render_template("patients/fix_rejected.html", breach=breach, imp=imp, line=line, values=values,
                           editable=editable, fields=FIELDS, header_of=header_of, errors=errors,
                           messages=patients.line_messages(line, _lang()), wrong=patients.error_fields(line),
                           required=REQUIRED_FIELDS), 400 if errors else 200


@bp.get("/breaches/<int:breach_id>/patients/imports/<int:import_id>/status.json")
@require("patients.view")
def import_status(breach_id: int, import_id: int):
    breach = get_breach(breach_id)
    patients.fail_stale_imports(breach.id)
    return jsonify(patients.import_status(_import_or_404(breach, import_id)))


@bp.get("/breaches/<int:breach_id>/patients/imports/<int:import_id>/rejected.csv")
@require("patients.view")
def rejected(breach_id: int, import_id: int):
    """The rejected rows with their reasons (UTF-8 with BOM, ";"), to fix in a spreadsheet and import again."""
    breach = get_breach(breach_id)
    imp = _import_or_404(breach, import_id)
    path = patients.rejected_download(imp, user=current_user, lang=_lang())
    if path is None:
        abort(404)
    db.session.commit()
    return send_file(path, mimetype="text/csv", as_attachment=True,
                     download_name=f"rejets-{breach.reference}-import-{imp.id}.csv", max_age=0)


@bp.route("/breaches/<int:breach_id>/patients/<int:patient_pk>/fix", methods=["GET", "POST"])
@require("patients.fix")
def fix(breach_id: int, patient_pk: int):
    """Correct a held record by hand (address, legal representative) and/or clear a hold with a reason."""
    breach = get_breach(breach_id)
    patient = patients.get_patient(breach, patient_pk)
    if patient is None:
        abort(404)
    errors, values = [], {field: getattr(patient, field) or "" for field in patients.FIXABLE_FIELDS}
    if request.method == "POST":
        given = {field: request.form[field][:300] for field in patients.FIXABLE_FIELDS if field in request.form}
        chosen = request.form.get("suggestion", "")[:300]
        if "|" in chosen:  # a line 6 the postcode base proposed: "75011|PARIS"
            given["postcode"], given["city"] = chosen.split("|", 1)
        values.update(given)
        result = patients.fix_patient(patient, given, clear_holds=request.form.getlist("clear_hold"),
                                      reason=request.form.get("reason", "")[:1000], user=current_user,
                                      lang=_lang())
        if not result.errors:
            db.session.commit()
            flash(_("Fiche corrigée : statut « %(status)s ».", status=_status_label(patient.status)), "success")
            return redirect(url_for("patients.index", breach_id=breach.id, status=PatientStatus.HELD.value))
        db.session.rollback()
        errors = result.errors
    check = patients.address_check(patient) if "address_to_verify" in (patient.holds or []) else None
    return render_template("patients/fix.html", breach=breach, patient=patient, values=values, errors=errors,
                           holds=HOLDS, fields=FIELDS, check=check, verify_reasons=VERIFY_REASONS), \
        400 if errors else 200


def _status_label(status: str) -> str:
    return _("en attente de vérification") if status == PatientStatus.HELD else _("prêt pour le courrier")
