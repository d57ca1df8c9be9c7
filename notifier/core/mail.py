"""The project's one SMTP sender (Python's smtplib and email.message.EmailMessage).

Settings (``NOTIFIER_`` prefix in the environment): ``SMTP_HOST`` (no host: no mail), ``SMTP_PORT`` (25),
``SMTP_USER`` and ``SMTP_PASSWORD`` (login when both are set), ``SMTP_STARTTLS`` (upgrade the connection before
logging in), ``MAIL_FROM`` (the sender address). Never put patients' data in a message: the server and its queue
are outside the application's control.
"""

import base64
import re
import secrets
import smtplib
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.header import Header
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

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
                  html: str | None = None, *, message_id: str | None = None,
                  headers: Mapping[str, str] | None = None) -> EmailMessage:
    sender = config.get("MAIL_FROM")
    if not sender:
        raise MailError("NOTIFIER_MAIL_FROM is not set")
    recipients = [to] if isinstance(to, str) else list(to)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Message-ID"] = message_id or new_message_id(config)
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def _base64_lines(text: str) -> bytes:
    encoded = base64.b64encode(text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8"))
    return b"\r\n".join(encoded[i:i + 76] for i in range(0, len(encoded), 76))


def _header_value(name: str, value: str) -> str:
    if value.isascii() and "\n" not in value and len(name) + len(value) < 76:
        return value
    if "\n" not in value and "\r" not in value:
        return _encoded_words(value)
    return Header(value, "utf-8", header_name=name).encode(linesep="\r\n")


_WORD_BYTES = 39  # 52 base64 characters: "=?utf-8?b?...?=" is 64, a folded line stays under 78 (RFC 5322 2.1.1)


def _encoded_words(value: str) -> str:
    """RFC 2047 base64 encoded-words, one per folded line, never splitting a character (RFC 2047 5(3)): what
    email.header.Header does, without its search for the shortest encoding (1.7 ms per subject)."""
    words, chunk, size = [], [], 0
    for char in value:
        width = len(char.encode("utf-8"))
        if size + width > _WORD_BYTES:
            words.append("".join(chunk))
            chunk, size = [], 0
        chunk.append(char)
        size += width
    words.append("".join(chunk))
    return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(word.encode('utf-8')).decode('ascii')}?=" for word in words)


def build_bulk_message(config: Mapping, to: str, subject: str, text: str, html: str, *, message_id: str,
                       headers: Mapping[str, str] | None = None) -> bytes:
    """The same message as `build_message` (text with an HTML alternative, UTF-8, base64 parts, a Date), written
    directly as bytes with CRLF line ends: the email package's generator costs about 10 ms per message, which caps
    a bulk sending of 750,000 patients at a few dozen per second. The recipient is one ASCII address."""
    sender = config.get("MAIL_FROM")
    if not sender:
        raise MailError("NOTIFIER_MAIL_FROM is not set")
    if not to.isascii() or any(char in to for char in "\r\n<>,"):
        raise MailError("a bulk message goes to one plain ASCII address")
    boundary = f"=_notifier_{secrets.token_hex(12)}"
    lines = [f"From: {sender}", f"To: {to}", f"Subject: {_header_value('Subject', subject)}",
             f"Message-ID: {message_id}", f"Date: {formatdate(usegmt=True)}", "MIME-Version: 1.0"]
    lines += [f"{name}: {_header_value(name, value)}" for name, value in (headers or {}).items()]
    lines += ["Content-Type: multipart/alternative;", f' boundary="{boundary}"', "", f"--{boundary}",
              'Content-Type: text/plain; charset="utf-8"', "Content-Transfer-Encoding: base64", ""]
    head = "\r\n".join(lines).encode("ascii") + b"\r\n"
    middle = (f"\r\n--{boundary}\r\nContent-Type: text/html; charset=\"utf-8\"\r\n"
              "Content-Transfer-Encoding: base64\r\n\r\n").encode("ascii")
    return head + _base64_lines(text) + middle + _base64_lines(html) + f"\r\n--{boundary}--\r\n".encode("ascii")


def new_message_id(config: Mapping) -> str:
    """A fresh Message-ID in the sender's domain (RFC 5322 3.6.4: unique, kept by every re-sending)."""
    sender = config.get("MAIL_FROM") or ""
    return make_msgid(domain=sender.rpartition("@")[2] or None)


