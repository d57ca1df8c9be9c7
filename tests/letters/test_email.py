"""Patient e-mails (issue 14, part 2): one message per patient with an address, through a real SMTP server (aiosmtpd)
on 127.0.0.1; refusals recorded; resumption after kill -9 without a duplicate or a gap; bounces (mbox, .eml folder,
relay CSV) parsed; refused or bounced patients back to paper."""

import io
import mailbox
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import select, update

from notifier.core.events import gathered, people_informed
from notifier.extensions import db
from notifier.letters import emails
from notifier.letters import jobs as letter_jobs
from notifier.letters.models import Letter, LetterChunk, LetterEmail, LetterJob
from notifier.letters.runners import child_environment
from notifier.letters.services import letter_reference
from notifier.patients.models import Patient

NOTIFIER = str(Path(sys.executable).with_name("notifier"))


def set_emails(breach, addresses: dict[str, str | None]) -> None:
    for ipp, address in addresses.items():
        db.session.execute(update(Patient).where(Patient.breach_id == breach.id, Patient.patient_id == ipp)
                           .values(email=address))
    db.session.commit()


ADDRESSES = {"IPP001": "zoe.oeuvrard@example.fr", "IPP002": "jurgen@example.de", "IPP003": "malgo@refused.test",
             "IPP005": "anais@example.fr", "IPP012": "cecile@example.fr"}


@pytest.fixture
def emailed(breach, dpo, legal, people, helpers):
    """An approved variant sent by e-mail where an address is known, paper otherwise; five patients with an
    address (one the server refuses), one of them held for review."""
    set_emails(breach, {**ADDRESSES, "IPP006": "held.patient@example.fr"})
    return helpers.make_template(breach, dpo, approver=legal, channel="email_else_paper")


def send_all(breach, **options):
    started = emails.start_email_job(breach, user=None, config=current_app.config, **options)
    outcomes = [letter_jobs.run_chunk(started.job.id, number)
                for number in letter_jobs.chunk_numbers(started.job.id, "pending")]
    db.session.commit()
    return started.job, outcomes


def states(breach) -> dict[str, str]:
    db.session.commit()
    rows = db.session.execute(select(Patient.patient_id, LetterEmail.status)
                              .join(LetterEmail, LetterEmail.patient_pk == Patient.id)
                              .where(Patient.breach_id == breach.id)).all()
    return dict(rows)


def test_one_message_per_patient_with_an_address_and_the_refused_one_recorded(app, breach, emailed, smtp):
    job, outcomes = send_all(breach)
    assert outcomes == ["done"] and job.status == "done", (outcomes, job.status, job.error)
    received = sorted(rcpt for envelope in smtp.messages for rcpt in envelope.rcpt_tos)
    assert received == sorted(address for ipp, address in ADDRESSES.items() if ipp != "IPP003")
    assert states(breach) == {"IPP001": "sent", "IPP002": "sent", "IPP003": "refused", "IPP005": "sent",
                              "IPP012": "sent"}  # the held patient gets nothing
    refused = db.session.scalar(select(LetterEmail).join(Patient, Patient.id == LetterEmail.patient_pk)
                                .where(Patient.patient_id == "IPP003"))
    assert refused.smtp_code == "550" and "User unknown" in refused.smtp_text and refused.queue_id is None
    queue_ids = set(db.session.scalars(select(LetterEmail.queue_id).where(LetterEmail.status == "sent")))
    assert queue_ids == {f"Q{n:05d}" for n in range(1, 5)}
    assert emails.breach_email_counts(breach.id) == {"queued": 0, "sent": 4, "refused": 1, "bounced": 0}


