"""Patient e-mails in the browser: the channel of a variant in the editor, the counts per channel and the postage
estimate before a job, starting the e-mail job, its progress; other organisations get 404."""

import contextlib
import html
import re
import socket

import pytest
from sqlalchemy import select, update

from notifier.extensions import db
from notifier.letters import jobs as letter_jobs
from notifier.letters.models import LetterEmail, LetterJob, LetterTemplate
from notifier.patients.models import Patient


class Sink:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return f"250 2.0.0 Ok: queued as S{len(self.messages)}"


@contextlib.contextmanager
def sink_server():
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


@pytest.fixture
def relay(app):
    with sink_server() as (sink, port):
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, MAIL_FROM="dpo-notification@lilas.test",
                          EMAIL_RATE=None, LETTER_POSTAGE_PRICE=1.5)
        yield sink


@pytest.fixture
def with_addresses(breach, people):
    db.session.execute(update(Patient).where(Patient.patient_id.in_(["IPP001", "IPP002", "IPP005"]))
                       .values(email=Patient.patient_id + "@example.fr"))
    db.session.commit()


def test_the_channel_is_chosen_in_the_editor_and_makes_a_new_version_to_approve(
        app, breach, people, login_as, dpo, helpers, legal):
    helpers.make_template(breach, dpo, approver=legal)
    client = login_as(dpo)
    page = client.get(f"/breaches/{breach.id}/letters/variants/standard").get_data(as_text=True)
    assert '<select id="channel" name="channel">' in page and "Courriel si une adresse est connue" in page


def test_the_letters_page_shows_the_counts_per_channel_and_the_postage_estimate(
        app, breach, with_addresses, login_as, dpo, legal, helpers, relay):
    helpers.make_template(breach, dpo, approver=legal, channel="email_else_paper")
    page = login_as(dpo).get(f"/breaches/{breach.id}/letters").get_data(as_text=True)
    assert '<td data-count="letters">7</td>' in page  # 10 ready with a postcode, 3 of them e-mailed
    assert '<td data-count="emails">3</td>' in page and '<td data-count="email_only">3</td>' in page
    assert "10,50\u00a0€" in page and "4,50\u00a0€" in page  # 7 x 1.50, and what the e-mails save
    english = login_as(dpo)
    english.post("/lang/en", data={"next": "/"})
    page = english.get(f"/breaches/{breach.id}/letters").get_data(as_text=True)
    assert "€10.50" in page


def test_starting_the_emails_in_the_browser_sends_them_and_shows_their_states(
        app, breach, with_addresses, login_as, dpo, legal, helpers, relay, monkeypatch):
    helpers.make_template(breach, dpo, approver=legal, channel="email_else_paper")
    launched = []
    monkeypatch.setattr("notifier.letters.runners.launch_in_background", lambda app, job_id: launched.append(job_id))
    client = login_as(dpo)
    response = client.post(f"/breaches/{breach.id}/letters/emails", data={"rate": "100"})
    assert response.status_code == 302 and response.headers["Location"].endswith("#emails-title")
    [job_id] = launched
    job = db.session.get(LetterJob, job_id)
    assert job.kind == "email" and job.rate == 100 and job.total == 3
    assert set(letter_jobs.chunk_numbers(job_id, "pending")) == {1}
    assert letter_jobs.run_chunk(job_id, 1) == "done"
    assert len(relay.messages) == 3
    page = client.get(f"/breaches/{breach.id}/letters").get_data(as_text=True)
    assert '<td data-status="sent">3</td>' in page and "courriels/s au plus" in page
    status = client.get(f"/letters/jobs/{job.token}/status.json").get_json()
    assert status["done"] == 3 and status["emails"]["sent"] == 3 and status["kind"] == "email"
    assert client.get(f"/letters/jobs/{job.token}").status_code == 302  # its progress lives on the letters page


def test_a_refused_start_is_explained_on_the_page(app, breach, with_addresses, login_as, dpo, legal, helpers, relay):
    helpers.make_template(breach, dpo, approver=legal, channel="email_else_paper")
    client = login_as(dpo)
    response = client.post(f"/breaches/{breach.id}/letters/emails", data={"rate": "-3"}, follow_redirects=True)
    assert "Débit d'envoi entre 0 et 10000 messages par seconde." in html.unescape(response.get_data(as_text=True))
    assert db.session.scalar(select(LetterEmail.id)) is None


def test_another_organisation_cannot_send_the_emails_of_a_breach(
        app, breach, with_addresses, login_as, dpo, legal, helpers, relay, password):
    from notifier.accounts.organisations import Establishment, Organisation
    from notifier.accounts.services import add_user

    helpers.make_template(breach, dpo, approver=legal, channel="email_else_paper")
    other = Organisation(name="Autre groupe")
    db.session.add_all([other, Establishment(organisation=other, name="Autre clinique")])
    db.session.commit()
    client = login_as(add_user("dpo@autre.test", "dpo", password, organisation=other))
    assert client.post(f"/breaches/{breach.id}/letters/emails", data={}).status_code == 404
    assert db.session.scalar(select(LetterJob.id)) is None and relay.messages == []


def test_saving_the_channel_in_the_editor(app, breach, people, login_as, dpo, legal, helpers):
    current = helpers.make_template(breach, dpo, approver=legal)
    client = login_as(dpo)
    page = client.get(f"/breaches/{breach.id}/letters/variants/standard").get_data(as_text=True)
    values = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page))
    values.update(re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', page))
    values = {name: html.unescape(value) for name, value in values.items()}
    values.update({"lang": "fr", "audience": "any", "channel": "both"})
    values.pop("csrf_token", None)
    assert client.post(f"/breaches/{breach.id}/letters/variants/standard", data=values).status_code == 302
    latest = db.session.scalar(select(LetterTemplate).order_by(LetterTemplate.id.desc()))
    assert latest.id != current.id and latest.channel == "both" and not latest.approved
