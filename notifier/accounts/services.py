"""Accounts: creation with a password policy, login with a growing delay after repeated failures, the second
factor, sessions that end, and secrets kept server-side until shown."""

import hmac
import secrets
import time
import unicodedata
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select

from notifier.accounts.models import PendingSecret, User, check_dummy_password
from notifier.accounts.organisations import Establishment, Organisation
from notifier.accounts.roles import Role
from notifier.audit import services as audit
from notifier.core.i18n import N_, translate
from notifier.core.types import utcnow
from notifier.extensions import db

# OWASP ASVS 4.0 V2.1.1 / CNIL recommendation on passwords (délibération 2022-100): at least 12 characters
# when no other factor is imposed; ASVS V2.1.7 / NIST SP 800-63B 5.1.1.2: refuse passwords known from breaches
# (a list of the most common ones) and those derived from the context (the user's e-mail, the organisation).
MIN_PASSWORD_LENGTH = 12
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")
# ASVS V2.2.1 (anti-automation) without a lock-out anybody can trigger: after FREE_FAILURES failures in a row,
# the account refuses every attempt for 2^(n - FREE_FAILURES) seconds, at most MAX_DELAY; an admin can unlock.
FREE_FAILURES = 5
MAX_DELAY = timedelta(minutes=15)
# RFC 6238 section 5.2: one time step of tolerance either side for clock drift.
TOTP_STEP_SECONDS = 30
TOTP_DRIFT_STEPS = 1
PENDING_SECRET_LIFETIME = timedelta(minutes=15)


class AccountError(ValueError):
    """A refusal with a French message (the source language) translated where it is shown."""

    def __init__(self, message: str, **params):
        self.template, self.params = message, params
        super().__init__(translate(message, "fr", **params))

    def message(self, lang: str) -> str:
        return translate(self.template, lang, **self.params)


class PasswordPolicyError(AccountError):
    pass


# --- password policy --------------------------------------------------------------------------------------------

@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})


