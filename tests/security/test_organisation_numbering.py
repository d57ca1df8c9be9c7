"""One organisation learns nothing of another's activity from numbers (issue 12, point 11): breach references are
numbered per organisation and year, and the audit page counts and pages the organisation's own entries only."""

import re

import pytest
from sqlalchemy.exc import IntegrityError

from notifier.accounts.organisations import Establishment, Organisation
from notifier.audit import services as audit
from notifier.breaches import services as breaches
from notifier.breaches.models import Breach
from notifier.core.types import utcnow
from notifier.extensions import db
from tests.conftest import make_user


@pytest.fixture
def other_dpo(app):
    other = Organisation(name="Centre Hospitalier Voisin")
    db.session.add(other)
    db.session.add(Establishment(organisation=other, name="CH Voisin", siren="552100555", finess="750000002",
                                 address="1 rue Voisine, 75011 Paris", dpo_name="Marc Petit",
                                 dpo_email="dpo@voisin.test"))
    db.session.commit()
    return make_user(other, "dpo", "dpo@voisin.test")


def test_another_organisation_s_first_breach_is_number_one(dpo, establishment, other_dpo):
    year = utcnow().year
    first = breaches.create_breach(dpo, establishment)
    second = breaches.create_breach(dpo, establishment)
    theirs = breaches.create_breach(other_dpo, other_dpo.organisation.establishments[0])
    assert (first.reference, second.reference) == (f"VIO-{year}-0001", f"VIO-{year}-0002")
    assert theirs.reference == f"VIO-{year}-0001"
    assert breaches.create_breach(dpo, establishment).reference == f"VIO-{year}-0003"


def test_numbering_follows_the_highest_number_not_the_count(dpo, establishment):
    year = utcnow().year
    breaches.create_breach(dpo, establishment)
    gone = breaches.create_breach(dpo, establishment)
    gone.reference = f"VIO-{year}-0041"  # e.g. imported with its own number
    db.session.commit()
    assert breaches.next_reference(dpo.organisation_id, year) == f"VIO-{year}-0042"
    assert breaches.next_reference(dpo.organisation_id, year + 1) == f"VIO-{year + 1}-0001"


def test_a_reference_is_unique_within_its_organisation(dpo, establishment):
    first = breaches.create_breach(dpo, establishment)
    db.session.add(Breach(organisation_id=first.organisation_id, establishment_id=first.establishment_id,
                          reference=first.reference, sections=first.sections, created_by_id=dpo.id))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_the_audit_page_counts_and_pages_the_organisation_s_entries_only(app, login_as, dpo, establishment,
                                                                         other_dpo, monkeypatch):
    from notifier.audit import views

    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    for _ in range(6):
        audit.record("test.theirs", user=other_dpo)
    db.session.commit()
    legal = make_user(dpo.organisation, "legal")
    audit.record("test.mine", user=dpo)
    audit.record("test.mine", user=dpo)
    db.session.commit()
    client = login_as(legal)
    mine = db.session.query(audit.AuditEntry).filter_by(organisation_id=dpo.organisation_id).count()
    assert mine == 5 and db.session.query(audit.AuditEntry).count() == 12  # 2 accounts, 2 actions, the login
    first = client.get("/audit/").get_data(as_text=True)
    assert re.search(r"Chaîne d'intégrité vérifiée\s?:\s5\sentrées", first)
    assert "test.theirs" not in first and "Plus anciennes" in first
    second = client.get("/audit/?page=2").get_data(as_text=True)
    assert "test.theirs" not in second and "Plus anciennes" not in second and "Plus récentes" in second
