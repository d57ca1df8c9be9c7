"""Tracking each letter's fate: one by one or in bulk from the print shop's or La Poste's CSV, all or nothing; the
counts by status; references that survive a typo check; the public notice of art. 34(3)(c)."""

import itertools
from datetime import date

import pytest

from notifier.extensions import db
from notifier.letters import jobs as letter_jobs
from notifier.letters import services as letters
from notifier.letters.models import Letter, LetterEvent


@pytest.fixture
def sent(breach, dpo, legal, tmp_path, helpers):
    """Ten letters generated (one lot, run in this process): their manifest rows."""
    helpers.bulk_patients(breach, 10)
    helpers.make_template(breach, dpo, approver=legal)
    job = letter_jobs.start_job(breach, user=None, out_dir=tmp_path / "out", lot_size=20).job
    assert letter_jobs.run_chunk(job.id, 1) == "done"
    return helpers.read_manifest(tmp_path / "out" / "manifest.csv")


def track(breach, text: str, user=None, **options):
    rows = letters.read_tracking_csv(text.encode("utf-8"))
    result = letters.apply_tracking(breach, rows, user=user, **options)
    if result.ok:
        db.session.commit()
    else:
        db.session.rollback()
    return result


def test_a_list_of_references_returned_by_la_poste_marks_them_returned(breach, dpo, sent):
    returned = [row["reference"] for row in sent[:3]]
    result = track(breach, "reference\n" + "\n".join(returned) + "\n", user=dpo, default_date=date(2026, 4, 2))
    assert (result.ok, result.updated, result.by_status) == (True, 3, {"returned": 3})
    assert letters.breach_letter_counts(breach.id) == {"generated": 7, "returned": 3}
    events = LetterEvent.query.all()
    assert {(e.status, e.status_date, e.recorded_by_id) for e in events} == {("returned", date(2026, 4, 2), dpo.id)}


def test_status_and_date_columns_in_the_print_shops_words_are_understood(breach, sent):
    refs = [row["reference"] for row in sent]
    text = ("\ufeffRéférence;Statut;Date\n"
            f"{refs[0]};imprimé;01/04/2026\n{refs[1]};Posté;2026-04-02\n{refs[2]};NPAI;05/04/2026\n"
            f"{refs[2]};renvoyé;09/04/2026\n{refs[3]};avis public;10/04/2026\n")
    result = track(breach, text)
    assert result.ok, [p.message("en") for p in result.problems]
    statuses = {letter.number: (letter.status, letter.status_date) for letter in Letter.query}
    by_reference = {ref: statuses[letters.parse_reference(breach.reference, ref)] for ref in refs[:4]}
    assert by_reference == {refs[0]: ("printed", date(2026, 4, 1)), refs[1]: ("posted", date(2026, 4, 2)),
                            refs[2]: ("resent", date(2026, 4, 9)), refs[3]: ("public_notice", date(2026, 4, 10))}
    assert LetterEvent.query.count() == 5  # the returned-then-re-sent letter keeps both events


def test_a_file_with_any_bad_line_changes_nothing_and_lists_every_problem(breach, sent):
    good = sent[0]["reference"]
    other_breach = "VIO-2025-0042-1234567-X"
    typo = good[:-3] + ("1" if good[-3] != "1" else "2") + good[-2:]
    number = letters.parse_reference(breach.reference, good)
    unknown = letters.letter_reference(breach.reference, (number + 1) % 10_000_000)
    text = (f"reference,status,date\n{good},posted,2026-04-02\n{other_breach},posted,\n{typo},posted,\n"
            f"{unknown},posted,\n{good},lost,\n{good},posted,32/13/2026\n")
    result = track(breach, text)
    assert [(p.line, p.code) for p in result.problems] == [
        (3, "malformed_reference"), (4, "malformed_reference"), (5, "unknown_reference"), (6, "unknown_status"),
        (7, "bad_date")]
    assert result.updated == 0
    assert letters.breach_letter_counts(breach.id) == {"generated": 10}
    assert LetterEvent.query.count() == 0
    french = result.problems[3].message("fr")
    assert french.startswith("ligne 6\u00a0: ") and french.endswith("statut inconnu «\u00a0lost\u00a0»")


def test_a_file_without_a_reference_column_is_refused(breach, sent):
    with pytest.raises(letters.LetterError, match="No \"reference\" column"):
        letters.read_tracking_csv(b"ref_courrier;statut\nX;posted\n")


def test_letters_generated_only_as_drafts_cannot_be_tracked(breach, dpo, helpers, tmp_path):
    helpers.bulk_patients(breach, 3)
    helpers.make_template(breach, dpo)
    job = letter_jobs.start_job(breach, user=None, out_dir=tmp_path / "drafts", draft=True, lot_size=20).job
    assert letter_jobs.run_chunk(job.id, 1) == "done"
    reference = helpers.read_manifest(tmp_path / "drafts" / "manifest.csv")[0]["reference"]
    result = letters.set_status(breach, reference, "posted", user=dpo)
    assert [p.code for p in result.problems] == ["not_generated"]


