"""Accounts: creation with a password policy, and login with lock-out after repeated failures.

Each use case writes its audit entry and flushes; the request or the command commits (a failed login too: the
view commits the failure count and the entry before answering)."""

import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from notifier.accounts.models import User
from notifier.accounts.organisations import Establishment, Organisation
from notifier.audit import services as audit
from notifier.core.types import utcnow
from notifier.extensions import db

# OWASP ASVS 4.0 V2.1.1 / CNIL recommendation on passwords (délibération 2022-100): at least 12 characters
# when no other factor is imposed.
MIN_PASSWORD_LENGTH = 12
# ASVS V2.2.1: anti-automation. After this many consecutive failures the account waits LOCKOUT.
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)


class PasswordPolicyError(ValueError):
    pass


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordPolicyError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(set(password)) < 5:
        raise PasswordPolicyError("the password is too repetitive")


def generate_password() -> str:
    return secrets.token_urlsafe(15)


def add_user(email: str, role: str, password: str, *, organisation: Organisation, name: str = "",
             by: User | None = None) -> User:
    from notifier.accounts.models import ROLES

    if role not in ROLES:
        raise ValueError(f"unknown role {role!r} (one of {', '.join(ROLES)})")
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise ValueError("invalid e-mail address")
    if db.session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise ValueError(f"an account {email} already exists")
    check_password_policy(password)
    user = User(email=email, role=role, name=name, organisation=organisation)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", user=by, obj=user, organisation_id=organisation.id,
                 details={"email": email, "role": role})
    return user


def set_active(account: User, active: bool, *, by: User) -> None:
    """Activate or deactivate an account (the admin page), recorded in the audit trail (flushed)."""
    account.active = active
    audit.record("user.activate" if active else "user.deactivate", user=by, obj=account)


def reset_password(user: User) -> str:
    """A new generated password (returned to be shown once) that also unlocks the account, recorded (flushed)."""
    password = generate_password()
    user.set_password(password)
    user.failed_logins, user.locked_until = 0, None
    audit.record("user.password_reset", obj=user, organisation_id=user.organisation_id)
    return password


def logout(user: User) -> None:
    """Record the end of the user's session (flushed); the view commits, then ends the Flask-Login session."""
    audit.record("logout", user=user, obj=user)


# Optional texts of an establishment are stored as "" rather than NULL (the documents print them as they are).
ESTABLISHMENT_TEXTS = ("siren", "finess", "address", "dpo_name", "dpo_email", "dpo_phone", "legal_representative",
                       "legal_representative_title")


def save_establishment(establishment: Establishment, values: dict[str, Any], *, by: User) -> list[str]:
    """Create or update an establishment (the admin form's values), recorded in the audit trail with the names of
    the fields that changed (flushed). Returns those names."""
    if establishment.id is None:
        db.session.add(establishment)
    before = {name: getattr(establishment, name, None) for name in values}
    for name, value in values.items():
        setattr(establishment, name, value)
    for name in ESTABLISHMENT_TEXTS:
        setattr(establishment, name, getattr(establishment, name) or "")
    db.session.flush()
    changed = [n for n, old in before.items() if old != getattr(establishment, n)]
    audit.record("establishment.save", user=by, obj=establishment, details={"fields": changed})
    return changed


def authenticate(email: str, password: str) -> tuple[User | None, str | None]:
    """Returns (user, None) on success, else (None, reason code): 'invalid' or 'locked'."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    now = utcnow()
    if user is None or not user.active:
        audit.record("login.failed", details={"email": email[:254]})
        return None, "invalid"
    if user.locked_until and user.locked_until > now:
        audit.record("login.locked", user=user, obj=user)
        return None, "locked"
    if not user.check_password(password):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
        audit.record("login.failed", user=user, obj=user)
        return None, "invalid"
    user.failed_logins = 0
    user.locked_until = None
    audit.record("login", user=user, obj=user)
    return user, None


# --- second factor (TOTP, RFC 6238) ------------------------------------------------------------------------------

def new_totp_secret() -> str:
    import pyotp

    return pyotp.random_base32()


def totp_uri(user: User, secret: str) -> str:
    import pyotp

    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name="notifier")


def qr_svg(data: str) -> str:
    import io

    import segno

    buffer = io.BytesIO()
    segno.make(data, error="m").save(buffer, kind="svg", scale=4, xmldecl=False, svgns=True)
    return buffer.getvalue().decode()


def enable_totp(user: User, secret: str, code: str) -> bool:
    import pyotp

    if not pyotp.TOTP(secret).verify(code.strip(), valid_window=1):
        return False
    user.totp_secret = secret
    audit.record("user.totp_enabled", user=user, obj=user)
    return True


def check_totp(user_id: int, code: str) -> User | None:
    import pyotp

    user = db.session.get(User, user_id)
    if user is None or not user.active or not user.totp_secret:
        return None
    if pyotp.TOTP(user.totp_secret).verify(code.strip(), valid_window=1):
        audit.record("login", user=user, obj=user, details={"second_factor": "totp"})
        return user
    audit.record("login.failed", user=user, obj=user, details={"second_factor": "totp"})
    return None