def _looks_common(password: str) -> bool:
    """The password, or its core once the digits and symbols around it are taken off and the usual letter
    substitutions undone ("P@ssw0rd2026!" -> "password"), or a word repeated ("azertyazerty"), is a common one."""
    listed = common_passwords()
    lowered = password.lower()
    core = lowered.strip("0123456789 !?.,;:-_*#+=/\\'\"()[]{}&%~^`|<>")
    candidates = {lowered, core, core.translate(_LEET), lowered.translate(_LEET)}
    for text in list(candidates):
        for times in (2, 3, 4):
            if text and len(text) % times == 0 and text == text[: len(text) // times] * times:
                candidates.add(text[: len(text) // times])
    if any(len(text) >= 4 and text in listed for text in candidates):
        return True
    # A common password with only digits or symbols added before or after it ("123456789" + "012").
    for text in (lowered, lowered.translate(_LEET)):
        for length in range(len(text) - 1, 5, -1):
            head, tail = text[:length], text[length:]
            if head in listed and not any(c.isalpha() for c in tail):
                return True
            head, tail = text[:-length], text[-length:]
            if tail in listed and not any(c.isalpha() for c in head):
                return True
    return False


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if c.isalnum())


def check_password_policy(password: str, *, email: str = "", organisation_name: str = "") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordPolicyError(N_("Le mot de passe doit compter au moins %(count)s caractères."),
                                  count=MIN_PASSWORD_LENGTH)
    if len(set(password)) < 5:
        raise PasswordPolicyError(N_("Le mot de passe est trop répétitif."))
    if _looks_common(password):
        raise PasswordPolicyError(N_("Ce mot de passe figure parmi les plus courants (ou en dérive) : "
                                     "choisissez-en un autre."))
    folded = _fold(password)
    local_part = _fold(email.split("@")[0]) if email else ""
    if len(local_part) >= 3 and local_part in folded:
        raise PasswordPolicyError(N_("Le mot de passe ne doit pas contenir votre identifiant de courriel."))
    organisation = _fold(organisation_name)
    if len(organisation) >= 3 and organisation in folded:
        raise PasswordPolicyError(N_("Le mot de passe ne doit pas contenir le nom de l'organisation."))


def generate_password(email: str = "", organisation_name: str = "") -> str:
    """20 random URL-safe characters, drawn again in the rare case one contains the user's name or the like."""
    while True:
        password = secrets.token_urlsafe(15)
        try:
            check_password_policy(password, email=email, organisation_name=organisation_name)
        except PasswordPolicyError:
            continue
        return password


# --- accounts ---------------------------------------------------------------------------------------------------

def add_user(email: str, role: str, password: str, *, organisation: Organisation, name: str = "",
             by: User | None = None, must_change_password: bool = False) -> User:
    if role not in list(Role):
        raise AccountError(N_("Rôle inconnu %(role)s (un parmi %(roles)s)."), role=repr(role), roles=", ".join(Role))
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise AccountError(N_("Adresse de courriel invalide."))
    existing = db.session.scalar(select(User).where(User.email == email))
    if existing is not None:
        if existing.organisation_id == organisation.id:
            raise AccountError(N_("Un compte %(email)s existe déjà dans votre organisation."), email=email)
        # Logins are by e-mail alone, so an address is unique across organisations; the refusal must not tell
        # another organisation's admin that the address has an account elsewhere (docs/security.md, point 11).
        audit.record("user.create_refused", user=by, organisation_id=organisation.id,
                     details={"reason": "email_unavailable"})
        db.session.commit()
        raise AccountError(N_("Cette adresse de courriel ne peut pas être utilisée pour un nouveau compte : "
                              "vérifiez-la ou choisissez-en une autre."))
    check_password_policy(password, email=email, organisation_name=organisation.name)
    user = User(email=email, role=role, name=name, organisation=organisation,
                must_change_password=must_change_password)
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


def change_password(user: User, current: str, new: str) -> None:
    """The user's own change: the current password proves it is them; every other session of theirs ends."""
    if not user.check_password(current):
        raise AccountError(N_("Mot de passe actuel incorrect."))
    if hmac.compare_digest(current.encode(), new.encode()):
        raise PasswordPolicyError(N_("Le nouveau mot de passe doit être différent de l'actuel."))
    check_password_policy(new, email=user.email, organisation_name=user.organisation.name)
    user.set_password(new)
    user.must_change_password = False
    audit.record("user.password_changed", user=user, obj=user)


def reset_password(user: User, by: User | None = None) -> str:
    """A new generated password (to hand over once), to change at first login; unlocks; ends every session."""
    password = generate_password(user.email, user.organisation.name)
    user.set_password(password)
    user.must_change_password = True
    _clear_delays(user)
    audit.record("user.password_reset", user=by, obj=user, organisation_id=user.organisation_id)
    return password


def unlock(user: User, by: User | None = None) -> None:
    """An admin lifts the delay after failed passwords or codes, whatever it is (always possible)."""
    _clear_delays(user)
    audit.record("user.unlock", user=by, obj=user, organisation_id=user.organisation_id)


def set_language(user: User, code: str) -> None:
    """The language the user chose (fr, en), kept for what reaches them outside a page: the reminder e-mails."""
    if code in ("fr", "en") and user.language != code:
        user.language = code
        db.session.flush()


def logout(user: User) -> None:
    """Logging out ends every session of the account, not only this browser's cookie."""
    user.end_sessions()
    audit.record("logout", user=user, obj=user)


def _clear_delays(user: User) -> None:
    user.failed_logins, user.locked_until = 0, None
    user.failed_totp, user.totp_locked_until = 0, None


def failure_delay(failures: int) -> timedelta:
    """No delay for the first FREE_FAILURES failures, then 1 s, 2 s, 4 s... up to MAX_DELAY."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(failures - FREE_FAILURES, 20)), MAX_DELAY)


def _is_waiting(until: datetime | None, now: datetime) -> bool:
    return until is not None and until > now


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


# --- login ------------------------------------------------------------------------------------------------------

def authenticate(email: str, password: str, *, now: datetime | None = None) -> User | None:
    """The account when the password is right and no delay runs, else None. Every refusal costs one argon2
    verification and says nothing of why (unknown e-mail, inactive account, delay or wrong password)."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    now = now or utcnow()
    if user is None or not user.active:
        check_dummy_password(password)
        audit.record("login.failed", details={"email": email[:254]})
        db.session.commit()
        return None
    if _is_waiting(user.locked_until, now):
        check_dummy_password(password)  # the password is not tried during the delay, but costs the same time
        audit.record("login.delayed", user=user, obj=user)
        db.session.commit()
        return None
    if not user.check_password(password):
        user.failed_logins += 1
        delay = failure_delay(user.failed_logins)
        user.locked_until = now + delay if delay else None
        audit.record("login.failed", user=user, obj=user)
        db.session.commit()
        return None
    user.failed_logins, user.locked_until = 0, None
    audit.record("login", user=user, obj=user)
    db.session.commit()
    return user


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


def matching_step(secret: str, code: str, at: float | None = None) -> int | None:
    """The time step whose code is ``code`` (within the tolerated drift), or None."""
    import pyotp

    totp = pyotp.TOTP(secret, interval=TOTP_STEP_SECONDS)
    code = (code or "").strip()
    current = int((time.time() if at is None else at) // TOTP_STEP_SECONDS)
    found = None
    for step in range(current - TOTP_DRIFT_STEPS, current + TOTP_DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step).encode(), code.encode()):
            found = step
    return found


def _accept_code(user: User, secret: str, code: str, now: datetime, at: float | None) -> bool:
    """Count and delay wrong codes like wrong passwords; accept a step only once (no replay within its window)."""
    if _is_waiting(user.totp_locked_until, now):
        return False
    step = matching_step(secret, code, at)
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        user.failed_totp += 1
        delay = failure_delay(user.failed_totp)
        user.totp_locked_until = now + delay if delay else None
        return False
    user.totp_last_step = step
    user.failed_totp, user.totp_locked_until = 0, None
    return True


def enable_totp(user: User, secret: str, code: str, *, password: str = "", current_code: str = "",
                at: float | None = None) -> str | None:
    """Set (or replace) the second factor. None when done, else the French reason. Replacing an existing secret
    asks for the password and a code of the current secret: a session left open must not be enough to take over
    the second factor."""
    now = utcnow()
    if user.totp_secret:
        # The code is tried only with the right password, so that a wrong password does not spend it.
        if not (user.check_password(password) and _accept_code(user, user.totp_secret, current_code, now, at)):
            audit.record("user.totp_change_refused", user=user, obj=user)
            db.session.commit()
            return N_("Mot de passe ou code actuel incorrect : la double authentification n'a pas été changée.")
    if matching_step(secret, code, at) is None:
        db.session.commit()
        return N_("Code incorrect : scannez de nouveau le code et réessayez.")
    replaced = bool(user.totp_secret)
    user.totp_secret = secret
    # The new secret's steps are unrelated to the old one's, but a code of the new one shown here is spent.
    user.totp_last_step = matching_step(secret, code, at)
    audit.record("user.totp_changed" if replaced else "user.totp_enabled", user=user, obj=user)
    db.session.commit()
    return None


def check_totp(user_id: int, code: str, *, at: float | None = None) -> User | None:
    user = db.session.get(User, user_id)
    if user is None or not user.active or not user.totp_secret:
        return None
    if _accept_code(user, user.totp_secret, code, utcnow(), at):
        audit.record("login", user=user, obj=user, details={"second_factor": "totp"})
        return user
    audit.record("login.failed", user=user, obj=user, details={"second_factor": "totp"})
    return None


# --- secrets kept server-side -----------------------------------------------------------------------------------

def keep_secret(user: User, purpose: str, value: str, details: str = "") -> str:
    """Store a secret for ``user`` (who will see or use it); returns the random id to put in the session."""
    now = utcnow()
    db.session.execute(delete(PendingSecret).where(PendingSecret.expires_at < now))
    key = secrets.token_urlsafe(32)
    db.session.add(PendingSecret(id=key, user_id=user.id, purpose=purpose, value=value, details=details,
                                 expires_at=now + PENDING_SECRET_LIFETIME))
    db.session.commit()
    return key


def read_secret(key: str | None, user: User, purpose: str, *, consume: bool) -> PendingSecret | None:
    """The secret behind ``key`` if it is ``user``'s, for ``purpose`` and not expired; deleted when consumed."""
    if not key or not isinstance(key, str):
        return None
    row = db.session.get(PendingSecret, key)
    if row is None or row.user_id != user.id or row.purpose != purpose or row.expires_at < utcnow():
        return None
    if consume:
        db.session.delete(row)
        db.session.commit()
    return row


def forget_secret(key: str | None) -> None:
    if key and isinstance(key, str):
        db.session.execute(delete(PendingSecret).where(PendingSecret.id == key))
        db.session.commit()
