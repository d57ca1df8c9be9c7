"""Issue 13 point 8, four eyes that mean something: legal's dashboard counts the templates waiting for its approval;
approving asks for confirmation and takes an optional comment; legal may instead request changes with a comment the
DPO sees on the template; the review page shows the blocks in the letter's order; the history of a template shows
each submission, request and approval."""

import html
import re

import pytest

from notifier.accounts.organisations import Establishment, Organisation
from notifier.audit.models import AuditEntry
from notifier.breaches.services import create_breach
from notifier.extensions import db
from notifier.letters import services as letters
from notifier.letters.models import LetterReview
from notifier.letters.services import LetterError
from tests.conftest import make_user


def text_of(response) -> str:
    page = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(page).replace("\u00a0", " ").split())


def test_a_complete_version_is_a_submission_and_waits_for_legal(breach, dpo, legal, helpers):
    template = helpers.make_template(breach, dpo)
    assert [(r.kind, r.user_id) for r in LetterReview.query.all()] == [("submitted", dpo.id)]
    assert letters.awaiting_approval(legal) == [template]
    assert letters.awaiting_approval(dpo) == []  # only legal approves


def test_an_incomplete_version_is_not_submitted(breach, dpo, legal, helpers):
    helpers.make_template(breach, dpo, texts={"advice": ""})
    assert LetterReview.query.count() == 0 and letters.awaiting_approval(legal) == []


def test_approval_keeps_its_comment_and_leaves_the_queue(breach, dpo, legal, helpers):
    template = helpers.make_template(breach, dpo)
    letters.approve_template(template, legal, "Relu avec le service juridique.")
    db.session.commit()
    assert letters.awaiting_approval(legal) == []
    kinds = [(r.kind, r.comment) for r in letters.review_history(breach.id, "standard")]
    assert kinds == [("approved", "Relu avec le service juridique."), ("submitted", "")]


def test_requesting_changes_needs_a_comment_and_blocks_approval_until_a_new_version(breach, dpo, legal, helpers):
    template = helpers.make_template(breach, dpo)
    with pytest.raises(LetterError, match="Say what must be changed"):
        letters.request_changes(template, legal, "trop")
    letters.request_changes(template, legal, "Retirez le jargon « DPI » du premier paragraphe.")
    db.session.commit()
    assert letters.changes_requested(template).comment.startswith("Retirez le jargon")
    assert letters.awaiting_approval(legal) == []
    with pytest.raises(LetterError, match="Changes were requested on this version"):
        letters.approve_template(template, legal)
    second = helpers.make_template(breach, dpo, texts={"nature": "Des fichiers ont été copiés."})
    assert letters.awaiting_approval(legal) == [second] and letters.changes_requested(second) is None
    letters.approve_template(second, legal)
    kinds = [(r.template.version, r.kind) for r in letters.review_history(breach.id, "standard")]
    assert kinds == [(2, "approved"), (2, "submitted"), (1, "changes_requested"), (1, "submitted")]
    actions = {entry.action for entry in AuditEntry.query.all()}
    assert {"letters.template_changes_requested", "letters.template_approve"} <= actions


def test_the_author_cannot_request_changes_on_their_own_version(breach, legal, helpers):
    template = helpers.make_template(breach, legal)
    with pytest.raises(LetterError, match="someone other than the author"):
        letters.request_changes(template, legal, "Je me relis moi-même, ce qui ne compte pas.")


def test_another_organisations_templates_never_count(app, breach, dpo, legal, helpers, password):
    other = Organisation(name="Autre groupe")
    db.session.add_all([other, Establishment(organisation=other, name="Autre clinique")])
    db.session.commit()
    other_dpo = make_user(other, "dpo", "dpo@autre.test")
    other_legal = make_user(other, "legal", "legal@autre.test")
    other_breach = create_breach(other_dpo, other.establishments[0])
    db.session.commit()
    helpers.make_template(other_breach, other_dpo)
    mine = helpers.make_template(breach, dpo)
    assert letters.awaiting_approval(legal) == [mine]
    assert [t.breach_id for t in letters.awaiting_approval(other_legal)] == [other_breach.id]
    with pytest.raises(LetterError, match="another organisation"):
        letters.request_changes(mine, other_legal, "Pas mon organisation, et pourtant.")


# --- in the browser's shoes -----------------------------------------------------------------------------------

def test_legal_dashboard_counts_the_templates_waiting(breach, dpo, legal, helpers, login_as):
    client = login_as(legal)
    assert "Aucun modèle de courrier n'attend votre approbation." in text_of(client.get("/"))
    helpers.make_template(breach, dpo)
    helpers.make_template(breach, dpo, variant="mineurs", audience="representatives")
    assert "2 modèles attendent votre approbation" in text_of(client.get("/"))
    assert "attendent votre approbation" not in text_of(login_as(dpo).get("/"))


def test_approving_asks_for_confirmation_and_takes_a_comment(breach, dpo, legal, helpers, login_as):
    template = helpers.make_template(breach, dpo)
    client = login_as(legal)
    url = f"/breaches/{breach.id}/letters/templates/{template.id}"
    page = client.get(url).get_data(as_text=True)
    assert 'name="confirm" value="y" required' in page and 'name="comment"' in page
    refused = client.post(f"{url}/approve", data={"comment": "OK"}, follow_redirects=True)
    assert "Cochez la case de confirmation" in text_of(refused)
    db.session.refresh(template)
    assert not template.approved
    client.post(f"{url}/approve", data={"confirm": "y", "comment": "Conforme à l'art. 34(2)."})
    db.session.refresh(template)
    assert template.approved_by_id == legal.id
    history = text_of(client.get(url))
    assert "v1 · Approuvée · " + legal.email in history and "Conforme à l'art. 34(2)." in history


def test_changes_requested_are_shown_to_the_dpo_on_the_template(breach, dpo, legal, helpers, login_as):
    template = helpers.make_template(breach, dpo)
    client = login_as(legal)
    url = f"/breaches/{breach.id}/letters/templates/{template.id}"
    client.post(f"{url}/request-changes", data={"comment": "Phrase trop longue dans « mesures »."})
    client = login_as(dpo)
    edit = text_of(client.get(f"/breaches/{breach.id}/letters/variants/standard"))
    assert f"Modifications demandées par {legal.email}" in edit and "Phrase trop longue dans « mesures »." in edit
    review = text_of(client.get(url))
    assert "Modifications demandées par" in review
    assert "v1 · Modifications demandées · " + legal.email in review and "v1 · Soumise à l'approbation" in review


def test_the_review_page_shows_the_blocks_in_the_letters_order(breach, dpo, legal, helpers, login_as):
    template = helpers.make_template(breach, dpo, texts={"introduction": "Madame, Monsieur, nous vous écrivons."})
    page = login_as(legal).get(f"/breaches/{breach.id}/letters/templates/{template.id}").get_data(as_text=True)
    order = re.findall(r'data-block="([a-z_]+)"', page)
    assert order == ["introduction", "nature", "consequences", "measures", "advice", "dpo_contact", "complaint",
                     "closing"]
