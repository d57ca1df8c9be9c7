"""notifier.core.mail, the one SMTP sender, against a real SMTP server (aiosmtpd) on 127.0.0.1."""

import contextlib
import socket
from email import message_from_bytes
from email.policy import default

import pytest

from notifier.core.mail import MailError, send_mail


class Recorder:
    """aiosmtpd handler: keeps every envelope and answers like Postfix, with a queue id."""

    def __init__(self) -> None:
        self.messages = []
        self.port = 0

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return f"250 2.0.0 Ok: queued as Q{len(self.messages):04d}"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@refused.test"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running_smtp_server(**options):
    from aiosmtpd.controller import Controller

    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    recorder.port = controller.port
    try:
        yield recorder
    finally:
        controller.stop()


@pytest.fixture
def server():
    with running_smtp_server() as recorder:
        yield recorder


def config(port: int, **extra) -> dict:
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port, "MAIL_FROM": "notifier@lilas.test", **extra}


def test_a_message_is_delivered_with_its_text_and_html_and_the_queue_id_returned(server):
    queue_id = send_mail(config(server.port), "dpo@lilas.test", "Violation VIO-2026-0001 : délai", "Texte é",
                         html="<p>Texte é</p>")
    assert queue_id == "Q0001"
    [envelope] = server.messages
    assert envelope.mail_from == "notifier@lilas.test" and envelope.rcpt_tos == ["dpo@lilas.test"]
    message = message_from_bytes(envelope.content, policy=default)
    assert message["Subject"] == "Violation VIO-2026-0001 : délai" and message["Message-ID"]
    assert message.get_body(("plain",)).get_content().strip() == "Texte é"
    assert message.get_body(("html",)).get_content().strip() == "<p>Texte é</p>"


def test_several_recipients_get_one_message(server):
    send_mail(config(server.port), ["a@lilas.test", "b@lilas.test"], "s", "t")
    assert server.messages[0].rcpt_tos == ["a@lilas.test", "b@lilas.test"]


def test_login_when_a_user_and_password_are_set():
    from aiosmtpd.smtp import AuthResult

    seen = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        seen.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret")

    with running_smtp_server(authenticator=authenticator, auth_require_tls=False) as recorder:
        assert send_mail(config(recorder.port, SMTP_USER="notifier", SMTP_PASSWORD="s3cret"), "x@lilas.test",
                         "s", "t") == "Q0001"
    assert seen == [(b"notifier", b"s3cret")]


def test_a_refused_recipient_is_an_error(server):
    with pytest.raises(MailError, match="nobody@refused.test"):
        send_mail(config(server.port), ["dpo@lilas.test", "nobody@refused.test"], "s", "t")


def test_no_server_configured_is_an_error_not_a_silent_drop():
    with pytest.raises(MailError, match="NOTIFIER_SMTP_HOST"):
        send_mail({"MAIL_FROM": "notifier@lilas.test"}, "dpo@lilas.test", "s", "t")
    with pytest.raises(MailError, match="NOTIFIER_MAIL_FROM"):
        send_mail({"SMTP_HOST": "127.0.0.1"}, "dpo@lilas.test", "s", "t")


def test_an_unreachable_server_is_a_one_line_error():
    with pytest.raises(MailError, match="mail not sent via 127.0.0.1") as error:
        send_mail(config(free_port()), "dpo@lilas.test", "s", "t")
    assert "\n" not in str(error.value)


def test_starttls_is_asked_for_when_set(server):
    # The test server offers no TLS: asking for it must fail rather than send in clear.
    with pytest.raises(MailError, match="STARTTLS|starttls"):
        send_mail(config(server.port, SMTP_STARTTLS="true"), "dpo@lilas.test", "s", "t")
    assert server.messages == []


def test_a_bulk_message_reads_back_like_the_email_package_s_own(server):
    from notifier.core.mail import MailSession, build_bulk_message

    text = "Madame,\n\nCe qui s'est passé : une attaque.\n" + "é" * 200
    raw = build_bulk_message(config(server.port), "zoe@example.fr", "Clinique des Lilas\u00a0: information (réf. X)",
                             text, "<p>Été</p>", message_id="<abc@lilas.test>", headers={"X-Notifier-Reference": "X"})
    assert all(len(line) <= 78 for line in raw.split(b"\r\n")) and b"\n" not in raw.replace(b"\r\n", b"")
    with MailSession(config(server.port)) as session:
        delivery = session.send(raw, "zoe@example.fr")
    assert delivery.accepted and delivery.queue_id == "Q0001"
    message = message_from_bytes(server.messages[0].content, policy=default)
    assert message["Subject"] == "Clinique des Lilas\u00a0: information (réf. X)"
    assert message["Message-ID"] == "<abc@lilas.test>" and message["Date"] and message["X-Notifier-Reference"] == "X"
    assert message.get_body(("plain",)).get_content().replace("\r\n", "\n") == text
    assert message.get_body(("html",)).get_content().strip() == "<p>Été</p>"
    assert not list(message.iter_attachments())


def test_a_session_reports_a_refused_recipient_as_an_answer_and_goes_on(server):
    from notifier.core.mail import MailSession, build_bulk_message

    with MailSession(config(server.port)) as session:
        refused = session.send(build_bulk_message(config(server.port), "x@refused.test", "s", "t", "h",
                                                  message_id="<1@l.test>"), "x@refused.test")
        accepted = session.send(build_bulk_message(config(server.port), "y@lilas.test", "s", "t", "h",
                                                   message_id="<2@l.test>"), "y@lilas.test")
    assert (refused.accepted, refused.code, refused.temporary) == (False, 550, False)
    assert "no such user" in refused.text and accepted.accepted


@pytest.mark.parametrize("subject", [
    "Centre hospitalier des Lilas\u00a0: information sur une violation de données personnelles (réf. "
    "VIO-2026-0001-0000001-K)",
    "é" * 120,  # two-byte characters across every encoded-word boundary
    "Hôpital 😷 " * 12,  # four-byte characters too
])
def test_a_long_non_ascii_subject_is_folded_into_encoded_words_that_read_back_exactly(subject):
    from notifier.core.mail import build_bulk_message

    raw = build_bulk_message(config(25), "zoe@example.fr", subject, "t", "<p>h</p>", message_id="<a@lilas.test>")
    assert all(len(line) <= 78 for line in raw.split(b"\r\n"))
    assert message_from_bytes(raw, policy=default)["Subject"] == subject
