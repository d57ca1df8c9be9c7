"""Accounts: creation with a password policy, and login with lock-out after repeated failures."""

import secrets
from datetime import timedelta

from sqlalchemy import func, select

from notifier.accounts.models import User
from notifier.accounts.organisations import Organisation
from notifier.accounts.roles import Role
from notifier.audit import services as audit
from notifier.core.i18n import N_, SOURCE_LANGUAGE, translate
from notifier.core.types import utcnow
from notifier.extensions import db

# OWASP ASVS 4.0 V2.1.1 / CNIL recommendation on passwords (délibération 2022-100): at least 12 characters
# when no other factor is imposed.
MIN_PASSWORD_LENGTH = 12
# ASVS V2.2.1: anti-automation. After this many consecutive failures the account waits LOCKOUT.
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)


class AccountError(ValueError):
    """An account change refused: ``message(lang)`` says why in the user's language (French in ``str()``)."""

    def __init__(self, message: str, **params: object):
        super().__init__(translate(message, SOURCE_LANGUAGE, **params))
        self.msgid = message
        self.params = params

    def message(self, lang: str) -> str:
        return translate(self.msgid, lang, **self.params)


class PasswordPolicyError(AccountError):
    pass


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordPolicyError(N_("le mot de passe doit compter au moins %(min)s caractères"),
                                  min=MIN_PASSWORD_LENGTH)
    if len(set(password)) < 5:
        raise PasswordPolicyError(N_("le mot de passe est trop répétitif"))


def generate_password() -> str:
    return secrets.token_urlsafe(15)


def add_user(email: str, role: str, password: str, *, organisation: Organisation, name: str = "",
             by: User | None = None) -> User:
    if role not in list(Role):
        raise AccountError(N_("rôle inconnu %(role)s (au choix\u00a0: %(roles)s)"),
                           role=repr(role), roles=", ".join(Role))
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise AccountError(N_("adresse électronique invalide"))
    if db.session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise AccountError(N_("le compte %(email)s existe déjà"), email=email)
    check_password_policy(password)
    user = User(email=email, role=role, name=name, organisation=organisation)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", user=by, obj=user, organisation_id=organisation.id,
                 details={"email": email, "role": role})
    db.session.commit()
    return user


def authenticate(email: str, password: str) -> tuple[User | None, str | None]:
    """Returns (user, None) on success, else (None, reason code): 'invalid' or 'locked'."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    now = utcnow()
    if user is None or not user.active:
        audit.record("login.failed", details={"email": email[:254]})
        db.session.commit()
        return None, "invalid"
    if user.locked_until and user.locked_until > now:
        audit.record("login.locked", user=user, obj=user)
        db.session.commit()
        return None, "locked"
    if not user.check_password(password):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
        audit.record("login.failed", user=user, obj=user)
        db.session.commit()
        return None, "invalid"
    user.failed_logins = 0
    user.locked_until = None
    audit.record("login", user=user, obj=user)
    db.session.commit()
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
    db.session.commit()
    return True


def check_totp(user_id: int, code: str) -> User | None:
    import pyotp

    user = db.session.get(User, user_id)
    if user is None or not user.active or not user.totp_secret:
        return None
    if pyotp.TOTP(user.totp_secret).verify(code.strip(), valid_window=1):
        audit.record("login", user=user, obj=user, details={"second_factor": "totp"})
        db.session.commit()
        return user
    audit.record("login.failed", user=user, obj=user, details={"second_factor": "totp"})
    db.session.commit()
    return None