def test_the_message_is_the_approved_text_with_the_reference_and_how_to_check_it(app, breach, emailed, smtp):
    send_all(breach)
    message = next(m for m in smtp.parsed() if m["To"] == "zoe.oeuvrard@example.fr")
    patient = db.session.scalar(select(Patient).where(Patient.patient_id == "IPP001"))
    email = db.session.scalar(select(LetterEmail).where(LetterEmail.patient_pk == patient.id))
    reference = letter_reference(breach.reference, db.session.get(Letter, email.letter_id).number)
    assert message["Message-ID"] == email.message_id
    assert message["Subject"] == (f"{emailed.sender['name']}\u00a0: information sur une violation de données "
                                  f"personnelles (réf. {reference})")
    assert message["X-Notifier-Reference"] == reference and message["Auto-Submitted"] == "auto-generated"
    assert not list(message.iter_attachments())
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = message.get_body(("html",)).get_content()
    assert text.startswith(f"Référence de ce message\u00a0: {reference}\n\nMadame,\n\nCe qui s'est passé\n")
    for key in ("nature", "consequences", "measures", "dpo_contact"):
        first_paragraph = " ".join(emailed.texts[key].split("\n\n")[0].split("\n"))
        assert first_paragraph in text
    assert "Votre droit de réclamation" in text and "www.cnil.fr/plaintes" in text
    assert "Comment vérifier que ce message vient de nous" in text
    assert f"en rappelant la référence {reference}." in text
    assert "aucun lien ni pièce jointe" in text
    assert "<h2>Ce qui s&#39;est passé</h2>" in html and reference in html
    # Nothing the letter does not say: not the postal address, not the IPP.
    assert "12 RUE DE LA PAIX" not in text and "IPP001" not in text and "35000" not in text
    assert "http" not in html.lower().replace("www.cnil.fr", "")


def test_an_english_variant_is_sent_in_english(app, breach, dpo, legal, people, helpers, smtp):
    set_emails(breach, {"IPP002": "jurgen@example.de"})
    helpers.make_template(breach, dpo, approver=legal, channel="both", lang="en")
    send_all(breach)
    [message] = smtp.parsed()
    text = message.get_body(("plain",)).get_content()
    assert "What happened" in text and "How to check that this message comes from us" in text
    assert "Ce qui s'est passé" not in text


def test_a_minor_s_email_never_uses_the_child_s_civility(app, breach, dpo, legal, people, helpers, smtp):
    set_emails(breach, {"IPP002": "parents.strauss@example.de", "IPP005": "anais@example.fr"})
    db.session.execute(update(Patient).where(Patient.patient_id == "IPP002").values(minor=True))
    db.session.commit()
    helpers.make_template(breach, dpo, approver=legal, channel="both", lang="en")
    send_all(breach)
    texts = {m["To"]: m.get_body(("plain",)).get_content() for m in smtp.parsed()}
    assert "\r\nDear Sir or Madam,\r\n" in texts["parents.strauss@example.de"]  # CSP L.1111-2: to the parents
    assert "\r\nDear Madam,\r\n" in texts["anais@example.fr"]


def test_paper_goes_only_to_patients_without_an_address_or_whose_email_failed(app, breach, emailed, smtp, tmp_path):
    before = letter_jobs.start_job(breach, user=None, out_dir=tmp_path / "before").job
    ready_with_postcode = 10  # PEOPLE: 12, two held
    assert before.total == ready_with_postcode - 5  # the five with an address go by e-mail
    plan = emails.channel_plan(breach.id, postage_price=1.5)
    assert (plan.letters, plan.emails, plan.email_only, plan.nowhere) == (5, 5, 5, 2)
    assert plan.postage == 7.5 and plan.postage_saved == 7.5
    assert letter_jobs.run_chunk(before.id, 1) == "done"
    send_all(breach)
    # The refused patient is owed a letter: it is in the next letter job of new letters only.
    late = letter_jobs.start_job(breach, user=None, out_dir=tmp_path / "late", only_new=True).job
    assert late.total == 1
    late_patients = db.session.scalars(select(Patient.patient_id).where(
        letter_jobs.in_job(breach.id, late.created_at, late.variants))).all()
    assert late_patients == ["IPP003"]
    assert emails.channel_plan(breach.id, postage_price=1.5).email_failed == 1


def test_a_variant_sending_both_writes_a_letter_to_everyone_and_emails_those_with_an_address(
        app, breach, dpo, legal, people, helpers, smtp, tmp_path):
    set_emails(breach, ADDRESSES)
    helpers.make_template(breach, dpo, approver=legal, channel="both")
    assert letter_jobs.start_job(breach, user=None, out_dir=tmp_path / "lots").job.total == 10
    job, _ = send_all(breach)
    assert job.total == 5 and len(smtp.messages) == 4