def test_counts_by_status_cover_the_organisations_breaches_only(breach, dpo, sent, organisation, establishment):
    from notifier.accounts.organisations import Establishment, Organisation
    from notifier.accounts.services import add_user
    from notifier.breaches.services import create_breach

    letters.set_status(breach, sent[0]["reference"], "posted", user=dpo)
    db.session.commit()
    other_org = Organisation(name="Autre groupe")
    other_site = Establishment(organisation=other_org, name="Autre clinique")
    db.session.add_all([other_org, other_site])
    db.session.commit()
    stranger = add_user("dpo@autre.test", "dpo", "correct horse battery staple", organisation=other_org)
    create_breach(stranger, other_site)
    assert letters.letter_counts_by_status(organisation.id) == {"generated": 9, "posted": 1}
    assert letters.letter_counts_by_status(other_org.id) == {}


def test_returned_letters_are_replaced_by_the_public_notice(breach, dpo, sent, helpers):
    track(breach, "reference\n" + "\n".join(row["reference"] for row in sent[:2]), user=dpo)
    assert letters.replace_returned_by_notice(breach, user=dpo) == 2
    db.session.commit()
    assert letters.breach_letter_counts(breach.id) == {"generated": 8, "public_notice": 2}
    text = " ".join(helpers.pdf_text(letters.public_notice_pdf(breach, via="cli")).split())
    assert "Avis public" in text and "article 34, paragraphe 3, point c)" in text
    assert breach.reference in text and "www.cnil.fr/plaintes" in text
    assert "Ce que nous vous conseillons de faire" in text
    assert "PROJET" not in text  # the letter's texts are approved


def test_a_reference_check_character_catches_a_wrong_character_or_two_swapped():
    reference = letters.letter_reference("VIO-2026-0001", 4301788)
    assert letters.parse_reference("VIO-2026-0001", reference) == 4301788
    assert letters.parse_reference("VIO-2026-0001", reference.lower().replace("-", " - ", 1)) == 4301788
    body = reference[len("VIO-2026-0001-"):]
    digits = [i for i, char in enumerate(body) if char.isdigit()]
    for index, replacement in itertools.product(digits, "0123456789"):
        if body[index] != replacement:
            changed = body[:index] + replacement + body[index + 1:]
            assert letters.parse_reference("VIO-2026-0001", "VIO-2026-0001-" + changed) is None
    for index in digits[:-1]:
        swapped = body[:index] + body[index + 1] + body[index] + body[index + 2:]
        if swapped != body:
            assert letters.parse_reference("VIO-2026-0001", "VIO-2026-0001-" + swapped) is None
    assert letters.parse_reference("VIO-2026-0002", reference) is None


def test_the_numbers_the_database_assigns_follow_the_python_formula(breach, helpers):
    """assign_numbers computes the numbers in SQL; each stored (serial, number) is letters.letter_number's, up to
    the largest serials (64-bit arithmetic on PostgreSQL)."""
    last = letters.MAX_LETTERS_PER_BREACH - 20
    db.session.add(Letter(breach_id=breach.id, serial=last, number=letters.letter_number(last), status="posted"))
    ready = sum(1 for patient in helpers.add_patients(breach) if patient.status == "ready")
    letter_jobs.assign_numbers(breach)
    stored = db.session.execute(db.select(Letter.serial, Letter.number).where(Letter.breach_id == breach.id)).all()
    assert sorted(serial for serial, _ in stored) == list(range(last, last + ready + 1))
    assert all(number == letters.letter_number(serial) for serial, number in stored)


def test_letter_numbers_are_unique_and_do_not_follow_each_other():
    numbers = [letters.letter_number(serial) for serial in range(1, 100_001)]
    assert len(set(numbers)) == len(numbers) and all(0 <= n < 10_000_000 for n in numbers)
    assert sum(1 for a, b in itertools.pairwise(numbers) if abs(a - b) == 1) == 0


def test_the_letters_to_send_are_a_deadline_on_their_date_until_every_letter_is_posted(breach, dpo, legal, sent):
    """GDPR art. 34(1), issue 13 point 3: an approved letter (dated 16 March 2026) is a clock of the breach, due at
    the end of that day in Paris, among the breach's clocks (the nearest deadline, the checklist, the calendar) while
    letters remain to send; gone once every one is posted."""
    from datetime import UTC, datetime, timedelta

    from notifier.breaches import services as breaches

    breach.aware_at = datetime.now(UTC) - timedelta(hours=6)
    db.session.commit()
    clock = next(c for c in breaches.clocks(breach) if c.code == "patient_letters")
    assert clock.due == datetime(2026, 3, 16, 22, 59, tzinfo=UTC)  # 23:59 in Paris (UTC+1 in March)
    assert clock.done_at is None and clock.label == "Courriers aux patients à envoyer"
    refs = [row["reference"] for row in sent]
    track(breach, "reference;statut\n" + "".join(f"{ref};posté\n" for ref in refs[:9]), default_date=date(2026, 3, 16))
    assert "patient_letters" in {c.code for c in breaches.clocks(breach)}  # one letter still to post
    track(breach, f"reference;statut\n{refs[9]};posté\n", default_date=date(2026, 3, 16))
    assert "patient_letters" not in {c.code for c in breaches.clocks(breach)}


def test_no_letters_clock_before_a_variant_is_approved(breach, dpo, helpers):
    from datetime import UTC, datetime, timedelta

    from notifier.breaches import services as breaches

    breach.aware_at = datetime.now(UTC) - timedelta(hours=6)
    helpers.make_template(breach, dpo)
    assert "patient_letters" not in {c.code for c in breaches.clocks(breach)}
