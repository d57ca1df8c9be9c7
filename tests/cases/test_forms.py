"""The case page's forms (notifier/cases/forms.py): a bad input is refused with a message that names the field and
says what is wrong, in the user's language, and leaves every row as it was."""

import html
import io

import pytest

from notifier.cases import services as cases
from notifier.cases.models import CaseTask, Evidence, Exchange, TimelineEvent
from notifier.cases.states import ExchangeStatus
from notifier.extensions import db

IMPOSSIBLE = "2026-02-30T10:00"  # 30 February


def _flashed(response) -> str:
    assert response.status_code == 200, response.status_code  # followed back to the case page
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def case_page(aware_breach, dpo_client):
    def post(path, data, **kwargs):
        return dpo_client.post(f"/breaches/{aware_breach.id}/case{path}", data=data, follow_redirects=True, **kwargs)
    return post


@pytest.fixture
def exchange(aware_breach, dpo):
    exchange = cases.add_exchange(aware_breach, dpo, direction="in", party="cnil", occurred_at="2026-11-02T10:00",
                                  subject="Demande de compléments", reply_by="2026-11-16T18:00")
    db.session.commit()
    return exchange


# --- the action plan ------------------------------------------------------------------------------------------------

def test_a_task_without_a_title_is_refused_and_nothing_added(case_page):
    before = CaseTask.query.count()
    page = _flashed(case_page("/tasks", {"title": "   ", "anchor": "cnil", "offset": "-6 h"}))
    assert "Intitulé manquant\u00a0: donnez un titre à la tâche." in page
    assert CaseTask.query.count() == before


def test_a_task_for_an_owner_of_another_organisation_is_refused(case_page, outsider):
    before = CaseTask.query.count()
    page = _flashed(case_page("/tasks", {"title": "Prévenir l'assureur", "owner_id": str(outsider.id)}))
    assert "Responsable inconnu\u00a0: choisissez un membre actif de votre organisation." in page
    assert CaseTask.query.count() == before


def test_a_task_due_on_an_impossible_day_is_refused_with_the_day_named(case_page):
    before = CaseTask.query.count()
    page = _flashed(case_page("/tasks", {"title": "Prévenir l'assureur", "due_at": IMPOSSIBLE}))
    assert "Échéance\u00a0: le 30/02/2026 n'existe pas (ce mois n'a que 28 jours)." in page
    page = _flashed(case_page("/tasks", {"title": "Prévenir l'assureur", "due_at": "2026-03-29T02:30"}))
    assert "Échéance\u00a0: 2026-03-29 02:30 n'existe pas en Europe/Paris" in page  # skipped by summer time
    assert CaseTask.query.count() == before


def test_a_task_update_to_another_organisations_user_or_an_unknown_status_changes_nothing(aware_breach, dpo,
                                                                                          case_page, outsider):
    task = cases.tasks(aware_breach)[0]
    owner, status = task.owner_id, task.status
    page = _flashed(case_page(f"/tasks/{task.id}", {"status": "in_progress", "owner_id": str(outsider.id)}))
    assert "Responsable inconnu" in page
    page = _flashed(case_page(f"/tasks/{task.id}", {"status": "finished"}))
    assert "Statut inconnu\u00a0: choisissez à faire, en cours, fait ou sans objet." in page
    db.session.expire_all()
    task = db.session.get(CaseTask, task.id)
    assert (task.owner_id, task.status) == (owner, status)


def test_the_message_is_in_the_users_language(case_page, dpo_client, outsider):
    dpo_client.post("/lang/en", data={"next": "/"})
    assert "Title missing: give the task a title." in _flashed(case_page("/tasks", {"title": ""}))
    page = _flashed(case_page("/tasks", {"title": "x", "due_at": IMPOSSIBLE}))
    assert "Deadline: 30/02/2026 does not exist (that month has only 28 days)." in page
    page = _flashed(case_page("/tasks", {"title": "x", "owner_id": str(outsider.id)}))
    assert "Unknown owner: choose an active member of your organisation." in page


# --- the evidence vault ---------------------------------------------------------------------------------------------

def test_an_oversized_or_empty_file_or_none_is_refused_and_nothing_stored(app, case_page):
    app.config["EVIDENCE_MAX_BYTES"] = 10 * 1024
    page = _flashed(case_page("/evidence", {"file": (io.BytesIO(b"x" * (10 * 1024 + 1)), "capture.png")},
                              content_type="multipart/form-data"))
    assert "Fichier trop volumineux\u00a0: 10 Ko au plus. Rien n'a été enregistré." in page
    page = _flashed(case_page("/evidence", {"file": (io.BytesIO(b""), "vide.pdf")},
                              content_type="multipart/form-data"))
    assert "Fichier vide\u00a0: rien n'a été enregistré." in page
    page = _flashed(case_page("/evidence", {"description": "sans fichier"}, content_type="multipart/form-data"))
    assert "Choisissez un fichier à verser au dossier." in page
    assert Evidence.query.count() == 0


def test_a_description_too_long_is_refused(case_page):
    page = _flashed(case_page("/evidence", {"file": (io.BytesIO(b"rapport"), "rapport.pdf"), "description": "d" * 501},
                              content_type="multipart/form-data"))
    assert "Description trop longue\u00a0: 500 caractères au plus." in page
    assert Evidence.query.count() == 0


