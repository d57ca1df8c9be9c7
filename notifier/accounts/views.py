import time

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional

from notifier.accounts import services as users
from notifier.accounts.models import User
from notifier.core.i18n import translate
from notifier.core.web import public, require, safe_next
from notifier.extensions import db, limiter, login_manager

bp = Blueprint("auth", __name__)


@bp.record_once
def _install_user_loader(state) -> None:
    """Flask-Login reads the session's account through the accounts feature (an inactive account is logged out)."""
    login_manager.user_loader(_load_user)


def _load_user(user_id: str) -> User | None:
    """The session's account, if the session is still valid server-side: the account is active, its session epoch
    is the one the session was opened with (logout, a password change or reset, a deactivation or a role change
    bump it: every session of the account ends at once), and it was opened less than SESSION_ABSOLUTE_LIFETIME
    seconds ago, however active it has been (the idle limit is PERMANENT_SESSION_LIFETIME)."""
    user = db.session.get(User, int(user_id))
    if user is None or not user.active:
        return None
    if session.get("epoch") != user.session_epoch:
        return None
    login_at = session.get("login_at")
    lifetime = current_app.config["SESSION_ABSOLUTE_LIFETIME"]
    if not isinstance(login_at, int) or time.time() - login_at > lifetime:
        return None
    return user


class LoginForm(FlaskForm):
    email = EmailField(_l("Courriel"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Mot de passe"), validators=[DataRequired(), Length(max=200)])


def _lang() -> str:
    return str(get_locale() or "fr")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
@public
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = users.authenticate(form.email.data, form.password.data)
        db.session.commit()  # the attempt is recorded whatever its outcome
        if user and user.totp_secret:
            # Second factor (ASVS V2.8): the password alone opens nothing; the code page finishes the login.
            chosen = session.get("lang")
            session.clear()
            if chosen in ("fr", "en"):
                session["lang"] = chosen
            session["totp_user_id"] = user.id
            session["totp_next"] = safe_next(request.args.get("next"))
            return redirect(url_for("auth.totp"))
        if user:
            return _finish_login(user, request.args.get("next"))
        # One answer for every refusal (unknown e-mail, inactive account, delay, wrong password): it must not
        # tell which accounts exist (ASVS V2.2.1, V3.2).
        flash(_("Courriel ou mot de passe incorrect. Après plusieurs échecs, un délai croissant s'impose avant "
                "chaque nouvel essai."), "error")
    return render_template("auth/login.html", form=form)


def _finish_login(user, target: str | None):
    # The language chosen on the login page just now wins, then the one the account chose last time; the session
    # is new (fixation), the choice is not lost with it.
    chosen = session.get("lang") if session.get("lang") in ("fr", "en") else None
    session.clear()
    if chosen:
        users.set_language(user, chosen)
        db.session.commit()
    if chosen or user.language in ("fr", "en"):
        session["lang"] = chosen or user.language
    session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME of inactivity
    login_user(user)
    _bind_session(user)
    if user.must_change_password:
        return redirect(url_for("auth.change_password"))
    if not target and not user.can("breach.view") and "hotline.index" in current_app.view_functions:
        return redirect(url_for("hotline.index"))  # the hotline role has no dashboard: its desk
    return redirect(safe_next(target))


def _bind_session(user) -> None:
    """What the user loader checks at every request: the account's session epoch, and the login instant for the
    absolute lifetime (notifier.core.web._load_user)."""
    session["epoch"] = user.session_epoch
    session.setdefault("login_at", int(time.time()))


class CodeForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(min=6, max=8)])


class ReplaceTotpForm(CodeForm):
    password = PasswordField("Mot de passe", validators=[Optional(), Length(max=200)])
    current_code = StringField("Code actuel", validators=[Optional(), Length(max=8)])


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
            return _finish_login(user, session.get("totp_next"))
        flash(_("Code incorrect ou expiré. Après plusieurs échecs, un délai croissant s'impose avant chaque "
                "nouvel essai."), "error")
    return render_template("auth/totp.html", form=form)


@bp.route("/account/totp", methods=["GET", "POST"])
@require("account.manage")
def totp_setup():
    """The second factor: scan the secret, confirm with a code. The secret being set up is kept server-side (the
    cookie holds its id only); replacing an existing secret asks for the password and a current code."""
    pending = users.read_secret(session.get("totp_pending"), current_user, "totp", consume=False)
    if pending is None:
        session["totp_pending"] = users.keep_secret(current_user, "totp", users.new_totp_secret())
        pending = users.read_secret(session["totp_pending"], current_user, "totp", consume=False)
    secret = pending.value
    form = ReplaceTotpForm()
    if form.validate_on_submit():
        problem = users.enable_totp(current_user, secret, form.code.data, password=form.password.data or "",
                                    current_code=form.current_code.data or "")
        if problem is None:
            users.forget_secret(session.pop("totp_pending", None))
            flash(_("Double authentification activée."), "success")
            return redirect(url_for("breaches.dashboard"))
        flash(translate(problem, _lang()), "error")
    uri = users.totp_uri(current_user, secret)
    return render_template("auth/totp_setup.html", form=form, secret=secret, qr_svg=users.qr_svg(uri),
                           replacing=bool(current_user.totp_secret))


class PasswordForm(FlaskForm):
    current = PasswordField("Mot de passe actuel", validators=[DataRequired(), Length(max=200)])
    new = PasswordField("Nouveau mot de passe", validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField("Nouveau mot de passe (encore)", validators=[DataRequired(), Length(max=200)])


@bp.route("/account/password", methods=["GET", "POST"])
@require("account.manage")
def change_password():
    """The user's own password: current one, new one twice. Every other session of the account ends; this one
    goes on with the new epoch."""
    form = PasswordForm()
    if form.validate_on_submit() and form.new.data != form.confirm.data:
        flash(_("Les deux saisies du nouveau mot de passe diffèrent."), "error")
    elif form.validate_on_submit():
        try:
            users.change_password(current_user, form.current.data, form.new.data)
        except users.AccountError as error:
            db.session.rollback()
            flash(error.message(_lang()), "error")
        else:
            db.session.commit()
            _bind_session(current_user)
            flash(_("Mot de passe changé. Vos autres sessions sont fermées."), "success")
            return redirect(url_for("breaches.dashboard"))
    status = 422 if request.method == "POST" else 200
    return render_template("auth/password.html", form=form, forced=current_user.must_change_password), status


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
        if current_user.is_authenticated:
            users.set_language(current_user, code)
            db.session.commit()
    return redirect(safe_next(request.form.get("next")))


@bp.get("/session/keepalive")
@require("account.manage")
def keep_session_alive():
    """Called by the page (static/app.js) while someone types in a form: typing is activity, and the 30-minute idle
    limit must not end the session of a DPO writing the circumstances of a breach. Signed in only (every role may):
    once the session has ended, the usual redirect to the login page."""
    session.modified = True  # the idle limit starts again (SESSION_REFRESH_EACH_REQUEST)
    return "", 204
