"""Signed checkpoints of the audit trail: written every N entries and with every document issued, printed in the
PDFs' footers, sent off the machine (syslog, e-mail); the keys live outside the database; an instance upgraded
from the unkeyed chain is re-chained once, on purpose."""

import base64
import json
import re
import socket
import stat
from pathlib import Path

import pytest

from notifier import create_app
from notifier.audit import checkpoints, keys
from notifier.audit import services as audit
from notifier.audit.models import AuditEntry
from notifier.extensions import db


def lines(app) -> list[dict]:
    path = Path(app.config["AUDIT_CHECKPOINT_FILE"])
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def cli(app, *args):
    result = app.test_cli_runner(env={"NOTIFIER_LANG": "en"}).invoke(args=list(args))
    return result.exit_code, result.output


def test_a_checkpoint_is_written_every_n_entries_once_committed(app, dpo):
    app.config["AUDIT_CHECKPOINT_EVERY"] = 3
    start = db.session.query(AuditEntry).count()
    for _ in range(7 - start):
        audit.record("test.action", user=dpo)
        db.session.commit()
    audit.record("test.rolled_back", user=dpo)  # entry 8, then 9 (a multiple), rolled back: no checkpoint
    audit.record("test.rolled_back", user=dpo)
    db.session.rollback()
    assert [(c["seq"], c["entries"], c["reason"]) for c in lines(app)] == [(1, 3, "every"), (2, 6, "every")]


def test_the_checkpoint_command_signs_the_head_and_prints_the_line(app, dpo):
    audit.record("test.action", user=dpo)
    db.session.commit()
    status, output = cli(app, "audit", "checkpoint")
    printed = json.loads(output)
    head = db.session.query(AuditEntry).order_by(AuditEntry.id.desc()).first()
    assert status == 0 and printed == lines(app)[-1]
    assert (printed["entries"], printed["head_id"], printed["head_hash"]) == (2, head.id, head.entry_hash)
    public = keys.load_public_key(Path(app.config["AUDIT_SIGNING_KEY"] + ".pub"))
    unsigned = {name: value for name, value in printed.items() if name != "signature"}
    public.verify(base64.b64decode(printed["signature"]), checkpoints.canonical(unsigned))  # raises if not


def test_a_checkpoint_never_vouches_for_an_uncommitted_entry(app, dpo):
    audit.record("test.action", user=dpo)
    db.session.commit()
    audit.record("test.pending", user=dpo)  # not committed yet
    checkpoint = checkpoints.write("document")
    db.session.rollback()
    assert checkpoint.entries == 2
    assert audit.verify().intact