def test_a_deletion_without_a_reason_is_refused_and_the_file_kept(aware_breach, dpo, dpo_client):
    evidence = cases.add_evidence(aware_breach, dpo, filename="rapport.pdf", stream=io.BytesIO(b"rapport\n"),
                                  max_bytes=10**6)
    db.session.commit()
    response = dpo_client.post(f"/evidence/{evidence.id}/delete", data={"reason": "  "}, follow_redirects=True)
    assert "Motif manquant\u00a0: dites pourquoi la pièce est supprimée (le motif reste au dossier)." in \
        _flashed(response)
    db.session.expire_all()
    kept = db.session.get(Evidence, evidence.id)
    assert kept.deleted_at is None and kept.storage_name and cases.read_evidence(kept) == b"rapport\n"


# --- the timeline and the exchanges ---------------------------------------------------------------------------------

def test_an_event_on_an_impossible_day_or_without_a_description_is_refused(case_page):
    before = TimelineEvent.query.count()
    page = _flashed(case_page("/timeline", {"occurred_at": IMPOSSIBLE, "kind": "containment",
                                            "description": "Serveur isolé"}))
    assert "Date de l'événement\u00a0: le 30/02/2026 n'existe pas (ce mois n'a que 28 jours)." in page
    page = _flashed(case_page("/timeline", {"occurred_at": "2026-10-23T15:00", "kind": "containment",
                                            "description": ""}))
    assert "Description manquante\u00a0: dites ce qui s'est passé." in page
    page = _flashed(case_page("/timeline", {"occurred_at": "2026-13-01T15:00", "description": "x"}))
    assert "Date de l'événement\u00a0: il n'y a pas de mois 13 (de 1 à 12)." in page
    assert TimelineEvent.query.count() == before


def test_an_exchange_without_a_subject_or_answered_before_it_was_sent_is_refused(case_page):
    base = {"direction": "in", "party": "cnil", "occurred_at": "2026-11-02T10:00", "subject": "Questions"}
    page = _flashed(case_page("/exchanges", {**base, "subject": ""}))
    assert "Objet manquant\u00a0: de quoi parle ce courrier\u00a0?" in page
    page = _flashed(case_page("/exchanges", {**base, "reply_by": "2026-11-01T10:00"}))
    assert "Date de réponse attendue\u00a0: elle doit suivre la date de l'échange." in page
    page = _flashed(case_page("/exchanges", {**base, "reply_by": "2026-11-31T10:00"}))
    assert "Date de réponse attendue\u00a0: le 31/11/2026 n'existe pas (ce mois n'a que 30 jours)." in page
    page = _flashed(case_page("/exchanges", {**base, "party": "journaliste"}))
    assert "Correspondant inconnu\u00a0: choisissez-le dans la liste." in page
    assert Exchange.query.count() == 0


def test_an_answer_on_an_impossible_day_leaves_the_exchange_awaiting(case_page, exchange):
    page = _flashed(case_page(f"/exchanges/{exchange.id}/answered", {"answered_at": IMPOSSIBLE}))
    assert "Date de la réponse\u00a0: le 30/02/2026 n'existe pas" in page
    db.session.expire_all()
    assert db.session.get(Exchange, exchange.id).status == ExchangeStatus.AWAITING_REPLY


# --- the administrator's plan template ------------------------------------------------------------------------------

def test_a_template_row_with_an_unreadable_offset_leaves_the_template_as_it_was(admin, login_as, breach):
    client = login_as(admin)
    before = cases.plan_template(admin.organisation_id)
    response = client.post("/admin/plan-template", data={
        "rows": "2", "title-0": "Réunir la cellule de crise", "anchor-0": "aware", "offset-0": "+2 h",
        "owner_role-0": "dpo", "title-1": "Prévenir l'assureur", "anchor-1": "aware", "offset-1": "demain",
        "owner_role-1": "dpo"}, follow_redirects=True)
    page = html.unescape(response.get_data(as_text=True))
    assert "Ligne 2\u00a0: décalage illisible\u00a0: 'demain'" in page
    assert cases.plan_template(admin.organisation_id) == before and cases.is_default_template(admin.organisation_id)
    response = client.post("/admin/plan-template", data={
        "rows": "1", "title-0": "Réunir la cellule de crise", "anchor-0": "aware", "offset-0": "+2 h",
        "owner_role-0": "viewer"}, follow_redirects=True)
    assert "Ligne 1\u00a0: Rôle inconnu\u00a0: dpo ou legal." in html.unescape(response.get_data(as_text=True))
    assert cases.is_default_template(admin.organisation_id)


def test_random_text_in_every_case_form_is_refused_or_stored_never_a_server_error(aware_breach, dpo_client):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    nasty = st.one_of(st.text(st.characters(exclude_categories=("Cs",)), max_size=80),
                      st.sampled_from(["2026-02-30T25:61", "0000-02-29T10:00", "31/13/2026 10:00", "9" * 40, "-1",
                                       "2026-10-23T14:20", "+6 h", "cnil", "<script>", "\x00"]))
    forms = {"/tasks": ("title", "owner_id", "due_at", "anchor", "offset", "notes"),
             "/timeline": ("occurred_at", "kind", "description", "evidence_ids"),
             "/exchanges": ("direction", "party", "occurred_at", "subject", "reference", "reply_by", "notes")}

    @settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(path=st.sampled_from(sorted(forms)), values=st.lists(nasty, min_size=7, max_size=7))
    def post(path, values):
        data = dict(zip(forms[path], values, strict=False))
        response = dpo_client.post(f"/breaches/{aware_breach.id}/case{path}", data=data)
        assert response.status_code in (302, 400), (path, data, response.status_code)  # 400: a NUL byte, app-wide

    post()