def test_sending_twice_never_emails_a_patient_twice(app, breach, emailed, smtp):
    send_all(breach)
    with pytest.raises(emails.EmailRefused) as refused:
        send_all(breach)
    assert "Aucun patient à informer par courriel" in refused.value.message("fr")
    assert len(smtp.messages) == 4


def test_a_paper_variant_or_an_unapproved_one_is_not_emailed(app, breach, dpo, legal, people, helpers, smtp):
    set_emails(breach, ADDRESSES)
    helpers.make_template(breach, dpo, approver=legal)  # paper
    with pytest.raises(emails.EmailRefused) as refused:
        send_all(breach)
    assert "Aucune variante n'est envoyée par courriel" in refused.value.message("fr")
    helpers.make_template(breach, dpo, channel="email_else_paper")  # new version, not approved
    with pytest.raises(emails.EmailRefused) as refused:
        send_all(breach)
    assert "quatre yeux" in refused.value.message("fr")
    assert smtp.messages == [] and db.session.scalar(select(LetterEmail.id)) is None


def test_no_relay_configured_refuses_the_job(app, breach, emailed):
    app.config.update(SMTP_HOST=None)
    with pytest.raises(emails.EmailRefused) as refused:
        emails.start_email_job(breach, user=None, config=app.config)
    assert "NOTIFIER_SMTP_HOST" in refused.value.message("fr")


def test_a_temporary_refusal_stays_queued_and_is_sent_when_the_job_is_resumed(app, breach, emailed, smtp):
    set_emails(breach, {"IPP012": "cecile@later.test"})
    job, outcomes = send_all(breach)
    db.session.refresh(job)
    assert outcomes == ["failed"] and job.status == "failed" and "4xx" in job.error
    assert states(breach)["IPP012"] == "queued"
    set_emails(breach, {"IPP012": "cecile@example.fr"})  # the relay lets it through now
    again, outcomes = send_all(breach)
    assert outcomes == ["done"] and states(breach)["IPP012"] == "sent"
    assert sorted(r for e in smtp.messages for r in e.rcpt_tos).count("cecile@example.fr") == 1
    assert len(smtp.messages) == 4


def test_the_rate_limit_spaces_the_messages(app, breach, dpo, legal, helpers, smtp):
    helpers.bulk_patients(breach, 8)
    db.session.execute(update(Patient).values(email=Patient.patient_id + "@example.fr"))
    db.session.commit()
    helpers.make_template(breach, dpo, approver=legal, channel="email_else_paper")
    app.config["LETTER_WORKERS"] = 1
    send_all(breach, rate=20)
    # 20/s: the 8 messages span at least 7 intervals of 50 ms (a slower machine only spreads them more).
    assert len(smtp.messages) == 8 and smtp.times[-1] - smtp.times[0] >= 7 * 0.05 * 0.95


