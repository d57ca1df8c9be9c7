"""Default configuration. Every key can be overridden by an environment variable with the prefix ``NOTIFIER_``
(``NOTIFIER_DATABASE_URL``, ``NOTIFIER_SECRET_KEY``...), read by ``app.config.from_prefixed_env("NOTIFIER")``."""

from datetime import timedelta


class Defaults:
    # Filled in by create_app() from the instance folder when not given.
    DATABASE_URL: str | None = None
    STORAGE_DIR: str | None = None
    SECRET_KEY: str | None = None

    # GDPR art. 33(1): 72 hours. A proposal (COM(2025) 837, "digital omnibus") would make it 96 h; not law.
    CNIL_PERIOD_HOURS = 72
    TIMEZONE = "Europe/Paris"

    BABEL_DEFAULT_LOCALE = "fr"
    BABEL_DEFAULT_TIMEZONE = "Europe/Paris"
    LANGUAGES = ("fr", "en")

    # Uploads (patient lists). Flask answers 413 above this; the page explains the limit.
    MAX_CONTENT_LENGTH = 512 * 1024 * 1024
    # Patient lists (docs/security.md, "Hostile uploads"): columns of the header line, and what an XLSX archive may
    # hold once decompressed; refused with a clear message before any row is read.
    IMPORT_MAX_COLUMNS = 200
    IMPORT_XLSX_MAX_MEMBER_BYTES = 100 * 1024 * 1024
    IMPORT_XLSX_MAX_RATIO = 100
    IMPORT_XLSX_MAX_STRINGS = 2_000_000
    # Tracking files (letter statuses from the print shop or La Poste): streamed, refused above this size.
    TRACKING_MAX_BYTES = 50 * 1024 * 1024
    # Above this size a tracking file uploaded in the browser is applied in the background (the page follows it).
    TRACKING_INLINE_BYTES = 1024 * 1024

    # Session cookies: HttpOnly and SameSite=Lax always; Secure unless explicitly turned off for local http.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True  # NOTIFIER_SESSION_COOKIE_SECURE=false for plain http on localhost
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=30)
    SESSION_REFRESH_EACH_REQUEST = True

    # GDPR art. 5(1)(e), storage limitation: a closed breach's patient list is kept this many days after closing
    # (returned mail, complaints, the CNIL's questions), then `notifier patients purge` deletes it.
    PATIENT_RETENTION_DAYS = 365

    # Letter jobs: None = local process pool; a redis:// URL = Celery workers.
    CELERY_BROKER_URL: str | None = None
    LETTER_WORKERS = 2
    # Lots for recto verso printing: the cover sheet and odd-length letters get a blank verso so that each letter
    # starts on its own sheet (otherwise a letter's last page would carry the next patient's first page). Off by
    # default: lots are laid out for recto-only printing, and every cover sheet says so to the print shop.
    LETTER_DUPLEX = False

    WTF_CSRF_TIME_LIMIT = None
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = False
