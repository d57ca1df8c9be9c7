"""`notifier reminders send` against a real SMTP server (aiosmtpd) on 127.0.0.1: what is due is sent once, to whom it
concerns, without patient data, with a link to the page."""

from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.policy import default

import pytest

from notifier.cases import reminders
from notifier.cases import services as cases
from notifier.cases.models import ReminderSent
from notifier.extensions import db
from tests.core.test_mail import running_smtp_server

AWARE = datetime(2026, 10, 23, 12, 20, tzinfo=UTC)  # 14:20 in Paris


@pytest.fixture
def smtp():
    with running_smtp_server() as recorder:
        yield recorder


def _config(app, port):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, MAIL_FROM="notifier@lilas.test",
                      PUBLIC_URL="https://notifier.lilas.test")
    return app.config


def _messages(smtp):
    return [(envelope.rcpt_tos, message_from_bytes(envelope.content, policy=default)) for envelope in smtp.messages]


def test_a_reminder_is_sent_once_even_when_the_command_runs_twice(app, aware_breach, dpo, smtp):
    now = AWARE + timedelta(hours=5)  # containment (awareness + 4 h) is due; the CNIL clock is 67 h away
    first = reminders.send_due(_config(app, smtp.port), now=now)
    db.session.commit()
    second = reminders.send_due(app.config, now=now)
    db.session.commit()
    assert first.sent >= 1 and not first.failed
    assert second.sent == 0 and second.already == first.sent
    assert len(smtp.messages) == first.sent == ReminderSent.query.count()
    recipients, message = next((r, m) for r, m in _messages(smtp) if "échéance" in m["Subject"])
    assert recipients == [dpo.email]
    body = message.get_content()
    assert "Contenir l'incident" in body and "https://notifier.lilas.test/breaches/" in body
    assert "Contain the incident" not in body  # the DPO never chose a language: French only
    assert "aucune donnée de patient" in body


def test_the_dpo_gets_the_approach_of_each_clock_and_the_owner_the_day_before(app, aware_breach, dpo, smtp):
    config = _config(app, smtp.port)
    cnil_due = AWARE + timedelta(hours=72)
    reminders.send_due(config, now=cnil_due - timedelta(hours=20))
    db.session.commit()
    keys = [row.key for row in ReminderSent.query]
    assert any(key.startswith(f"clock:{aware_breach.id}:cnil:24:") for key in keys)
    assert any(":before:" in key for key in keys)  # "Notifier la CNIL" is due at CNIL - 6 h: within a day
    reminders.send_due(config, now=cnil_due - timedelta(minutes=30))
    db.session.commit()
    keys = [row.key for row in ReminderSent.query]
    assert any(key.startswith(f"clock:{aware_breach.id}:cnil:1:") for key in keys)
    assert not any(key.startswith(f"clock:{aware_breach.id}:cnil:6:") for key in keys)  # 1 h is the tightest


def test_a_moved_clock_gives_a_new_reminder_for_the_new_date(app, aware_breach, dpo, smtp):
    from tests.cases.conftest import set_awareness

    config = _config(app, smtp.port)
    reminders.send_due(config, now=AWARE + timedelta(hours=5))
    db.session.commit()
    before = len(smtp.messages)
    set_awareness(aware_breach, dpo, "2026-10-23T15:20")  # one hour later: containment is due at 19:20 Paris
    reminders.send_due(config, now=AWARE + timedelta(hours=6))
    db.session.commit()
    assert len(smtp.messages) > before


def test_a_refused_message_is_not_recorded_and_is_tried_again(app, aware_breach, dpo):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=1, MAIL_FROM="notifier@lilas.test")
    report = reminders.send_due(app.config, now=AWARE + timedelta(hours=5))
    db.session.commit()
    assert report.sent == 0 and report.failed and ReminderSent.query.count() == 0


def test_legal_is_told_a_template_waits_for_approval(app, aware_breach, dpo, legal, smtp):
    from datetime import date

    from notifier.letters.models import LetterTemplate

    db.session.add(LetterTemplate(organisation_id=aware_breach.organisation_id, breach_id=aware_breach.id,
                                  variant="standard", version=1, texts={}, sender={}, letter_date=date(2026, 10, 30),
                                  created_by_id=dpo.id))
    db.session.commit()
    reminders.send_due(_config(app, smtp.port), now=AWARE + timedelta(hours=1))
    db.session.commit()
    to_legal = [m for r, m in _messages(smtp) if r == [legal.email]]
    assert len(to_legal) == 1 and "attend votre approbation" in to_legal[0]["Subject"]


def test_closed_breaches_and_done_tasks_send_nothing(app, aware_breach, dpo, smtp):
    from notifier.breaches.services import close_breach

    for task in cases.tasks(aware_breach):
        cases.update_task(task, aware_breach, dpo, status="done")
    assert not [r for r in reminders.due_reminders(AWARE + timedelta(hours=5)) if r.kind.startswith("task")]
    close_breach(aware_breach, dpo)
    db.session.commit()
    assert reminders.due_reminders(AWARE + timedelta(hours=71)) == []


def test_the_command_sends_and_says_how_many(app, aware_breach, dpo, smtp):
    _config(app, smtp.port)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["reminders", "send"], env={"NOTIFIER_LANG": "fr"})
    assert first.exit_code == 0, first.output
    assert "rappels envoyés" in first.output
    second = runner.invoke(args=["reminders", "send"], env={"NOTIFIER_LANG": "fr"})
    assert "rappels envoyés\u00a0: 0" in second.output
    app.config["SMTP_HOST"] = None
    refused = runner.invoke(args=["reminders", "send"])
    assert refused.exit_code == 2 and refused.output.startswith("error:")