def test_keys_are_generated_once_outside_the_database_readable_by_the_owner_only(tmp_path, monkeypatch):
    monkeypatch.setenv("NOTIFIER_INSTANCE_PATH", str(tmp_path / "instance"))
    url = f"sqlite:///{tmp_path / 'keys.db'}"
    config = {"TESTING": True, "DATABASE_URL": url, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"}
    app = create_app(config)
    chain_key = tmp_path / "instance" / "audit_key"
    assert stat.S_IMODE(chain_key.stat().st_mode) == 0o600
    assert app.config["AUDIT_KEY"] == chain_key.read_text() and len(app.config["AUDIT_KEY"]) == 64
    assert app.config["AUDIT_CHECKPOINT_FILE"] == str(tmp_path / "instance" / "audit-checkpoints.jsonl")
    with app.app_context():
        keys.signing_key()
    private = tmp_path / "instance" / "audit_signing_key"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert b"BEGIN PUBLIC KEY" in (tmp_path / "instance" / "audit_signing_key.pub").read_bytes()
    again = create_app(config)
    assert again.config["AUDIT_KEY"] == app.config["AUDIT_KEY"]
    with again.app_context():
        assert keys.key_id(keys.signing_key().public_key()) == keys.key_id(
            keys.load_public_key(tmp_path / "instance" / "audit_signing_key.pub"))


def test_a_chain_key_from_the_environment_is_used_as_given(tmp_path, monkeypatch):
    monkeypatch.setenv("NOTIFIER_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("NOTIFIER_AUDIT_KEY", "123456")  # digits only: from_prefixed_env would make it a number
    url = f"sqlite:///{tmp_path / 'keys.db'}"
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"})
    assert app.config["AUDIT_KEY"] == "123456"
    assert not (tmp_path / "instance" / "audit_key").exists()


def test_a_retired_public_key_beside_the_current_one_still_verifies_old_checkpoints(app, dpo):
    app.config["AUDIT_CHECKPOINT_EVERY"] = 2
    audit.record("test.action", user=dpo)
    db.session.commit()  # entry 2: checkpoint #1, signed with the first key
    private = Path(app.config["AUDIT_SIGNING_KEY"])
    public = Path(app.config["AUDIT_SIGNING_KEY"] + ".pub")
    public.rename(private.with_name(private.name + ".2026-12-01.pub"))  # rotation, as docs/security.md says
    private.unlink()
    for _ in range(2):
        audit.record("test.action", user=dpo)
        db.session.commit()  # entry 4: checkpoint #2, signed with the new key
    assert len({c["key"] for c in lines(app)}) == 2
    assert cli(app, "audit", "verify") == (0, "audit trail intact: 4 entries\n")


def test_checkpoints_go_to_syslog_when_configured(app, dpo):
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(10)
    try:
        app.config["AUDIT_SYSLOG"] = f"127.0.0.1:{receiver.getsockname()[1]}"
        status, output = cli(app, "audit", "checkpoint")
        datagram = receiver.recv(65536).decode("utf-8")
    finally:
        receiver.close()
    assert status == 0 and "notifier audit checkpoint " + output.strip() in datagram


def test_checkpoints_go_by_e_mail_when_configured(app, dpo, smtp_server):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port, MAIL_FROM="notifier@lilas.test",
                      AUDIT_CHECKPOINT_MAILTO="dpo@lilas.test, archive@elsewhere.test")
    status, output = cli(app, "audit", "checkpoint")
    assert status == 0
    [envelope] = smtp_server.messages
    assert envelope.rcpt_tos == ["dpo@lilas.test", "archive@elsewhere.test"]
    from email import message_from_bytes
    from email.policy import default

    message = message_from_bytes(envelope.content, policy=default)
    body = message.get_body(("plain",)).get_content()
    assert output.strip() in body.splitlines() and "point de contrôle" in message["Subject"]


def test_an_unreachable_mail_server_does_not_stop_the_checkpoint(app, dpo, caplog):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=1, MAIL_FROM="notifier@lilas.test",
                      AUDIT_CHECKPOINT_MAILTO="dpo@lilas.test")
    status, _ = cli(app, "audit", "checkpoint")
    assert status == 0 and len(lines(app)) == 1
    assert "not sent by e-mail" in caplog.text


def pdf_text(data: bytes) -> str:
    import io

    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def test_the_register_pdf_prints_the_signed_checkpoint_in_its_footer(app, breach):
    from notifier.register import services as register

    data = register.export("pdf", breach.organisation_id, register.Filters(), lang="fr")
    checkpoint = lines(app)[-1]
    assert checkpoint["reason"] == "document"
    footer = (f"Journal d'audit\u00a0: n° {checkpoint['entries']}, empreinte {checkpoint['head_hash'][:4]}…"
              f"{checkpoint['head_hash'][-4:]}, point de contrôle signé")
    assert footer.replace("\u00a0", " ") in pdf_text(data).replace("\u00a0", " ")


def test_the_audit_trail_pdf_in_english_context_prints_the_footer_too(app, breach):
    from notifier.audit import export

    text = pdf_text(export.export("pdf", organisation_id=breach.organisation_id))
    assert re.search(r"Journal d'audit\s*: n° \d+, empreinte [0-9a-f]{4}…[0-9a-f]{4}, point de contrôle signé", text)


