from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from notifier.accounts import services as users
from notifier.accounts.models import User
from notifier.core.web import public, require
from notifier.extensions import db, limiter, login_manager

bp = Blueprint("auth", __name__)


@bp.record_once
def _install_user_loader(state) -> None:
    """Flask-Login reads the session's account through the accounts feature (an inactive account is logged out)."""
    login_manager.user_loader(_load_user)


def _load_user(user_id: str) -> User | None:
    user = db.session.get(User, int(user_id))
    return user if user and user.active else None


class LoginForm(FlaskForm):
    email = EmailField("Courriel", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Mot de passe", validators=[DataRequired(), Length(max=200)])


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
@public
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user, problem = users.authenticate(form.email.data, form.password.data)
        db.session.commit()  # the attempt is recorded whatever its outcome
        if user and user.totp_secret:
            # Second factor (ASVS V2.8): the password alone opens nothing; the code page finishes the login.
            session.clear()
            session["totp_user_id"] = user.id
            session["totp_next"] = request.args.get("next") or ""
            return redirect(url_for("auth.totp"))
        if user:
            return _finish_login(user, request.args.get("next") or "")
        if problem == "locked":
            flash(_("Trop d'échecs : ce compte est bloqué pendant 15 minutes."), "error")
        else:
            flash(_("Courriel ou mot de passe incorrect."), "error")
    return render_template("auth/login.html", form=form)


def _finish_login(user, target: str):
    session.clear()
    session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME of inactivity
    login_user(user)
    # Only local paths: an open redirect would make phishing the DPO easy.
    if not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        target = url_for("breaches.dashboard")
    return redirect(target)


class CodeForm(FlaskForm):
    code = StringField("Code", validators=[DataRequired(), Length(min=6, max=8)])


@bp.route("/login/totp", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
@public
def totp():
    user_id = session.get("totp_user_id")
    if not user_id:
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        user = users.check_totp(user_id, form.code.data)
        db.session.commit()  # the attempt is recorded whatever its outcome
        if user:
            return _finish_login(user, session.get("totp_next") or "")
        flash(_("Code incorrect ou expiré."), "error")
    return render_template("auth/totp.html", form=form)


@bp.route("/account/totp", methods=["GET", "POST"])
@require("account.manage")
def totp_setup():
    """Optional second factor for DPO and legal accounts: scan the secret, confirm with a code."""
    secret = session.get("totp_pending") or users.new_totp_secret()
    session["totp_pending"] = secret
    form = CodeForm()
    if form.validate_on_submit():
        if users.enable_totp(current_user, secret, form.code.data):
            db.session.commit()
            session.pop("totp_pending", None)
            flash(_("Double authentification activée."), "success")
            return redirect(url_for("breaches.dashboard"))
        flash(_("Code incorrect : scannez de nouveau le code et réessayez."), "error")
    uri = users.totp_uri(current_user, secret)
    return render_template("auth/totp_setup.html", form=form, secret=secret, qr_svg=users.qr_svg(uri))


@bp.post("/logout")
@login_required
@public
def logout():
    users.logout(current_user)
    db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.post("/lang/<code>")
@public
def set_language(code: str):
    if code in ("fr", "en"):
        session["lang"] = code
    target = request.form.get("next") or "/"
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    return redirect(target)