def test_killing_the_sender_mid_way_then_rerunning_it_emails_every_patient_exactly_once(
        app, breach, dpo, legal, helpers, smtp):
    helpers.bulk_patients(breach, 120)
    db.session.execute(update(Patient).values(email=Patient.patient_id + "@example.fr"))
    db.session.commit()
    helpers.make_template(breach, dpo, approver=legal, channel="email_else_paper")
    smtp.hold_at = 47  # the worker waits for the relay's answer to the 47th message when it is killed
    env = {**child_environment(app), "NOTIFIER_LANG": "en"}  # the assertions read the English messages
    command = [NOTIFIER, "email", "send", str(breach.id), "--workers", "1", "--rate", "10000"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert smtp.held.wait(60), process.stdout.read().decode() if process.poll() is not None else "no RCPT 47"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    process.stdout.close()
    time.sleep(0.3)  # the pool worker dies with its parent (PR_SET_PDEATHSIG)
    smtp.release.set()
    assert len(smtp.messages) == 46
    assert emails.breach_email_counts(breach.id)["sent"] == 46

    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "46 sent before" in rerun.stdout, rerun.stdout
    recipients = [rcpt for envelope in smtp.messages for rcpt in envelope.rcpt_tos]
    assert len(recipients) == 120 and len(set(recipients)) == 120
    assert emails.breach_email_counts(breach.id) == {"queued": 0, "sent": 120, "refused": 0, "bounced": 0}
    # The message in flight when the worker died was sent again with the Message-ID drawn before the first try.
    resent = db.session.scalar(select(LetterEmail).where(LetterEmail.attempts == 2))
    assert resent is not None
    assert resent.message_id in {m["Message-ID"] for m in smtp.parsed()}


def test_a_chunk_taken_over_by_another_worker_stops_the_first_one(app, breach, emailed, smtp):
    started = emails.start_email_job(breach, user=None, config=app.config)
    chunk = db.session.scalar(select(LetterChunk).where(LetterChunk.job_id == started.job.id))
    # Another process claimed the chunk (a later attempt): this one's marks no longer match.
    db.session.execute(update(LetterChunk).where(LetterChunk.id == chunk.id).values(status="running", attempts=2))
    db.session.commit()
    from notifier.letters.email_send import send_chunk

    assert send_chunk(started.job.id, chunk.id, 1) == "skipped"
    assert smtp.messages == []


# --- bounces ------------------------------------------------------------------------------------------------------


def dsn(original, recipient: str, *, action="failed", status="5.1.1",
        diagnostic="smtp; 550 5.1.1 user unknown") -> bytes:
    """A delivery-status notification as Postfix writes one (RFC 3464), quoting the original message's headers."""
    headers = "".join(f"{name}: {value}\n" for name, value in original.items())
    return f"""From: MAILER-DAEMON@relay.lilas.test (Mail Delivery System)
To: dpo-notification@lilas.test
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B0UND"

--B0UND
Content-Type: text/plain; charset=us-ascii

This is the mail system at host relay.lilas.test. I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

--B0UND
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.lilas.test
Arrival-Date: Tue,  1 Dec 2026 23:50:01 +0100 (CET)

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: {action}
Status: {status}
Diagnostic-Code: {diagnostic}

--B0UND
Content-Type: text/rfc822-headers

{headers}
--B0UND--
""".encode()


def test_bounces_from_an_mbox_mark_the_emails_bounced_and_put_the_patients_back_to_paper(
        app, breach, emailed, smtp, tmp_path):
    paper = letter_jobs.start_job(breach, user=None, out_dir=tmp_path / "paper").job
    assert letter_jobs.run_chunk(paper.id, 1) == "done"  # the patients without an address got their letter
    send_all(breach)
    zoe, jurgen = (next(m for m in smtp.parsed() if m["To"] == to) for to in ("zoe.oeuvrard@example.fr",
                                                                              "jurgen@example.de"))
    box = mailbox.mbox(tmp_path / "bounces.mbox")
    box.add(dsn(zoe, "zoe.oeuvrard@example.fr"))
    box.add(dsn(jurgen, "jurgen@example.de", action="delayed", status="4.4.1"))  # not final: ignored
    box.add(b"From: someone@example.fr\nSubject: out of office\n\nI am away.\n")
    box.close()
    bounces, read, ignored = emails.read_bounces(tmp_path / "bounces.mbox")
    result = emails.apply_bounces(breach, bounces, read=read, ignored=ignored, user=None, source="test")
    db.session.commit()
    assert (result.read, result.bounced, result.ignored, result.unmatched) == (3, 1, 2, [])
    assert states(breach)["IPP001"] == "bounced" and states(breach)["IPP002"] == "sent"
    bounced = db.session.scalar(select(LetterEmail).where(LetterEmail.status == "bounced"))
    assert bounced.smtp_code == "5.1.1" and "user unknown" in bounced.smtp_text
    late = letter_jobs.start_job(breach, user=None, out_dir=tmp_path / "late", only_new=True).job
    assert sorted(db.session.scalars(select(Patient.patient_id).where(
        letter_jobs.in_job(breach.id, late.created_at, late.variants)))) == ["IPP001", "IPP003"]
    again = emails.apply_bounces(breach, bounces, read=read, ignored=ignored, user=None, source="test")
    assert (again.bounced, again.already) == (0, 1)  # applying the same file twice changes nothing


def test_bounces_from_a_folder_of_eml_and_from_the_relay_csv(app, breach, emailed, smtp, tmp_path):
    send_all(breach)
    by_to = {m["To"]: m for m in smtp.parsed()}
    folder = tmp_path / "dsn"
    folder.mkdir()
    (folder / "1.eml").write_bytes(dsn(by_to["anais@example.fr"], "anais@example.fr"))
    bounces, read, ignored = emails.read_bounces(folder)
    assert emails.apply_bounces(breach, bounces, read=read, ignored=ignored, user=None, source="t").bounced == 1
    cecile = db.session.scalar(select(LetterEmail).join(Patient, Patient.id == LetterEmail.patient_pk)
                               .where(Patient.patient_id == "IPP012"))
    (tmp_path / "relay.csv").write_text(
        "queue_id;recipient;status;reason\n"
        f"{cecile.queue_id};cecile@example.fr;5.2.2;mailbox full\n"
        "Q99999;nobody@example.fr;5.1.1;unknown\n"
        "Q00002;jurgen@example.de;deferred;try later\n", encoding="utf-8")
    bounces, read, ignored = emails.read_bounces(tmp_path / "relay.csv")
    result = emails.apply_bounces(breach, bounces, read=read, ignored=ignored, user=None, source="t")
    db.session.commit()
    assert (result.read, result.bounced, result.ignored, result.unmatched) == (3, 1, 1, ["line 3"])
    assert states(breach)["IPP012"] == "bounced" and states(breach)["IPP005"] == "bounced"


def test_the_bounces_command(app, breach, emailed, smtp, tmp_path):
    send_all(breach)
    message = next(m for m in smtp.parsed() if m["To"] == "jurgen@example.de")
    (tmp_path / "one.eml").write_bytes(dsn(message, "jurgen@example.de"))
    runner = app.test_cli_runner(env={"NOTIFIER_LANG": "en"})
    result = runner.invoke(args=["email", "bounces", str(breach.id), str(tmp_path / "one.eml")])
    assert result.exit_code == 0, result.output
    assert "1 bounced" in result.output
    status = runner.invoke(args=["email", "status", str(breach.id), "--failed"])
    assert "sent 3, refused 1, bounced 1" in status.output and "5.1.1" in status.output


def test_the_send_command_dry_run_changes_nothing(app, breach, emailed, smtp):
    result = app.test_cli_runner(env={"NOTIFIER_LANG": "en"}).invoke(args=["email", "send", str(breach.id),
                                                                          "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "dry run: 5 e-mail(s) to send" in result.output
    assert smtp.messages == [] and db.session.scalar(select(LetterEmail.id)) is None
    assert db.session.scalar(select(LetterJob.id).where(LetterJob.kind == "email")) is None


def test_the_send_command_refuses_an_unknown_variant_in_one_line(app, breach, emailed, smtp):
    result = app.test_cli_runner(env={"NOTIFIER_LANG": "en"}).invoke(
        args=["email", "send", str(breach.id), "--variant", "nope"])
    assert result.exit_code == 2 and result.output.strip().startswith("error:")
    assert len(result.output.strip().splitlines()) == 1


def test_the_complementary_notification_counts_the_patients_emailed(app, breach, emailed, smtp):
    send_all(breach)
    [informed] = [value for value in gathered(people_informed.send(breach)) if "email" in value]
    assert informed["email"]["count"] == 4 and informed["email"]["first"] is not None


def test_forgetting_the_patients_leaves_the_emails_states_but_no_link_nor_address(app, breach, emailed, smtp):
    from notifier.patients.services import forget_patients

    send_all(breach)
    forget_patients(breach.id)
    db.session.commit()
    assert db.session.scalar(select(Patient.id)) is None
    rows = db.session.execute(select(LetterEmail.patient_pk, LetterEmail.status)).all()
    assert len(rows) == 5 and {pk for pk, _ in rows} == {None}
    assert emails.breach_email_counts(breach.id)["sent"] == 4


# --- bounces uploaded on the letters page -------------------------------------------------------------------------


def upload(client, breach, data: bytes, filename: str, **form):
    return client.post(f"/breaches/{breach.id}/letters/emails/bounces",
                       data={"file": (io.BytesIO(data), filename), **form}, content_type="multipart/form-data")


def test_a_bounces_file_uploaded_on_the_page_is_applied_and_what_was_read_is_shown(
        app, breach, emailed, smtp, tmp_path, login_as, dpo):
    send_all(breach)
    zoe = next(m for m in smtp.parsed() if m["To"] == "zoe.oeuvrard@example.fr")
    reference = zoe["X-Notifier-Reference"]
    box = mailbox.mbox(tmp_path / "bounces.mbox")
    box.add(dsn(zoe, "zoe.oeuvrard@example.fr"))
    box.add(dsn(zoe, "nobody@example.fr", diagnostic="smtp; 550 no such user")
            .replace(zoe["Message-ID"].encode(), b"<unknown@lilas.test>")
            .replace(reference.encode(), b"VIO-1999-0001-0000001-X"))
    box.close()
    client = login_as(dpo)
    data = (tmp_path / "bounces.mbox").read_bytes()
    checked = upload(client, breach, data, "retours.mbox", dry_run="1")
    assert checked.status_code == 200 and 'data-bounced="1"' in checked.get_data(as_text=True)
    assert states(breach)["IPP001"] == "sent"  # only checked
    page = upload(client, breach, data, "retours.mbox").get_data(as_text=True)
    assert 'data-bounced="1"' in page and f"<td>{reference}</td>" in page and "user unknown" in page
    assert page.count('data-outcome="bounced"') == 1 and page.count('data-outcome="unmatched"') == 1
    assert '<tr data-outcome="unmatched"><td>message 2</td>' in page  # where in the file, in the page's language
    assert states(breach)["IPP001"] == "bounced"
    again = upload(client, breach, data, "retours.mbox").get_data(as_text=True)
    assert 'data-bounced="0"' in again and 'data-outcome="already"' in again
    csv_page = upload(client, breach, f"reference;status\n{reference};bounced\n".encode(), "relais.csv")
    assert csv_page.status_code == 200 and '<tr data-outcome="already"><td>ligne 2</td>' in csv_page.get_data(
        as_text=True)


def test_a_bad_or_oversized_bounces_file_is_refused_in_french_and_changes_nothing(
        app, breach, emailed, smtp, login_as, dpo):
    send_all(breach)
    client = login_as(dpo)
    bad = upload(client, breach, b"\x00\x01 binary \x00 junk", "retours.bin")
    assert bad.status_code == 302
    page = client.get(bad.headers["Location"]).get_data(as_text=True)
    assert "Fichier de retours" in page and ("illisible" in page or "aucune colonne" in page)
    app.config["EMAIL_BOUNCES_MAX_BYTES"] = 1024
    big = upload(client, breach, b"reference;status\n" + b"x;bounced\n" * 200, "relais.csv")
    assert big.status_code == 302 and "Retours trop volumineux" in client.get(big.headers["Location"]).get_data(
        as_text=True)
    assert upload(client, breach, b"", "").status_code == 302
    assert set(states(breach).values()) <= {"sent", "refused"}


def test_the_bounces_upload_needs_csrf_and_the_letters_tracking_role(app, breach, emailed, smtp, login_as, viewer,
                                                                      dpo):
    send_all(breach)
    client = login_as(dpo)
    assert client.post(f"/breaches/{breach.id}/letters/emails/bounces", csrf=False, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(b"reference;status\nx;bounced\n"), "r.csv")}).status_code == 400
    page = client.get(f"/breaches/{breach.id}/letters").get_data(as_text=True)
    assert 'id="bounces-title"' in page and f'action="/breaches/{breach.id}/letters/emails/bounces"' in page
    watcher = login_as(viewer)
    assert upload(watcher, breach, b"reference;status\nx;bounced\n", "r.csv").status_code == 403