def test_every_export_writes_a_checkpoint(app, breach):
    from notifier.audit import export
    from notifier.register import services as register

    register.export("csv", breach.organisation_id, register.Filters())
    export.export("csv", organisation_id=breach.organisation_id)
    assert [c["reason"] for c in lines(app)] == ["document", "document"]


def legacy_trail(dpo, count: int = 5) -> None:
    """The trail as the versions before the keyed chain wrote it: unkeyed SHA-256, no checkpoints."""
    for _ in range(count):
        audit.record("test.action", user=dpo, details={"é": 1})
        db.session.commit()
    previous = audit.GENESIS
    for entry in db.session.query(AuditEntry).order_by(AuditEntry.id):
        entry.previous_hash = previous
        entry.entry_hash = previous = audit.legacy_digest(entry)
    db.session.commit()


def test_an_upgraded_instance_is_told_to_rechain_then_rechains_once_on_purpose(app, dpo):
    legacy_trail(dpo)
    audit.record("test.after_upgrade", user=dpo)  # the new version writes keyed entries onto the old chain
    db.session.commit()
    status, output = cli(app, "audit", "verify")
    assert status == 1 and "entry 1:" in output and "rechain --i-understand" in output
    status, output = cli(app, "audit", "rechain")
    assert status == 2 and "--i-understand" in output
    status, output = cli(app, "audit", "rechain", "--i-understand")
    # 6 legacy entries and the keyed one after them, whose link changes with them; then the rechain entry
    assert status == 0 and "7 entries re-hashed" in output
    assert cli(app, "audit", "verify") == (0, "audit trail intact: 8 entries\n")
    last = db.session.query(AuditEntry).order_by(AuditEntry.id.desc()).first()
    assert last.action == "audit.rechain" and last.details["entries"] == 7
    assert lines(app)[-1]["reason"] == "rechain" and lines(app)[-1]["entries"] == 8
    status, output = cli(app, "audit", "rechain", "--i-understand")
    assert status == 1 and "nothing to re-chain" in output


def test_rechain_refuses_a_legacy_trail_that_was_already_tampered_with(app, dpo):
    legacy_trail(dpo)
    db.session.query(AuditEntry).filter_by(id=3).update({"action": "nothing.happened"})
    db.session.commit()
    status, output = cli(app, "audit", "rechain", "--i-understand")
    assert status == 1 and "entry 3 is not intact" in output
    assert db.session.query(AuditEntry).count() == 6  # the account's creation and 5 actions: nothing written


def test_rechain_after_a_rotation_of_the_chain_key(app, dpo, tmp_path):
    for _ in range(3):
        audit.record("test.action", user=dpo)
        db.session.commit()
    old_key = tmp_path / "old-audit-key"
    old_key.write_text(app.config["AUDIT_KEY"])
    app.config["AUDIT_KEY"] = "a brand new chain key"
    assert cli(app, "audit", "verify")[0] == 1
    status, output = cli(app, "audit", "rechain", "--i-understand", "--old-key-file", str(old_key))
    assert status == 0, output
    assert cli(app, "audit", "verify") == (0, "audit trail intact: 5 entries\n")


@pytest.fixture
def smtp_server():
    from tests.core.test_mail import running_smtp_server

    with running_smtp_server() as server:
        yield server


def test_a_cut_checkpoint_file_does_not_stop_a_document_but_its_footer_and_verify_say_so(app, breach, caplog):
    from notifier.register import services as register

    register.export("csv", breach.organisation_id, register.Filters())
    path = Path(app.config["AUDIT_CHECKPOINT_FILE"])
    path.write_bytes(path.read_bytes()[:-20])  # the last line cut
    data = register.export("pdf", breach.organisation_id, register.Filters(), lang="fr")
    assert "point de contrôle non écrit" in pdf_text(data)
    assert "audit checkpoint (document) not written" in caplog.text
    status, output = cli(app, "audit", "verify")
    assert status == 1 and "checkpoint file line 1: last line cut" in output
