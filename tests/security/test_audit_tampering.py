"""Someone who can write to the database (and even to the checkpoint file) cannot shorten or rewrite the audit trail
without `notifier audit verify` saying so: exit 1, naming the first bad entry (issue 12, point 2).

Each test builds a trail of 12 entries with a checkpoint every 5 (so the checkpoint file holds #1 at 5 entries and
#2 at 10), tampers with it the way an attacker would, and runs the command."""

import base64
import json

import pytest
from sqlalchemy import text

from notifier.accounts.organisations import Organisation
from notifier.audit import services as audit
from notifier.audit.models import AuditEntry
from notifier.extensions import db

ENTRIES = 12


@pytest.fixture
def trail(app, dpo):
    """A 12-entry trail written by the application, checkpointed every 5 entries."""
    app.config["AUDIT_CHECKPOINT_EVERY"] = 5
    already = db.session.query(AuditEntry).count()  # the DPO's account creation
    for number in range(already + 1, ENTRIES + 1):
        audit.record("test.action", user=dpo, details={"n": number, "note": "é"})
        db.session.commit()
    assert db.session.query(AuditEntry).count() == ENTRIES
    return app


def verify(app, *args):
    result = app.test_cli_runner(env={"NOTIFIER_LANG": "en"}).invoke(args=["audit", "verify", *args])
    return result.exit_code, result.output


def checkpoint_lines(app) -> list[str]:
    with open(app.config["AUDIT_CHECKPOINT_FILE"], encoding="utf-8") as handle:
        return handle.read().splitlines()