def test_celery_beat_schedules_the_same_sending(app):
    from notifier.cases import beat

    schedule = beat.celery.conf.beat_schedule["send-reminders"]
    assert schedule["task"] == beat.TASK_NAME == beat.send_reminders.name
    assert schedule["schedule"] <= 300


def _received_by(smtp, email):
    return [message for recipients, message in _messages(smtp) if recipients == [email]]


def test_each_reminder_is_in_the_language_its_recipient_chose(app, aware_breach, dpo, legal, smtp, login_as):
    english = login_as(legal)
    english.post("/lang/en", data={"next": "/"})  # the switch, logged in: saved on the account
    db.session.expire_all()
    assert db.session.get(type(legal), legal.id).language == "en" and dpo.language is None
    cases.add_task(aware_breach, dpo, title="Prévenir l'assureur", owner_id=legal.id, anchor="aware", offset="+2 h")
    db.session.commit()
    reminders.send_due(_config(app, smtp.port), now=AWARE + timedelta(hours=5))
    db.session.commit()
    received = _received_by(smtp, legal.email)
    to_legal = next(message for message in received if "Prévenir l'assureur" in message.get_content())
    assert to_legal["Subject"].startswith(f"[notifier] {aware_breach.reference}: task due on ")
    assert "Task: Prévenir l'assureur" in to_legal.get_content()
    for message in received:
        assert "contains no patient data" in message.get_content() and "Tâche" not in message.get_content()
        assert "échéance" not in message["Subject"]
    to_dpo = _received_by(smtp, dpo.email)
    assert to_dpo  # the DPO never chose: French, and French only
    for message in to_dpo:
        body = message.get_content()
        assert "Violation\u00a0:" in body and "aucune donnée de patient" in body and "Breach:" not in body


def test_a_user_who_switches_back_to_french_gets_french_again(app, aware_breach, dpo, smtp, login_as):
    client = login_as(dpo)
    client.post("/lang/en", data={"next": "/"})
    client.post("/lang/fr", data={"next": "/"})
    db.session.expire_all()
    assert db.session.get(type(dpo), dpo.id).language == "fr"
    reminders.send_due(_config(app, smtp.port), now=AWARE + timedelta(hours=5))
    db.session.commit()
    received = _received_by(smtp, dpo.email)
    assert received and all("Violation\u00a0:" in message.get_content() for message in received)


def test_the_language_switch_before_login_changes_no_account(app, client, dpo):
    client.post("/lang/en", data={"next": "/"})
    db.session.expire_all()
    assert db.session.get(type(dpo), dpo.id).language is None


def test_the_dpo_hears_of_each_clock_at_24_6_and_1_hour_then_when_passed_and_no_mail_names_a_patient(
        app, aware_breach, dpo, legal, smtp):
    from datetime import date

    from notifier.letters.models import LetterTemplate
    from notifier.patients.models import Patient, PatientImport

    upload = PatientImport(breach_id=aware_breach.id, filename="patients.csv", sha256="0" * 64, status="done",
                           read=1, accepted=1)
    db.session.add(upload)
    db.session.flush()
    db.session.add(Patient(breach_id=aware_breach.id, import_id=upload.id, row_number=2, patient_id="IPP-778812",
                           first_name="Apolline", last_name="QUERNEVEC", birth_date=date(1951, 4, 2),
                           email="apolline.quernevec@example.org",
                           address_lines=["Mme Apolline QUERNEVEC", "12 rue des Glycines", "29200 Brest"]))
    db.session.add(LetterTemplate(organisation_id=aware_breach.organisation_id, breach_id=aware_breach.id,
                                  variant="standard", version=1, texts={}, sender={}, letter_date=date(2026, 10, 30),
                                  created_by_id=dpo.id))
    cases.add_exchange(aware_breach, dpo, direction="in", party="cnil", occurred_at="2026-10-24T10:00",
                       subject="Questions sur le dossier de Mme QUERNEVEC", reference="CNIL-2026-123",
                       reply_by="2026-10-26T14:20")
    db.session.commit()
    config = _config(app, smtp.port)
    cnil_due = AWARE + timedelta(hours=72)
    for left in (timedelta(hours=23), timedelta(hours=5), timedelta(minutes=30), -timedelta(minutes=10)):
        reminders.send_due(config, now=cnil_due - left)
        db.session.commit()
    stages = sorted(int(row.key.split(":")[3]) for row in ReminderSent.query
                    if row.key.startswith(f"clock:{aware_breach.id}:cnil:") and row.recipient_id == dpo.id)
    assert stages == [0, 1, 6, 24]  # once each, never twice
    assert any(row.key.startswith(f"clock:{aware_breach.id}:exchange") for row in ReminderSent.query)
    received = _messages(smtp)
    exchange_mail = next(message for _r, message in received if "échange avec" in message["Subject"])
    assert "réponse attendue à un échange avec\u00a0: CNIL (CNIL-2026-123)" in exchange_mail.get_content()
    assert {tuple(recipients) for recipients, _message in received} == {(dpo.email,), (legal.email,)}
    for _recipients, message in received:
        text = message["Subject"] + "\n" + message.get_content()
        for patient_value in ("QUERNEVEC", "Apolline", "IPP-778812", "Glycines", "29200", "1951", "apolline."):
            assert patient_value not in text, (patient_value, message["Subject"])
        assert "https://notifier.lilas.test/breaches/" in text and aware_breach.reference in text
