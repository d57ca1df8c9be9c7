"""Administration: accounts and the organisation's establishments."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from notifier.accounts import services as users
from notifier.accounts.models import ROLES, User
from notifier.accounts.organisations import Establishment
from notifier.core.web import require
from notifier.extensions import db

bp = Blueprint("admin", __name__, url_prefix="/admin")


class UserForm(FlaskForm):
    email = EmailField("Courriel", validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField("Nom", validators=[Optional(), Length(max=200)])
    role = SelectField("Rôle", choices=list(ROLES))


class EstablishmentForm(FlaskForm):
    name = StringField("Nom", validators=[DataRequired(), Length(max=200)])
    siren = StringField("SIREN", validators=[Optional(), Regexp(r"^\d{9}$", message="9 chiffres")])
    finess = StringField("FINESS", validators=[Optional(), Regexp(r"^[0-9A-Z]{9}$", message="9 caractères")])
    address = StringField("Adresse", validators=[Optional(), Length(max=500)])
    dpo_name = StringField("DPO", validators=[Optional(), Length(max=200)])
    dpo_email = EmailField("Courriel du DPO", validators=[Optional(), Email(), Length(max=200)])
    dpo_phone = StringField("Téléphone du DPO", validators=[Optional(), Length(max=50)])
    legal_representative = StringField("Représentant légal", validators=[Optional(), Length(max=200)])
    legal_representative_title = StringField("Qualité", validators=[Optional(), Length(max=200)])
    nis2_in_scope = BooleanField("Entité dans le champ de NIS2")


@bp.route("/users", methods=["GET", "POST"])
@require("admin.manage")
def user_list():
    form = UserForm()
    if form.validate_on_submit():
        password = users.generate_password()
        try:
            users.add_user(form.email.data, form.role.data, password, organisation=current_user.organisation,
                           name=form.name.data or "", by=current_user)
        except ValueError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            # Shown once, never stored in clear: the admin hands it over and the user changes it.
            flash(_("Compte créé. Mot de passe initial (affiché une seule fois) : %(password)s",
                    password=password), "success")
            return redirect(url_for("admin.user_list"))
    accounts = db.session.scalars(
        select(User).where(User.organisation_id == current_user.organisation_id).order_by(User.email)).all()
    return render_template("admin/users.html", form=form, accounts=accounts)


@bp.post("/users/<int:user_id>/active")
@require("admin.manage")
def toggle_user(user_id: int):
    account = db.session.get(User, user_id)
    if account is None or account.organisation_id != current_user.organisation_id:
        abort(404)
    if account.id == current_user.id:
        flash(_("Vous ne pouvez pas désactiver votre propre compte."), "error")
    else:
        users.set_active(account, not account.active, by=current_user)
        db.session.commit()
    return redirect(url_for("admin.user_list"))


@bp.get("/establishments")
@require("admin.manage")
def establishment_list():
    return render_template("admin/establishments.html", establishments=current_user.organisation.establishments)


@bp.route("/establishments/new", methods=["GET", "POST"], defaults={"establishment_id": None})
@bp.route("/establishments/<int:establishment_id>", methods=["GET", "POST"])
@require("admin.manage")
def establishment_edit(establishment_id: int | None):
    establishment = None
    if establishment_id is not None:
        establishment = db.session.get(Establishment, establishment_id)
        if establishment is None or establishment.organisation_id != current_user.organisation_id:
            abort(404)
    form = EstablishmentForm(obj=establishment)
    if form.validate_on_submit():
        if establishment is None:
            establishment = Establishment(organisation_id=current_user.organisation_id)
        users.save_establishment(establishment, {name: value for name, value in form.data.items()
                                                 if name != "csrf_token"}, by=current_user)
        db.session.commit()
        flash(_("Établissement enregistré."), "success")
        return redirect(url_for("admin.establishment_list"))
    return render_template("admin/establishment_form.html", form=form, establishment=establishment,
                           status=200 if request.method == "GET" else 422)
