"""The complementary notification reports the people actually informed (GDPR art. 34; EDPB common template,
"communication to data subjects"): letters posted or resent, and the public notice that replaced the letters which
could not reach their person, each with its count and its first and last day, from the letters feature's answer
to events.people_informed."""

from datetime import date

from notifier.extensions import db
from notifier.letters.models import Letter
from notifier.reports import services as reports


def letters(breach, *statuses):
    for number, (status, day) in enumerate(statuses, 1):
        db.session.add(Letter(breach_id=breach.id, serial=number, number=number, status=status, status_date=day))
    db.session.commit()


def test_posted_letters_and_the_public_notice_are_counted_with_their_days(example_breach):
    letters(example_breach, ("posted", date(2026, 10, 28)), ("posted", date(2026, 10, 29)),
            ("resent", date(2026, 11, 5)), ("returned", date(2026, 11, 2)), ("generated", None),
            ("public_notice", date(2026, 11, 12)))
    rows = [(r.channel, r.count, r.first, r.last) for r in reports.people_informed(example_breach, "fr")]
    assert rows == [("Courrier postal", "3", "28 octobre 2026", "5 novembre 2026"),
                    ("Communication publique", "1", "12 novembre 2026", "12 novembre 2026")]
    english = reports.people_informed(example_breach, "en")
    assert [(r.channel, r.first) for r in english][0] == ("Postal letter", "28 October 2026")


def test_nobody_informed_yet_gives_no_rows(example_breach):
    letters(example_breach, ("generated", None), ("printed", date(2026, 10, 27)))
    assert reports.people_informed(example_breach, "fr") == []


def test_the_complementary_cnil_report_states_who_was_informed(example_breach, dpo, pdf):
    reports.generate(example_breach, user=dpo, document="cnil", kind="initial")
    letters(example_breach, ("posted", date(2026, 10, 28)), ("posted", date(2026, 10, 30)))
    version = reports.generate(example_breach, user=dpo, document="cnil", kind="complementary")
    document = reports.read_version(version)
    assert "Personnes effectivement informées" in pdf.text(document)
    assert ["Courrier postal", "2", "28 octobre 2026", "30 octobre 2026"] in pdf.rows(document)
