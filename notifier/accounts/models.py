from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from notifier.accounts.organisations import Organisation
from notifier.accounts.roles import Role
from notifier.core.types import UTCDateTime, one_of, utcnow
from notifier.extensions import db

_hasher = PasswordHasher()


class User(UserMixin, db.Model):
    __table_args__ = (one_of("user", "role", Role),
                      CheckConstraint('"language" IN (\'fr\', \'en\')', name="ck_user_language"))

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Password failures in a row, and the instant before which no password is even tried (growing delay).
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # RFC 6238 section 5.2: a code is accepted once; the last accepted time step (unix time // 30) is kept.
    totp_last_step: Mapped[int | None] = mapped_column(nullable=True)
    # Wrong second-factor codes in a row and their own delay: knowing the password gives no free guesses.
    failed_totp: Mapped[int] = mapped_column(default=0, server_default="0")
    totp_locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Every session carries the epoch it was opened at; bumping it ends every session of the account at once
    # (logout, password change or reset, deactivation, role change). See notifier.core.web._load_user.
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    # An admin-given or generated password: every page leads to /account/password until the user has chosen one.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The language the user chose with the language switch (fr, en), for what is sent to them outside a page (the
    # reminder e-mails); None until they choose, which means French.
    language: Mapped[str | None] = mapped_column(String(2), nullable=True)

    organisation: Mapped[Organisation] = relationship()

    def set_password(self, password: str) -> None:
        self.password_hash = _hasher.hash(password)
        self.end_sessions()

    def check_password(self, password: str) -> bool:
        try:
            return _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def end_sessions(self) -> None:
        """Every session opened before now stops working at its next request."""
        self.session_epoch = (self.session_epoch or 0) + 1

    @validates("role", "active")
    def _sessions_end_on_change(self, key, value):
        # A new role or a deactivation must not wait for the old sessions to expire.
        if getattr(self, key) is not None and getattr(self, key) != value:
            self.end_sessions()
        return value

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def can(self, permission: str) -> bool:
        from notifier.permissions import role_can

        return role_can(self.role, permission)


def check_dummy_password(password: str) -> None:
    """Verify against a hash of a password nobody has: an unknown e-mail costs the same time as a wrong password
    (the answer must not tell which accounts exist)."""
    try:
        _hasher.verify(_dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        pass


_DUMMY: list[str] = []


def _dummy_hash() -> str:
    if not _DUMMY:
        _DUMMY.append(_hasher.hash("dummy password for timing equalisation"))
    return _DUMMY[0]


class PendingSecret(db.Model):
    """A secret to show once (an initial password) or to keep between two requests (a TOTP secret being set up),
    kept here rather than in the session cookie, which is signed but readable by anyone holding it. The cookie
    carries only the random id; the row is deleted once shown or used, and is worthless after ``expires_at``."""

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(200))
    details: Mapped[str] = mapped_column(String(300), default="")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
