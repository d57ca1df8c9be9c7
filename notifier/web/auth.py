from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from notifier.extensions import limiter
from notifier.services import audit, users
from notifier.web import public

bp = Blueprint("auth", __name__)


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
        if user:
            session.clear()
            session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME of inactivity
            login_user(user)
            target = request.args.get("next") or ""
            # Only local paths: an open redirect would make phishing the DPO easy.
            if not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
                target = url_for("breaches.dashboard")
            return redirect(target)
        if problem == "locked":
            flash(_("Trop d'échecs : ce compte est bloqué pendant 15 minutes."), "error")
        else:
            flash(_("Courriel ou mot de passe incorrect."), "error")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
@public
def logout():
    audit.record("logout", user=current_user, obj=current_user)
    from notifier.extensions import db

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
