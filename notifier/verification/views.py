"""The public page "is this letter genuine?": `/verifier` in French, `/verify` in English (issue 17).

The one part of the app open to anyone: exempt from login (``public``), with no session at all (the request's
session is a null session, so no cookie is ever set and a DPO's cookie is not even read), a strict CSP (no script,
nothing from elsewhere), no referrer sent when the patient follows the public notice's link, and a rate limit per
address (Flask-Limiter, VERIFY_RATE_LIMIT) with its own 429 page in the page's language. The reference is never
written back into the page. Everything under the two paths (a 404 at /verifier/x, an error) gets the same: the
public page with its own message, never the app's error page (its language form would open a session)."""

from flask import Blueprint, current_app, g, render_template, request
from flask.sessions import SessionInterface
from flask_babel import force_locale
from sqlalchemy.exc import SQLAlchemyError

from notifier.core.formatting import format_date
from notifier.core.logs import log_failure
from notifier.core.web import public
from notifier.extensions import db, limiter, login_manager
from notifier.verification import services as verification
from notifier.verification.states import Outcome

bp = Blueprint("verification", __name__)

CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; "
       "frame-ancestors 'none'")
PATHS = {"/verifier": "fr", "/verify": "en"}


def _limit() -> str:
    return current_app.config["VERIFY_RATE_LIMIT"]


_shared_limit = limiter.shared_limit(_limit, scope="verification")


def _public_lang(app, path: str) -> str | None:
    """The language of the public page `path` belongs to (the page itself or anything under it), None elsewhere."""
    for page, lang in app.extensions.get("verification_paths", {}).items():
        if path == page or path.startswith(page + "/"):
            return lang
    return None


class _NoSessionOnPublicPages(SessionInterface):
    """The app's session interface, except on the public pages: there no session is opened (Flask then uses its
    null session, never saved), so no Set-Cookie is ever sent and a visitor's existing cookie is not even read."""

    def __init__(self, inner: SessionInterface):
        self.inner = inner

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def open_session(self, app, request):
        if _public_lang(app, request.path):
            return None
        return self.inner.open_session(app, request)

    def save_session(self, app, session, response) -> None:
        self.inner.save_session(app, session, response)


@bp.record_once
def _install_sessions(state) -> None:
    prefix = (state.url_prefix or "").rstrip("/")
    state.app.extensions["verification_paths"] = {f"{prefix}{path}": lang for path, lang in PATHS.items()}
    state.app.session_interface = _NoSessionOnPublicPages(state.app.session_interface)


@bp.before_app_request
def _nobody_signed_in():
    """Nobody is signed in on the public page: Flask-Login is told so before anything asks (the security headers
    do), so it reads no session and no remember cookie, and loads no user from the database. A path under the
    public page that names nothing (/verifier/, /verify/x) is answered by the public page itself, not by the app's
    404 page."""
    lang = _public_lang(current_app, request.path)
    if lang is None:
        return None
    g._login_user = login_manager.anonymous_user()
    error = request.routing_exception
    if error is not None and getattr(error, "code", None) == 404:
        return _rendered(lang, None, notice="not-found"), 404
    return None


@bp.after_app_request
def _public_headers(response):
    if _public_lang(current_app, request.path):
        response.headers["Content-Security-Policy"] = CSP
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
    return response


def _lang() -> str:
    return _public_lang(current_app, request.path) or "fr"


def _page(lang: str):
    raw = request.args.get("reference")
    answer = None
    if raw is not None and raw.strip():
        answer = verification.verify(raw)
        try:
            if verification.count(answer, database=_database_key(),
                                  flush_seconds=float(current_app.config["VERIFY_COUNT_FLUSH_SECONDS"])):
                db.session.commit()
        except SQLAlchemyError as error:  # a counter that cannot be written never keeps a patient from the answer
            db.session.rollback()
            log_failure(current_app.logger, "verification counts not written", error=error)
    return _rendered(lang, answer)


# The page is the same for every request with the same answer (it never shows the reference typed, nor the path),
# so each answer is rendered once per process and language: a genuine answer by its public facts (establishment,
# days, hotline), never by reference. Bounded: a new answer past the bound empties the cache.
_PAGES_CACHED = 512


def _rendered(lang: str, answer: verification.Verification | None, notice: str | None = None) -> str:
    """The page in `lang`: the form, with `answer`, or with `notice` ("too-many", "not-found", "failed")."""
    pages = current_app.extensions.setdefault("verification_pages", {})
    key = (lang, notice, answer.outcome if answer else None, tuple(answer.matches) if answer else ())
    page = pages.get(key)
    if page is None:
        paths = {page_lang: path for path, page_lang in current_app.extensions["verification_paths"].items()}
        with force_locale(lang):
            page = render_template("verification/page.html", lang=lang, answer=answer, Outcome=Outcome,
                                   action=paths[lang], other=paths["en" if lang == "fr" else "fr"],
                                   day=lambda d: format_date(d, lang), notice=notice)
        if len(pages) >= _PAGES_CACHED:
            pages.clear()
        pages[key] = page
    return page


def _database_key() -> str:
    """Which database the waiting counts belong to (one process may serve several apps: tests, benchmarks)."""
    config = current_app.config
    return f"{config['SQLALCHEMY_DATABASE_URI']}|{config.get('SQLALCHEMY_ENGINE_OPTIONS')!r}"


@bp.route("/verifier")
@_shared_limit
@public
def verifier():
    return _page("fr")


@bp.route("/verify")
@_shared_limit
@public
def verify():
    return _page("en")


@bp.errorhandler(429)
def _too_many(error):
    response = current_app.make_response((_rendered(_lang(), None, notice="too-many"), 429))
    response.headers["Retry-After"] = "60"
    return response


@bp.errorhandler(500)
def _failed(error):
    """An error while answering (the database out of reach after a news article): the public page says so in its
    language; the error itself is logged by Flask, nothing of it is shown."""
    return _rendered(_lang(), None, notice="failed"), 500


@bp.app_context_processor
def _panel_helpers():
    return {"verification_panel": lambda breach: verification.daily_counts(breach.id)}

