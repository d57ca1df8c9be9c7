"""notifier: personal-data breach notification for French health establishments."""

import logging
import os
import re
import secrets
from pathlib import Path

from flask import Flask, request, session

from notifier.config import Defaults
from notifier.core import ratelimit  # noqa: F401  (registers RATELIMIT_STORAGE_URI's notifier-memory://)
from notifier.core.paths import instance_dir, resource_dir
from notifier.extensions import babel, csrf, db, limiter, login_manager, migrate


def create_app(config: dict | None = None) -> Flask:
    """The application factory: configuration, extensions, blueprints and CLI; nothing else."""
    app = Flask(
        __name__,
        instance_path=str(instance_dir(os.environ)),
        template_folder=str(resource_dir("templates")),
        static_folder=str(resource_dir("static")),
    )
    app.config.from_object(Defaults)
    app.config.from_prefixed_env("NOTIFIER")
    if config:
        app.config.update(config)
    _fill_instance_defaults(app)
    _trust_configured_proxies(app)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(resource_dir("migrations")), render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, default_translation_directories=str(
        Path(__file__).parent / "translations"))
    limiter.init_app(app)

    _register_features(app)
    _keep_query_strings_out_of_request_logs()
    app.log_exception = _log_exception_safely(app)
    return app


def _register_features(app: Flask) -> None:
    """Each feature's tables, blueprint(s) and commands, named here once (no discovery, no import side effects)."""
    from notifier.accounts import admin_views
    from notifier.accounts import views as auth
    from notifier.audit import views as audit
    from notifier.breaches import views as breaches
    from notifier.cases import subscriptions as case_subscriptions
    from notifier.cases import views as cases
    from notifier.cli import register_commands
    from notifier.core import web
    from notifier.hotline import views as hotline
    from notifier.letters import views as letters
    from notifier.models import register_models
    from notifier.patients import views as patients
    from notifier.register import views as register
    from notifier.reports import views as reports
    from notifier.risk import views as risk
    from notifier.verification import views as verification

    register_models()
    # What each feature does when another announces something (notifier/core/events.py), connected once.
    from notifier.hotline import subscriptions as hotline_subscriptions  # noqa: F401
    from notifier.letters import subscriptions as letters_subscriptions  # noqa: F401
    from notifier.risk import subscriptions as risk_subscriptions  # noqa: F401

    web.install(app)
    for feature in (auth, breaches, admin_views, risk, reports, register, patients, letters, audit):
        app.register_blueprint(feature.bp)
    app.register_blueprint(verification.bp)
    app.register_blueprint(hotline.bp)
    app.register_blueprint(cases.bp)
    case_subscriptions.connect()
    register_commands(app)


def _trust_configured_proxies(app: Flask) -> None:
    """Behind NOTIFIER_TRUSTED_PROXIES reverse proxies, the client's address (what login throttling counts) and
    scheme come from their X-Forwarded-For/-Proto headers; without it those headers are ignored."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)


def _log_exception_safely(app: Flask):
    """Flask logs an unhandled exception with its whole message: logs.log_failure keeps only its first line."""
    from notifier.core.logs import log_failure

    def log_exception(exc_info) -> None:
        log_failure(app.logger, "Exception on %s [%s]", request.path, request.method, error=exc_info[1])

    return log_exception


class _NoQueryString(logging.Filter):
    """The development server logs each request line; a query string may carry a patient's name (the patients
    page's search), so it is cut: "GET /breaches/1/patients?…". gunicorn.conf.py does the same in production."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_QUERY.sub("?…", arg) if isinstance(arg, str) else arg for arg in record.args)
        return True


_QUERY = re.compile(r"\?[^\s\"]*")


def _keep_query_strings_out_of_request_logs() -> None:
    logger = logging.getLogger("werkzeug")
    if not any(isinstance(existing, _NoQueryString) for existing in logger.filters):
        logger.addFilter(_NoQueryString())


def _fill_instance_defaults(app: Flask) -> None:
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = f"sqlite:///{instance / 'notifier.db'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]
    if app.config["DATABASE_URL"].startswith("sqlite"):
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 30}})
    # Statement parameters are patients' names and addresses: never in an error message, a traceback or a log line.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"hide_parameters": True,
                                               **(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})}
    if not app.config.get("STORAGE_DIR"):
        app.config["STORAGE_DIR"] = str(instance / "storage")
    Path(app.config["STORAGE_DIR"]).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        # A key generated once per instance, kept out of the repository; set NOTIFIER_SECRET_KEY in production.
        key_file = instance / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_hex(32))
            key_file.chmod(0o600)
        app.config["SECRET_KEY"] = key_file.read_text().strip()
    from notifier.audit import keys as audit_keys

    audit_keys.fill_defaults(app)


def _select_locale() -> str:
    """French first: the user's explicit choice, then the browser's preference between fr and en."""
    from flask import current_app

    chosen = session.get("lang")
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return request.accept_languages.best_match(current_app.config["LANGUAGES"]) or "fr"
