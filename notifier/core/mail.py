"""The project's one SMTP sender (Python's smtplib and email.message.EmailMessage).

Settings (``NOTIFIER_`` prefix in the environment): ``SMTP_HOST`` (no host: no mail), ``SMTP_PORT`` (25),
``SMTP_USER`` and ``SMTP_PASSWORD`` (login when both are set), ``SMTP_STARTTLS`` (upgrade the connection before
logging in), ``MAIL_FROM`` (the sender address). Never put patients' data in a message: the server and its queue
are outside the application's control.
"""

import re
import smtplib
from collections.abc import Iterable, Mapping
from email.message import EmailMessage
from email.utils import make_msgid

TIMEOUT_SECONDS = 20
_QUEUE_ID = re.compile(rb"queued as ([^\s]+)", re.IGNORECASE)


class MailError(RuntimeError):
    """The message was not accepted: no server configured, server unreachable, login or recipient refused."""


class _SMTP(smtplib.SMTP):
    """smtplib drops the server's answer to DATA, which carries the queue id ("250 2.0.0 Ok: queued as 4Xy…")."""

    data_response = b""

    def data(self, msg):
        code, response = super().data(msg)
        self.data_response = response
        return code, response


def _flag(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def build_message(config: Mapping, to: str | Iterable[str], subject: str, text: str,
                  html: str | None = None) -> EmailMessage:
    sender = config.get("MAIL_FROM")
    if not sender:
        raise MailError("NOTIFIER_MAIL_FROM is not set")
    recipients = [to] if isinstance(to, str) else list(to)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def send_mail(config: Mapping, to: str | Iterable[str], subject: str, text: str, html: str | None = None) -> str | None:
    """Send one message (plain text, with an HTML alternative if given) through the configured server.

    Returns the server's queue id when its answer names one (Postfix, Exim, aiosmtpd...), else None; raises
    MailError, with a one-line reason, when the message was not accepted for every recipient."""
    host = config.get("SMTP_HOST")
    if not host:
        raise MailError("NOTIFIER_SMTP_HOST is not set")
    message = build_message(config, to, subject, text, html)
    try:
        with _SMTP(host, int(config.get("SMTP_PORT") or 25), timeout=TIMEOUT_SECONDS) as smtp:
            if _flag(config.get("SMTP_STARTTLS")):
                smtp.starttls()
            if config.get("SMTP_USER") and config.get("SMTP_PASSWORD"):
                smtp.login(str(config["SMTP_USER"]), str(config["SMTP_PASSWORD"]))
            refused = smtp.send_message(message)
            response = smtp.data_response
    except (smtplib.SMTPException, OSError) as error:
        raise MailError(f"mail not sent via {host}: {type(error).__name__}: {str(error).splitlines()[0][:200]}"
                        if str(error) else f"mail not sent via {host}: {type(error).__name__}") from error
    if refused:
        raise MailError(f"mail refused for {', '.join(sorted(refused))}")
    match = _QUEUE_ID.search(response)
    return match.group(1).decode("ascii", "replace") if match else None
