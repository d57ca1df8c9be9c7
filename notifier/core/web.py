"""What every web request goes through (access, headers, errors) and what every blueprint uses (`require`,
`safe_next`, the bounded numeric parameters `query_int`, `form_int` and `bounded_number`)."""

import math
import re
from urllib.parse import unquote, urlsplit

from flask import Flask, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter as WerkzeugIntegerConverter

from notifier.core import formatting as timefmt
from notifier.permissions import role_can

PUBLIC = "public"
# The forms whose values the browser keeps when they are sent after the session ended (static/app.js, "drafts").
DRAFT_KEEPING_ENDPOINTS = frozenset({"breaches.save_step"})
PASSWORD_CHANGE_ENDPOINTS = frozenset({"auth.change_password", "auth.logout", "auth.set_language"})


def install(app: Flask) -> None:
    """What every request goes through: access, headers, error pages, template helpers. Called before the
    blueprints are registered: their `<int:...>` URL parts use the bounded converter."""
    app.url_map.converters["int"] = IntegerConverter
    app.register_error_handler(InvalidParameter, _invalid_parameter)
    app.before_request(_refuse_nul_bytes)
    app.before_request(_enforce_access)
    app.after_request(_security_headers)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(413, _too_large)
    for code in (403, 404, 429, 500):
        app.register_error_handler(code, _error_page)
    app.context_processor(_template_helpers)
    app.add_template_filter(_instant, "instant")
    app.add_template_filter(_local_input, "local_input")
    app.add_template_filter(_raw_json, "raw_json")


def safe_next(target: str | None, default_endpoint: str = "breaches.dashboard") -> str:
    """The one check of every `next` the application redirects to (login, language, ...): a local path only,
    otherwise the dashboard. An open redirect would make phishing the DPO easy (ASVS V5.1.5).

    Accepted: one "/" then a path, no "//" anywhere, no backslash (browsers read it as "/"), no scheme or host,
    no control character (tab, CR, LF: a tab is dropped by browsers, CR/LF would split the header), and the same
    once percent-decoded, repeatedly ("%2F%2F", "/%5Cevil")."""
    fallback = url_for(default_endpoint)
    if not isinstance(target, str) or not target or len(target) > 2000:
        return fallback
    if target.endswith("?"):
        target = target[:-1]  # request.full_path of a URL without query string
    text = target
    for _round in range(4):
        if not _is_local_path(text):
            return fallback
        decoded = unquote(text)
        if decoded == text:
            return target
        text = decoded
    return fallback  # still encoded after four rounds: nobody types that


def _is_local_path(text: str) -> bool:
    if not text.startswith("/") or "//" in text or "\\" in text:
        return False
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        return False
    parts = urlsplit(text)
    return not parts.scheme and not parts.netloc


def _enforce_access():
    """Deny by default: every endpoint declares a permission (``require``) or is explicitly public."""
    if request.endpoint is None or request.endpoint == "static":
        return None
    view = current_app.view_functions[request.endpoint]
    permission = getattr(view, "permission", None)
    if permission == PUBLIC:
        return None
    if not current_user.is_authenticated:
        if request.method == "GET":
            return redirect(url_for("auth.login", next=request.full_path))
        return _session_ended()
    if current_user.must_change_password and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS:
        # An admin-given or generated password: nothing else until the user has chosen their own.
        return redirect(url_for("auth.change_password"))
    if permission is None or not role_can(current_user.role, permission):
        abort(403)
    g.user = current_user
    return None


def _refuse_nul_bytes():
    """A NUL byte is never legitimate in a form field; PostgreSQL text cannot even store one. Refuse it early with
    a clear page rather than failing deep inside a query."""
    if request.method == "POST" and any("\x00" in value for value in request.form.values()):
        return render_template("error.html", code=400, message=_(
            "Le formulaire contient un caractère nul (\\0) : rien n'a été enregistré.")), 400
    return None


def user_lang() -> str:
    """The language of this request's pages and messages ("fr" or "en"), as Babel selected it."""
    return str(get_locale() or "fr")
# --- Numeric parameters ----------------------------------------------------------------------------------------------
# A huge integer in ?page= or ?after= reached the database and failed there (OverflowError: a 500), and float("nan")
# passes every comparison: every number a request carries goes through `bounded_number`.

MAX_ID = 2**31 - 1  # PostgreSQL `integer` columns: a larger id matches nothing and cannot even be sent
MAX_PAGE = 100_000
_INTEGER = re.compile(r"[+-]?[0-9]{1,18}")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]{1,9}(?:[.,][0-9]{0,9})?|[.,][0-9]{1,9})")


def bounded_number(text: str | None, *, minimum: float, maximum: float, decimal: bool = False) -> int | float:
    """`text` as an int (a float when `decimal`, with a point or a French comma) within [minimum, maximum].
    ValueError for anything else: words, exponents, NaN, infinities, a value out of range."""
    text = (text or "").strip()
    if not (_DECIMAL if decimal else _INTEGER).fullmatch(text):
        raise ValueError(text[:40])
    value = float(text.replace(",", ".")) if decimal else int(text)
    if not (math.isfinite(value) and minimum <= value <= maximum):
        raise ValueError(text)
    return value


class InvalidParameter(BadRequest):
    """A numeric parameter of a query string or of a hidden form field out of its bounds: a 400 page."""

    def __init__(self, name: str, minimum: int, maximum: int):
        super().__init__(name)
        self.parameter, self.minimum, self.maximum = name, minimum, maximum


def _invalid_parameter(error: InvalidParameter):
    return render_template("error.html", code=400, message=_(
        "Paramètre «\u00a0%(name)s\u00a0» invalide\u00a0: un nombre entier de %(minimum)s à %(maximum)s est "
        "attendu. Rien n'a été enregistré.", name=error.parameter[:40], minimum=error.minimum,
        maximum=error.maximum)), 400