def _connect(config: Mapping) -> _SMTP:
    host = config.get("SMTP_HOST")
    if not host:
        raise MailError("NOTIFIER_SMTP_HOST is not set")
    smtp = _SMTP(host, int(config.get("SMTP_PORT") or 25), timeout=TIMEOUT_SECONDS)
    try:
        smtp.ehlo_or_helo_if_needed()
        if _flag(config.get("SMTP_STARTTLS")):
            smtp.starttls()
            smtp.ehlo()
        if config.get("SMTP_USER") and config.get("SMTP_PASSWORD"):
            smtp.login(str(config["SMTP_USER"]), str(config["SMTP_PASSWORD"]))
    except BaseException:
        smtp.close()
        raise
    return smtp


def _one_line(error: BaseException) -> str:
    text = str(error).splitlines()[0][:200] if str(error) else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


@dataclass(frozen=True)
class Delivery:
    """The relay's answer to one message of a MailSession. accepted: 250 to DATA (``queue_id`` when the answer
    names one). Otherwise ``code`` and ``text`` are the refusal (MAIL FROM, RCPT TO or DATA); ``temporary`` for a
    4xx answer (RFC 5321 4.2.1: try again later), else the refusal is permanent (5xx)."""

    accepted: bool
    queue_id: str | None = None
    code: int | None = None
    text: str = ""

    @property
    def temporary(self) -> bool:
        return not self.accepted and self.code is not None and 400 <= self.code < 500


class MailSession:
    """Many messages over one connection to the relay (bulk sending: one TCP and TLS handshake, one login), with a
    rate limit of `rate` messages per second (None: none). Each ``send`` returns the relay's answer for that message
    (a refused recipient is an answer, not an error); a lost connection raises MailError. Reconnects every
    `messages_per_connection` messages (relays cap the messages of one session: Postfix smtpd_recipient_limit...)."""

    def __init__(self, config: Mapping, *, rate: float | None = None, messages_per_connection: int = 500) -> None:
        self.config = config
        self.interval = 1.0 / rate if rate and rate > 0 else 0.0
        self.messages_per_connection = messages_per_connection
        self._smtp: _SMTP | None = None
        self._sent_on_connection = 0
        self._next_at = 0.0

    def __enter__(self) -> "MailSession":
        if not self.config.get("MAIL_FROM"):
            raise MailError("NOTIFIER_MAIL_FROM is not set")
        self._open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _open(self) -> None:
        try:
            self._smtp = _connect(self.config)
        except (smtplib.SMTPException, OSError) as error:
            raise MailError(f"mail not sent via {self.config.get('SMTP_HOST')}: {_one_line(error)}") from error
        self._sent_on_connection = 0

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None

    def _wait_for_rate(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        if now < self._next_at:
            time.sleep(self._next_at - now)
            now = self._next_at
        self._next_at = max(now, self._next_at) + self.interval

    def send(self, message: EmailMessage | bytes, to: str) -> Delivery:
        """One message (an EmailMessage, or the bytes of `build_bulk_message`) to one recipient: MAIL FROM,
        RCPT TO, DATA."""
        if self._smtp is None or self._sent_on_connection >= self.messages_per_connection:
            self.close()
            self._open()
        self._wait_for_rate()
        smtp = self._smtp
        sender = str(self.config["MAIL_FROM"])
        try:
            code, answer = smtp.mail(sender)
            if code != 250:  # the sender refused: the session's fault, not this recipient's
                raise smtplib.SMTPSenderRefused(code, answer, sender)
            code, answer = smtp.rcpt(to)
            if code not in (250, 251):
                smtp.rset()
                return Delivery(False, code=code, text=answer.decode("utf-8", "replace")[:500])
            raw = message if isinstance(message, bytes) else message.as_bytes(
                policy=message.policy.clone(linesep="\r\n"))
            code, answer = smtp.data(raw)
        except smtplib.SMTPDataError as error:
            return Delivery(False, code=error.smtp_code, text=_decode(error.smtp_error))
        except (smtplib.SMTPException, OSError) as error:
            self._smtp = None
            smtp.close()
            raise MailError(f"mail not sent via {self.config.get('SMTP_HOST')}: {_one_line(error)}") from error
        self._sent_on_connection += 1
        if code != 250:
            return Delivery(False, code=code, text=answer.decode("utf-8", "replace")[:500])
        match = _QUEUE_ID.search(answer)
        return Delivery(True, queue_id=match.group(1).decode("ascii", "replace")[:100] if match else None,
                        code=code, text=answer.decode("utf-8", "replace")[:500])


def _decode(value) -> str:
    return (value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value))[:500]


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
