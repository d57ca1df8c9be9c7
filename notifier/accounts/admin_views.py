"""Administration: accounts and the organisation's establishments."""

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, EmailField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from notifier.accounts import services as users
from notifier.accounts.models import User
from notifier.accounts.organisations import Establishment
from notifier.accounts.roles import Role
from notifier.core import identifiers
from notifier.core.web import require
from notifier.extensions import db

bp = Blueprint("admin", __name__, url_prefix="/admin")


class UserForm(FlaskForm):
    email = EmailField(_l("Courriel"), validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField(_l("Nom"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Rôle"), choices=[role.value for role in Role])


IDENTIFIER_MESSAGES = {
    "siren_format": _l("SIREN invalide\u00a0: 9 chiffres attendus"),
    "siren_key": _l("SIREN invalide\u00a0: la clé de contrôle (dernier chiffre, algorithme de Luhn) ne correspond pas. "
                    "Vérifiez le numéro sur l'avis de situation Sirene."),
    "finess_format": _l("FINESS invalide\u00a0: 9 caractères, le département d'abord (2A ou 2B pour la Corse)"),
    "finess_key": _l("FINESS invalide\u00a0: la clé de contrôle (9e caractère) ne correspond pas. Vérifiez le numéro "
                     "dans le répertoire FINESS."),
    "phone_fr": _l("Numéro de téléphone invalide\u00a0: 10 chiffres (04 72 10 20 30) ou +33 suivi de 9 chiffres"),
}


class _Identifier:
    """A WTForms validator over notifier.core.identifiers: the same rule as the wizard and the JSON import."""

    def __init__(self, check):
        self.check = check

    def __call__(self, form, field):
        if field.data:
            try:
                field.data = self.check(field.data)
            except identifiers.IdentifierError as error:
                raise ValidationError(str(IDENTIFIER_MESSAGES[error.code])) from None


class EstablishmentForm(FlaskForm):
    name = StringField(_l("Nom"), validators=[DataRequired(), Length(max=200)])
    siren = StringField(_l("SIREN"), validators=[Optional(), _Identifier(identifiers.check_siren)])
    finess = StringField(_l("FINESS"), validators=[Optional(), _Identifier(identifiers.check_finess)])
    address = StringField(_l("Adresse"), validators=[Optional(), Length(max=500)])
    dpo_name = StringField(_l("DPO"), validators=[Optional(), Length(max=200)])
    dpo_gender = SelectField(
        _l("Civilité du DPO (accord de son titre dans la fiche et les courriers)"),
        choices=[SelectChoice("", _l("Non précisée")),
                 SelectChoice("f", _l("Madame\u00a0: déléguée à la protection des données")),
                 SelectChoice("m", _l("Monsieur\u00a0: délégué à la protection des données"))],
        coerce=lambda value: value or None, validate_choice=True)
    dpo_email = EmailField(_l("Courriel du DPO"), validators=[Optional(), Email(), Length(max=200)])
    dpo_phone = StringField(_l("Téléphone du DPO"), validators=[Optional(), Length(max=50),
                                                                _Identifier(identifiers.check_phone_fr)])
    legal_representative = StringField(_l("Représentant légal"), validators=[Optional(), Length(max=200)])
    legal_representative_title = StringField(_l("Qualité"), validators=[Optional(), Length(max=200)])
    nis2_in_scope = BooleanField(_l("Entité dans le champ de NIS2"))
    nis1_oes = BooleanField(_l("Opérateur de services essentiels (NIS1)\u00a0: déclaration des incidents à l'ANSSI"))


@bp.route("/users", methods=["GET", "POST"])
@require("admin.manage")
def user_list():
    form = UserForm()
    if form.validate_on_submit():
        password = users.generate_password(form.email.data, current_user.organisation.name)
        try:
            users.add_user(form.email.data, form.role.data, password, organisation=current_user.organisation,
                           name=form.name.data or "", by=current_user, must_change_password=True)
        except users.AccountError as error:
            db.session.rollback()
            flash(error.message(str(get_locale() or "fr")), "error")
        else:
            db.session.commit()
            _show_once(password)
            return redirect(url_for("admin.user_list"))
    # Shown once, never in the cookie (signed, not encrypted): the row is deleted as it is read. The admin hands
    # the password over and the user must change it at first login.
    shown = users.read_secret(session.pop("shown_secret", None), current_user, "password", consume=True)
    accounts = db.session.scalars(
        select(User).where(User.organisation_id == current_user.organisation_id).order_by(User.email)).all()
    return render_template("admin/users.html", form=form, accounts=accounts,
                           initial_password=shown.value if shown else None)


def _show_once(password: str) -> None:
    session["shown_secret"] = users.keep_secret(current_user, "password", password)


def _own_account(user_id: int) -> User:
    account = db.session.get(User, user_id)
    if account is None or account.organisation_id != current_user.organisation_id:
        abort(404)
    return account


@bp.post("/users/<int:user_id>/unlock")
@require("admin.manage")
def unlock_user(user_id: int):
    """Lift the delay after failed passwords or codes: an attacker must never be able to keep the DPO out."""
    account = _own_account(user_id)
    users.unlock(account, by=current_user)
    db.session.commit()
    flash(_("Compte %(email)s débloqué.", email=account.email), "success")
    return redirect(url_for("admin.user_list"))


@bp.post("/users/<int:user_id>/password")
@require("admin.manage")
def reset_user_password(user_id: int):
    """A new generated password, shown once, to change at first login; every session of the account ends."""
    account = _own_account(user_id)
    password = users.reset_password(account, by=current_user)
    db.session.commit()
    _show_once(password)
    return redirect(url_for("admin.user_list"))


@bp.post("/users/<int:user_id>/active")
@require("admin.manage")
def toggle_user(user_id: int):
    account = _own_account(user_id)
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