def _bounded_parameter(values, name: str, default, minimum: int, maximum: int, strict: bool = True):
    raw = values.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return bounded_number(raw, minimum=minimum, maximum=maximum)
    except ValueError:
        if not strict:
            return default
        raise InvalidParameter(name, minimum, maximum) from None


def query_int(name: str, default: int | None = None, *, minimum: int = 1, maximum: int = MAX_ID,
              strict: bool = True) -> int | None:
    """An integer of the query string (?page=, ?after=...), `default` when absent or empty; 400 otherwise (or
    `default` when not `strict`: a filter that ignores what it does not understand)."""
    return _bounded_parameter(request.args, name, default, minimum, maximum, strict)


def form_int(name: str, default: int | None = None, *, minimum: int = 1, maximum: int = MAX_ID) -> int | None:
    """An integer of a submitted form that the page itself writes (an id, a version, a choice); 400 when out of
    bounds. Numbers typed by the user are checked by their service and get a form error instead."""
    return _bounded_parameter(request.form, name, default, minimum, maximum)


class IntegerConverter(WerkzeugIntegerConverter):
    """`<int:breach_id>` up to MAX_ID: a larger number in a URL is a 404, never an overflow in the database. Same
    class name as werkzeug's, which it replaces for "int" (code that inspects a rule's converters keeps working)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def require(permission: str):
    """Declare the permission a view needs; checked for every request by _enforce_access."""

    def decorate(view):
        role_can("admin", permission)  # fails loudly at import time on a misspelt permission
        view.permission = permission
        return view

    return decorate


def public(view):
    view.permission = PUBLIC
    return view


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def _security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers["X-Frame-Options"] = "DENY"
    if current_user.is_authenticated:
        response.headers["Cache-Control"] = "no-store"
    return response


def _session_ended():
    """A form sent after the session ended (30 minutes idle, or the absolute lifetime): back to the login, then to
    the page the form was on. What was typed is not lost: the browser kept it (static/app.js, "drafts") and puts it
    back in the form, to be saved again."""
    if request.endpoint in DRAFT_KEEPING_ENDPOINTS:
        flash(_("Votre session a expiré\u00a0: reconnectez-vous. Ce que vous aviez saisi n'a pas été enregistré, mais "
                "ce navigateur l'a gardé\u00a0: il sera remis dans le formulaire, à enregistrer de nouveau."), "error")
    else:
        flash(_("Votre session a expiré\u00a0: reconnectez-vous, puis envoyez de nouveau le formulaire (rien n'a été "
                "enregistré)."), "error")
    return redirect(url_for("auth.login", next=_local_referrer()))


def _local_referrer() -> str | None:
    """The path (and query) of the page that sent the request, when it is one of this application's."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host or not referrer.path.startswith("/"):
        return None
    return referrer.path + (f"?{referrer.query}" if referrer.query else "")


def _csrf_error(error):
    if not current_user.is_authenticated and request.endpoint not in (None, "auth.login", "auth.totp") and \
            getattr(current_app.view_functions.get(request.endpoint), "permission", None) != PUBLIC:
        return _session_ended()  # the session (and its CSRF token) ended while the form was open
    return render_template("error.html", code=400, message=_(
        "Le formulaire a expiré ou ne vient pas de cette application (protection CSRF). Rechargez la page et "
        "recommencez : rien n'a été enregistré.")), 400


def _too_large(error):
    limit_mib = current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
    return render_template("error.html", code=413, message=_(
        "Fichier trop volumineux : la limite est de %(limit)s Mio. Rien n'a été enregistré.", limit=limit_mib)), 413


def _error_page(error):
    messages = {
        403: _("Vous n'avez pas accès à cette page."),
        404: _("Page introuvable."),
        # Login throttling (Flask-Limiter): the same page for every user, in their language.
        429: _("Trop de tentatives depuis votre poste : réessayez dans une minute."),
        # The error itself is in the log (notifier.core.logs); nothing of it is shown here.
        500: _("Une erreur inattendue est survenue ; elle a été consignée. Ce que vous aviez enregistré avant est "
               "conservé."),
    }
    code = getattr(error, "code", None) or 500
    return render_template("error.html", code=code, message=messages[code]), code


def _template_helpers():
    lang = str(get_locale() or "fr")

    def when(instant):
        return timefmt.format_datetime(instant, lang) if instant else "—"

    # Punctuation written outside _(): French sets a no-break space before it, English none.
    colon, semicolon = ("\u00a0:", "\u00a0;") if lang == "fr" else (":", ";")
    return {"lang": lang, "colon": colon, "semicolon": semicolon, "when": when,
            "can": _can, "here": lambda: safe_next(request.full_path),
            "has_endpoint": lambda name: name in current_app.view_functions,
            "duration": lambda td: timefmt.format_duration(td, lang), "session_lang": session.get("lang")}


def _raw_json(value) -> str:
    """Stored data as JSON for the "raw data" disclosures, accented letters as themselves (not \\u00f4); escaped
    by the template's autoescape like any text."""
    import json

    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _instant(value):
    from datetime import datetime

    return datetime.fromisoformat(value) if value else None


def _local_input(value):
    """A stored instant -> the value of a datetime-local input, in Paris time. Text typed by the user (shown back
    after an error) is returned as it was typed."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    if not value:
        return ""
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        return value
    if instant.tzinfo is None:
        return value
    return instant.astimezone(ZoneInfo("Europe/Paris")).strftime("%Y-%m-%dT%H:%M")


def _can(permission: str) -> bool:
    return current_user.is_authenticated and role_can(current_user.role, permission)
