"""Letters stored as a final generation job leaves them (a number, a status, the events of the print shop and La
Poste), without rendering any PDF: for the public verification page and the hotline desk (fixtures `mailed` and
`add_letters_to` in tests/conftest.py)."""

from datetime import UTC, date, datetime
from types import SimpleNamespace

from notifier.extensions import db
from notifier.letters import services as letters
from notifier.letters.models import Letter, LetterEvent
from notifier.patients.models import Patient, PatientImport

# (IPP, first name, LAST NAME, birth date, street, postcode, city, letter status or None)
PEOPLE = [
    ("IPP-GENUINE-1", "Ghislaine", "VERITABLE", date(1961, 4, 2), "12 RUE DES ORMEAUX", "35000", "RENNES", "posted"),
    ("IPP-GENUINE-2", "Barnabé", "PREPARE", date(1977, 9, 30), "4 AVENUE JEAN JAURES", "13001", "MARSEILLE",
     "generated"),
    ("IPP-NOT-SENT", "Odile", "BROUILLON", date(1988, 1, 15), "8 RUE DES TROIS FRERES", "75018", "PARIS", None),
]


def add_letters(breach, people=PEOPLE):
    upload = PatientImport(breach_id=breach.id, filename="patients.csv", sha256="0" * 64, status="done",
                           read=len(people), accepted=len(people))
    db.session.add(upload)
    db.session.flush()
    made = {}
    for serial, (ipp, first, last, born, street, postcode, city, status) in enumerate(people, start=1):
        patient = Patient(breach_id=breach.id, import_id=upload.id, row_number=serial + 1, patient_id=ipp,
                          civility="mme", first_name=first, last_name=last, birth_date=born,
                          address_lines=[f"Madame {first} {last}", street, f"{postcode} {city}"], postcode=postcode,
                          city=city, status="ready", salutation="Madame,", name_key=last + first.upper())
        db.session.add(patient)
        db.session.flush()
        number = letters.letter_number(serial)
        letter = Letter(breach_id=breach.id, patient_pk=patient.id, serial=serial, number=number, status=status,
                        status_date=date(2026, 3, 17) if status else None,
                        generated_at=datetime(2026, 3, 16, 9, 0, tzinfo=UTC) if status else None)
        db.session.add(letter)
        db.session.flush()
        if status:
            db.session.add(LetterEvent(letter_id=letter.id, status="generated", status_date=date(2026, 3, 16)))
        if status == "posted":
            db.session.add(LetterEvent(letter_id=letter.id, status="posted", status_date=date(2026, 3, 17)))
        made[ipp] = SimpleNamespace(patient=patient, letter=letter,
                                    reference=letters.letter_reference(breach.reference, number))
    db.session.commit()
    return made
