"""The call script is written by the DPO and approved by legal, never by its author (four eyes), version by version:
the desk reads the latest approved version, and a newer draft changes nothing until it is approved."""

import pytest

from notifier.extensions import db
from notifier.hotline import services as hotline
from tests.hotline.conftest import full_texts


def test_the_dpo_writes_versions_and_legal_approves_them(breach, dpo, legal):
    first = hotline.save_script(breach, dpo, texts=full_texts(), phone="01 02 03 04 05")
    assert (first.version, first.approved) == (1, False)
    assert hotline.approved_script(breach.id) is None
    hotline.approve_script(first, legal)
    db.session.commit()
    assert hotline.approved_script(breach.id).id == first.id
    second = hotline.save_script(breach, dpo, texts={**full_texts(), "data": "Autre texte."}, phone="01 02 03 04 05")
    db.session.commit()
    assert second.version == 2 and hotline.approved_script(breach.id).id == first.id  # the draft waits
    with pytest.raises(hotline.HotlineError, match="already approved"):
        hotline.approve_script(first, legal)
    third = hotline.save_script(breach, dpo, texts=full_texts(), phone="01 02 03 04 05")
    with pytest.raises(hotline.HotlineError, match="newer version exists"):
        hotline.approve_script(second, legal)  # superseded before its approval
    hotline.approve_script(third, legal)
    assert hotline.approved_script(breach.id).id == third.id


def test_nobody_approves_their_own_version(breach, legal, organisation):
    from tests.conftest import make_user

    other_legal = make_user(organisation, "legal", "juriste2@lilas.test")
    from notifier.permissions import PERMISSIONS

    # Only the DPO writes; a legal user who could write would still not approve their own version.
    assert "legal" not in PERMISSIONS["hotline.script.edit"]
    from notifier.hotline.models import CallScript

    own = CallScript(organisation_id=breach.organisation_id, breach_id=breach.id, version=1, texts=full_texts(),
                     phone="01", hours="", notice_url="", created_by_id=legal.id)
    db.session.add(own)
    db.session.commit()
    with pytest.raises(hotline.HotlineError) as refused:
        hotline.approve_script(own, legal)
    assert "auteur" in refused.value.message("fr")
    hotline.approve_script(own, other_legal)
    assert own.approved


def test_only_the_dpo_writes_and_only_legal_approves(breach, dpo, legal, viewer):
    with pytest.raises(hotline.HotlineError):
        hotline.save_script(breach, legal, texts=full_texts(), phone="01")
    script = hotline.save_script(breach, dpo, texts=full_texts(), phone="01")
    for user in (dpo, viewer):
        with pytest.raises(hotline.HotlineError):
            hotline.approve_script(script, user)
    assert not script.approved


def test_an_incomplete_script_cannot_be_approved(breach, dpo, legal):
    script = hotline.save_script(breach, dpo, texts={**full_texts(), "rights": ""}, phone="")
    with pytest.raises(hotline.HotlineError) as refused:
        hotline.approve_script(script, legal)
    assert "Exercer ses droits" in refused.value.message("fr") and "Information line" in refused.value.message("en")


def test_the_public_notice_address_must_be_https(breach, dpo):
    for bad in ("http://www.lilas.test/avis", "javascript:alert(1)", 'https://x.test/"><script>'):
        with pytest.raises(hotline.HotlineError):
            hotline.save_script(breach, dpo, texts=full_texts(), phone="01", notice_url=bad)


def test_the_script_pages_follow_the_four_eyes_rule(breach, dpo, legal, login_as, client):
    dpo_client = login_as(dpo)
    data = {**full_texts(), "phone": "0 800 00 12 34", "hours": "9 h - 18 h", "notice_url": ""}
    assert dpo_client.post(f"/hotline/breaches/{breach.id}/script", data=data).status_code == 302
    page = dpo_client.get(f"/hotline/breaches/{breach.id}/script").get_data(as_text=True)
    assert "Version 1" in page and "non approuvée" in page and "Approuver cette version" not in page
    script = hotline.current_script(breach.id)
    assert dpo_client.post(f"/hotline/breaches/{breach.id}/script/{script.id}/approve", data={}).status_code == 403
    dpo_client.post("/logout")
    legal_client = login_as(legal)
    page = legal_client.get(f"/hotline/breaches/{breach.id}/script").get_data(as_text=True)
    assert "Approuver cette version" in page
    assert legal_client.post(f"/hotline/breaches/{breach.id}/script", data=data).status_code == 403
    assert legal_client.post(f"/hotline/breaches/{breach.id}/script/{script.id}/approve", data={}).status_code == 302
    db.session.expire_all()
    assert hotline.approved_script(breach.id).id == script.id
