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
    # French postcodes and cities checked against the official base (docs/addresses.md); false: form checks only.
    ADDRESS_CHECK = True
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
    # Seconds a session lives at most after login, however active (besides the 30-minute idle limit above).
    SESSION_ABSOLUTE_LIFETIME = 12 * 3600
    # Reverse proxies in front of the app that set X-Forwarded-For/-Proto (werkzeug ProxyFix). 0: none, the
    # connecting address is the client's. Set it to the exact number of trusted proxies, never more: a client
    # could otherwise choose the address the login throttling counts.
    TRUSTED_PROXIES = 0

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
    # Postage per letter (euros) for the estimate shown before a job: La Poste's Lettre verte (20 g) public price;
    # set the price of the organisation's bulk-mail contract.
    LETTER_POSTAGE_PRICE = 1.39
    # Patient e-mails (docs/email.md): messages per second over a whole job, its workers together (the relay's own
    # limit: ask its administrator); None or 0 = as fast as the relay answers.
    EMAIL_RATE: float | None = 50
    EMAIL_CHUNK_SIZE = 1000

    # Audit trail (docs/security.md, "Audit trail"): the chain key (else instance/audit_key), the Ed25519 signing
    # key file (else instance/audit_signing_key, public key beside it), the append-only checkpoint file (else
    # instance/audit-checkpoints.jsonl), a checkpoint at least every N entries, and copies sent off the machine.
    AUDIT_KEY: str | None = None
    AUDIT_SIGNING_KEY: str | None = None
    AUDIT_CHECKPOINT_FILE: str | None = None
    AUDIT_CHECKPOINT_EVERY = 100
    AUDIT_SYSLOG: str | None = None  # "host:port" (UDP) or a socket path such as /dev/log
    AUDIT_CHECKPOINT_MAILTO: str | None = None  # comma-separated addresses

    # The one SMTP sender (notifier/core/mail.py).
    SMTP_HOST: str | None = None
    SMTP_PORT = 25
    SMTP_USER: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_STARTTLS = False
    MAIL_FROM: str | None = None

    # The hospital's public address of this instance (issue 17), e.g. https://www.hopital.fr/notifier: the letters'
    # 2D code then carries PUBLIC_URL + "/verifier?reference=REF" (the reference alone when unset), the public
    # page "is this letter genuine?" answers there, and reminder e-mails (notifier/cases/) link to its pages.
    # VERIFY_RATE_LIMIT: requests per address and minute on that page (Flask-Limiter).
    PUBLIC_URL: str | None = None
    VERIFY_RATE_LIMIT = "20 per minute"
    # The page's daily counts are written at most once per this many seconds per process (0: with each request).
    VERIFY_COUNT_FLUSH_SECONDS = 1.0
    # The case (notifier/cases/, docs/case.md): the evidence vault's AES-256-GCM key (64 hex digits; else
    # instance/evidence_key, generated once), retired keys still read (comma-separated), the largest evidence file,
    # and the address of this instance that reminder e-mails link to (https://notifier.example-hospital.fr).
    EVIDENCE_KEY: str | None = None
    EVIDENCE_OLD_KEYS: str | None = None
    EVIDENCE_MAX_BYTES = 100 * 1024 * 1024

    WTF_CSRF_TIME_LIMIT = None
    # limits' memory storage without a thread per burst of requests (notifier/core/ratelimit.py).
    RATELIMIT_STORAGE_URI = "notifier-memory://"
    RATELIMIT_HEADERS_ENABLED = False