def write_checkpoint_lines(app, lines: list[str], *, final_newline: bool = True) -> None:
    with open(app.config["AUDIT_CHECKPOINT_FILE"], "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + ("\n" if final_newline else ""))


def sql(statement: str, **params) -> None:
    db.session.execute(text(statement), params)
    db.session.commit()


def rewrite_chain_from(first_id: int, digest) -> None:
    """What an attacker does after an edit: recompute every later hash and link with `digest`."""
    previous = audit.GENESIS
    for entry in db.session.query(AuditEntry).order_by(AuditEntry.id):
        if entry.id >= first_id:
            entry.previous_hash = previous
            entry.entry_hash = digest(entry)
        previous = entry.entry_hash
    db.session.commit()


def test_an_untouched_trail_verifies(trail):
    assert [json.loads(line)["entries"] for line in checkpoint_lines(trail)] == [5, 10]
    assert verify(trail) == (0, f"audit trail intact: {ENTRIES} entries\n")


def test_deleting_the_last_entry_is_found_by_the_checkpoint(trail):
    assert trail.test_cli_runner(env={"NOTIFIER_LANG": "en"}).invoke(args=["audit", "checkpoint"]).exit_code == 0
    sql("DELETE FROM audit_entry WHERE id = :id", id=ENTRIES)
    status, output = verify(trail)
    assert status == 1 and f"entry {ENTRIES}:" in output and "entries removed" in output


def test_deleting_every_entry_is_found(trail):
    sql("DELETE FROM audit_entry")
    status, output = verify(trail)
    assert status == 1 and "entry 1:" in output and "counts 10 entries, the trail has 0" in output


def test_deleting_the_tail_and_writing_new_entries_in_its_place_is_found(trail, dpo):
    sql("DELETE FROM audit_entry WHERE id > 8")
    for _ in range(4):  # the application, or the attacker through it, writes valid keyed entries again
        audit.record("test.replacement", user=dpo)
        db.session.commit()
    status, output = verify(trail)
    assert status == 1 and "entry 10:" in output and "signed checkpoint #2" in output


def test_an_edited_entry_is_named(trail):
    sql("UPDATE audit_entry SET details = :details WHERE id = 7", details=json.dumps({"n": 0}))
    status, output = verify(trail)
    assert status == 1 and "entry 7:" in output and "altered" in output


def test_an_edit_re_chained_with_the_old_unkeyed_algorithm_is_found(trail):
    sql("UPDATE audit_entry SET action = 'nothing.happened' WHERE id = 7")
    rewrite_chain_from(7, audit.legacy_digest)
    status, output = verify(trail)
    assert status == 1 and "entry 7:" in output and "without the key" in output


def test_an_edit_re_chained_with_the_published_algorithm_but_another_key_is_found(trail):
    sql("UPDATE audit_entry SET action = 'nothing.happened' WHERE id = 7")
    rewrite_chain_from(7, lambda entry: audit.keyed_digest(entry, b"a guessed key"))
    status, output = verify(trail)
    assert status == 1 and "entry 7:" in output and "re-chained without the key" in output


def test_two_swapped_entries_are_found(trail):
    sql("UPDATE audit_entry SET id = -4 WHERE id = 4")
    sql("UPDATE audit_entry SET id = 4 WHERE id = 5")
    sql("UPDATE audit_entry SET id = 5 WHERE id = -4")
    status, output = verify(trail)
    assert status == 1 and "entry 4:" in output and "reordered" in output


def test_renumbered_ids_are_found(trail):
    sql("UPDATE audit_entry SET id = id + 1000 WHERE id >= 6")
    sql("UPDATE audit_entry SET id = id - 999 WHERE id >= 1006")  # 6..12 become 7..13: a gap at 6
    status, output = verify(trail)
    assert status == 1 and "entry 7:" in output and "renumbered" in output


def test_an_entry_moved_to_another_organisation_is_found(trail):
    other = Organisation(name="Autre groupe")
    db.session.add(other)
    db.session.commit()
    sql("UPDATE audit_entry SET organisation_id = :other WHERE id = 3", other=other.id)
    status, output = verify(trail)
    assert status == 1 and "entry 3:" in output and "moved to another organisation" in output


def test_an_entry_given_to_another_user_is_found(trail, admin):
    sql("UPDATE audit_entry SET user_id = :other WHERE id = 9", other=admin.id)
    status, output = verify(trail)
    assert status == 1 and "entry 9:" in output


def test_a_checkpoint_file_cut_short_by_whole_lines_is_found(trail):
    write_checkpoint_lines(trail, checkpoint_lines(trail)[:-1])  # #2 (10 entries) removed: 12 entries, #1 covers 5
    status, output = verify(trail)
    assert status == 1 and "entry 6:" in output and "not vouched for by a signed checkpoint" in output


def test_a_checkpoint_file_cut_in_the_middle_of_a_line_is_found(trail):
    lines = checkpoint_lines(trail)
    write_checkpoint_lines(trail, [lines[0], lines[1][:40]], final_newline=False)
    status, output = verify(trail)
    assert status == 1 and "entry 6:" in output and "checkpoint file line 2: last line cut" in output


def test_an_edited_checkpoint_line_has_a_bad_signature(trail):
    lines = checkpoint_lines(trail)
    first = json.loads(lines[0])
    first["entries"] = 4
    write_checkpoint_lines(trail, [json.dumps(first, sort_keys=True, separators=(",", ":")), *lines[1:]])
    status, output = verify(trail)
    assert status == 1 and "entry 1:" in output and "line 1: checkpoint #1: bad signature" in output


def test_a_removed_checkpoint_line_in_the_middle_is_found(trail):
    trail.test_cli_runner(env={"NOTIFIER_LANG": "en"}).invoke(args=["audit", "checkpoint"])
    lines = checkpoint_lines(trail)
    write_checkpoint_lines(trail, [lines[0], lines[2]])
    status, output = verify(trail)
    assert status == 1 and "entry 6:" in output and "lines removed or reordered" in output


def test_checkpoints_signed_by_another_key_are_refused(trail, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    other = tmp_path / "someone-else.pub"
    other.write_bytes(Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    status, output = verify(trail, "--public-key", str(other))
    assert status == 1 and "entry 1:" in output and "unknown key" in output


def test_a_copy_of_the_public_key_kept_elsewhere_verifies_the_checkpoints(trail, tmp_path):
    from pathlib import Path

    kept = tmp_path / "kept-elsewhere.pub"
    kept.write_bytes(Path(trail.config["AUDIT_SIGNING_KEY"] + ".pub").read_bytes())
    assert verify(trail, "--public-key", str(kept)) == (0, f"audit trail intact: {ENTRIES} entries\n")


def test_a_forged_signature_is_refused(trail):
    lines = checkpoint_lines(trail)
    last = json.loads(lines[-1])
    last["signature"] = base64.b64encode(b"\0" * 64).decode()
    write_checkpoint_lines(trail, [*lines[:-1], json.dumps(last)])
    status, output = verify(trail)
    assert status == 1 and "entry 6:" in output and "bad signature" in output


def test_the_audit_page_says_when_the_trail_is_broken(trail, login_as, legal):
    sql("DELETE FROM audit_entry WHERE id = 11")
    page = login_as(legal).get("/audit/").get_data(as_text=True)
    assert "ROMPUE à l'entrée 12" in page
