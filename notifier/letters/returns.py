"""Returned mail, closed (issue 14 part 3, issue 13 point 11): every letter that came back (NPAI, "n'habite pas à
l'adresse indiquée", from the tracking CSV or marked by hand) is listed until it has an outcome:

- **re-sent**: the DPO enters the patient's new address, checked as at import (NF Z10-011 block and the official
  postcode base, through `patients.services.fix_patient`), and a new letter is drawn with its own reference, linked
  to the first (`Letter.resent_from_id`); the first letter's status becomes "resent" and the patient's link moves to
  the new letter, which goes into the next letter job (`notifier letters generate --new-only`, or "nouveaux
  courriers seulement" on the letters page) and then follows the usual statuses (generated, printed, posted...);
- **public notice**: the person cannot be reached; GDPR art. 34(3)(c) allows a public communication instead
  (`services.public_notice_pdf`), and the letter's status becomes "public_notice".
- **e-mailed**: the patient file gives an e-mail address; one e-mail of the approved text of the patient's variant,
  with the returned letter's own reference, is queued and sent by a one-message e-mail job (`email_returned`,
  through `emails.email_one_patient`: recorded as a LetterEmail, at most one per patient, so asking twice sends
  once); the letter's status becomes "emailed". If that e-mail is then refused or bounced, the letter is to handle
  again (new address or public notice).

`change_address` is the one function other features call when a patient's address changes (the hotline, through
the signal `core.events.hotline_call_logged`, letters/subscriptions.py): it updates the patient and re-sends the
letter that was already generated. Services flush, never commit; the audit entry is written here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import case, func, select

from notifier.accounts.models import User
from notifier.audit import services as audit
from notifier.breaches.closing import ensure_open
from notifier.breaches.models import Breach
from notifier.core.i18n import N_, translate
from notifier.core.types import utcnow
from notifier.extensions import db
from notifier.letters import emails
from notifier.letters.models import Letter, LetterChunk, LetterEmail, LetterEvent, LetterJob
from notifier.letters.services import (
    MAX_LETTERS_PER_BREACH,
    LetterError,
    letter_number,
    letter_reference,
)
from notifier.letters.states import ChunkStatus, EmailStatus, JobStatus, LetterStatus
from notifier.patients import services as patients
from notifier.patients.models import Patient
from notifier.patients.rules.postcodes import VERIFY_REASONS

PAGE_SIZE = 100
ADDRESS_FIELDS = ("address_line2", "address_line3", "street", "address_line5", "postcode", "city", "country")

# What happened to a returned letter, in the order the page lists them; labels are French msgids.
OUTCOMES: dict[str, str] = {
    "to_handle": N_("À traiter"),
    "resent": N_("Renvoyé à une nouvelle adresse"),
    "emailed": N_("Envoyé par courriel"),
    "public_notice": N_("Signalé pour l'avis public"),
}
_OUTCOME_STATUS = {"to_handle": LetterStatus.RETURNED, "resent": LetterStatus.RESENT,
                   "emailed": LetterStatus.EMAILED, "public_notice": LetterStatus.PUBLIC_NOTICE}


@dataclass
class ReturnedLetter:
    letter: Letter
    reference: str
    outcome: str  # a key of OUTCOMES
    patient: Patient | None  # None once the patient list was purged
    replacement: Letter | None  # the new letter of a re-sent one
    replacement_reference: str | None
    email_status: str | None = None  # the patient's e-mail (EmailStatus), if any
    email_pending: bool = False  # e-mailed, its message queued but no job running: the action can be asked again

    @property
    def can_email(self) -> bool:
        """"Envoyer par courriel" applies: a letter to handle whose patient gave an address and was never e-mailed
        in vain, or an e-mailed one whose message is left queued."""
        if self.patient is None or not self.patient.email:
            return False
        if self.outcome == "to_handle":
            return self.email_status not in EmailStatus.failed()
        return self.outcome == "emailed" and self.email_pending

    @property
    def email_failed(self) -> bool:
        return self.outcome == "emailed" and self.email_status in EmailStatus.failed()


@dataclass
class AddressChange:
    errors: list[str]  # empty when saved
    changed: list[str]  # field names
    replacement: Letter | None  # the new letter, when one was re-sent


def outcome_counts(breach_id: int) -> dict[str, int]:
    """Returned letters by outcome (the breach page's letters panel), plus the re-sent letters still waiting for a
    letter job ("awaiting_job")."""
    by_status = dict(db.session.execute(
        select(Letter.status, func.count()).where(Letter.breach_id == breach_id,
                                                  Letter.status.in_(list(_OUTCOME_STATUS.values())))
        .group_by(Letter.status)).all())
    counts = {outcome: int(by_status.get(status, 0)) for outcome, status in _OUTCOME_STATUS.items()}
    counts["awaiting_job"] = db.session.scalar(select(func.count()).select_from(Letter).where(
        Letter.breach_id == breach_id, Letter.resent_from_id.is_not(None), Letter.status.is_(None))) or 0
    return counts


def returned_letters(breach: Breach, *, outcome: str | None = None, page: int = 1,
                     size: int = PAGE_SIZE) -> tuple[list[ReturnedLetter], int]:
    """One page of the returned letters (to handle first, then re-sent, then public notice; by reference number
    within each), and how many there are in all."""
    statuses = [_OUTCOME_STATUS[outcome]] if outcome in _OUTCOME_STATUS else list(_OUTCOME_STATUS.values())
    condition = (Letter.breach_id == breach.id, Letter.status.in_(statuses))
    total = db.session.scalar(select(func.count()).select_from(Letter).where(*condition)) or 0
    rank = case({status: index for index, status in enumerate(_OUTCOME_STATUS.values())}, value=Letter.status)
    found = list(db.session.scalars(select(Letter).where(*condition).order_by(rank, Letter.number)
                                    .offset((max(page, 1) - 1) * size).limit(size)))
    replacements = {letter.resent_from_id: letter for letter in db.session.scalars(select(Letter).where(
        Letter.resent_from_id.in_([letter.id for letter in found])))} if found else {}
    patient_ids = {letter.patient_pk for letter in found if letter.patient_pk}
    patient_ids |= {letter.patient_pk for letter in replacements.values() if letter.patient_pk}
    people = {patient.id: patient for patient in db.session.scalars(select(Patient).where(
        Patient.id.in_(patient_ids)))} if patient_ids else {}
    mails = {email.patient_pk: email for email in db.session.scalars(select(LetterEmail).where(
        LetterEmail.breach_id == breach.id, LetterEmail.patient_pk.in_(patient_ids)))} if patient_ids else {}
    pending = _pending_emails([email.id for email in mails.values() if email.status == EmailStatus.QUEUED])
    rows = []
    for letter in found:
        replacement = replacements.get(letter.id)
        patient_pk = replacement.patient_pk if replacement is not None else letter.patient_pk
        outcome_code = next(code for code, status in _OUTCOME_STATUS.items() if status == letter.status)
        mail = mails.get(patient_pk)
        rows.append(ReturnedLetter(
            letter, letter_reference(breach.reference, letter.number), outcome_code, people.get(patient_pk),
            replacement, letter_reference(breach.reference, replacement.number) if replacement else None,
            email_status=mail.status if mail else None, email_pending=bool(mail and mail.id in pending)))
    return rows, total


def _pending_emails(email_ids: list[int]) -> set[int]:
    """Of these queued e-mails, those no running job will send (their job stopped: superseded, failed)."""
    if not email_ids:
        return set()
    running = select(LetterChunk.id).join(LetterJob, LetterJob.id == LetterChunk.job_id).where(
        LetterChunk.job_id == LetterEmail.job_id, LetterChunk.chunk_no == LetterEmail.chunk_no,
        LetterJob.status == JobStatus.RUNNING, LetterChunk.status.in_([ChunkStatus.PENDING, ChunkStatus.RUNNING]))
    return set(db.session.scalars(select(LetterEmail.id).where(LetterEmail.id.in_(email_ids), ~running.exists())))


def get_returned(breach: Breach, letter_id: int) -> Letter | None:
    letter = db.session.get(Letter, letter_id)
    return letter if letter is not None and letter.breach_id == breach.id else None


def _event(letter: Letter, status: str, *, user: User | None, source: str, when: date) -> None:
    letter.status, letter.status_date = status, when
    db.session.add(LetterEvent(letter_id=letter.id, status=status, status_date=when, recorded_at=utcnow(),
                               recorded_by_id=user.id if user else None, source=source[:100]))


def _new_letter(breach: Breach, first: Letter, patient: Patient) -> Letter:
    """The replacement of `first`: the next serial of the breach, its own number (reference), the patient's link."""
    serial = (db.session.scalar(select(func.coalesce(func.max(Letter.serial), 0)).where(
        Letter.breach_id == breach.id)) or 0) + 1
    if serial > MAX_LETTERS_PER_BREACH:
        raise LetterError(N_("Trop de courriers pour une seule violation."))
    first.patient_pk = None  # one letter per patient (uq on patient_pk): the link moves to the new letter
    db.session.flush()
    replacement = Letter(breach_id=breach.id, patient_pk=patient.id, serial=serial, number=letter_number(serial),
                         resent_from_id=first.id)
    db.session.add(replacement)
    db.session.flush()
    return replacement


def _address_form(lines_or_fields: Mapping[str, Any] | Iterable[str]) -> dict[str, str]:
    """The patient's address fields from a form (field -> value) or from address lines (the hotline's): the last
    line is "postcode city", the one before it the street (line 4), earlier ones lines 2 and 3."""
    if isinstance(lines_or_fields, Mapping):
        return {field: str(lines_or_fields.get(field) or "") for field in ADDRESS_FIELDS if field in lines_or_fields}
    lines = [" ".join(str(line).split()) for line in lines_or_fields if str(line).strip()]
    if not lines:
        return {}
    postcode, _, city = lines[-1].partition(" ")
    if not postcode.replace(" ", "").isdigit():
        postcode, city = "", lines[-1]
    form = {"postcode": postcode, "city": city.strip(), "street": lines[-2] if len(lines) > 1 else "",
            "address_line5": "", "country": ""}
    earlier = lines[:-2]
    form["address_line2"] = earlier[0] if earlier else ""
    form["address_line3"] = " ".join(earlier[1:]) if len(earlier) > 1 else ""
    return form


def change_address(breach: Breach, patient: Patient, lines_or_fields: Mapping[str, Any] | Iterable[str], *,
                   user: User, source: str, lang: str = "fr", when: date | None = None,
                   refuse_unverified: bool = False) -> AddressChange:
    """A patient's new address (form fields, or address lines), checked as at import; when the patient's letter was
    already generated (posted, returned...), it is re-sent: a new letter with its own reference. Nothing is saved
    when the address is refused (its errors are returned in `lang`). An address whose postcode and city disagree
    with the official base is saved and the patient held `address_to_verify` (the hotline: what the patient said is
    kept for the DPO to check), or refused with the base's suggestions when `refuse_unverified` (the DPO typing it
    on the returned-mail page corrects it there). Flushed, not committed."""
    ensure_open(breach)
    if patient.breach_id != breach.id:
        raise LetterError(N_("Patient d'une autre violation."))
    form = _address_form(lines_or_fields)
    if not form:
        return AddressChange([translate(N_("Indiquez la nouvelle adresse."), lang)], [], None)
    if refuse_unverified:
        disputed = patients.check_postcode(form.get("postcode", ""), form.get("city", ""), form.get("country", ""))
        if disputed is not None:
            message = translate(VERIFY_REASONS[disputed.reason], lang)
            if disputed.suggestions:
                message += translate(N_("\u00a0; la base propose\u00a0: %(suggestions)s"), lang,
                                     suggestions=", ".join(s.line for s in disputed.suggestions[:10]))
            return AddressChange([message], [], None)
    fixed = patients.fix_patient(patient, form, clear_holds=[], reason="", user=user, lang=lang)
    if fixed.errors:
        return AddressChange(fixed.errors, fixed.changed, None)
    letter = db.session.scalar(select(Letter).where(Letter.patient_pk == patient.id))
    replacement = None
    if letter is not None and letter.status is not None:
        replacement = _resend(breach, letter, patient, user=user, source=source, when=when or date.today())
    audit.record("letters.address_change", user=user, obj=patient, breach_id=breach.id,
                 details={"fields": fixed.changed, "source": source[:100], "patient_status": patient.status,
                          "resent_as": letter_reference(breach.reference, replacement.number)
                          if replacement else None})
    return AddressChange([], fixed.changed, replacement)


def _resend(breach: Breach, letter: Letter, patient: Patient, *, user: User | None, source: str,
            when: date) -> Letter:
    _event(letter, LetterStatus.RESENT, user=user, source=source, when=when)
    replacement = _new_letter(breach, letter, patient)
    audit.record("letters.resend", user=user, obj=letter, breach_id=breach.id,
                 details={"reference": letter_reference(breach.reference, letter.number),
                          "new_reference": letter_reference(breach.reference, replacement.number),
                          "source": source[:100]})
    return replacement


def _to_handle(letter: Letter) -> bool:
    """A returned letter without an outcome, or e-mailed in vain (the e-mail refused or bounced)."""
    if letter.status == LetterStatus.RETURNED:
        return True
    if letter.status != LetterStatus.EMAILED or letter.patient_pk is None:
        return False
    return bool(db.session.scalar(select(func.count()).select_from(LetterEmail).where(
        LetterEmail.patient_pk == letter.patient_pk, LetterEmail.status.in_(EmailStatus.failed()))))


def resend(breach: Breach, letter: Letter, fields: Mapping[str, Any], *, user: User, lang: str = "fr",
           when: date | None = None) -> AddressChange:
    """A returned letter re-sent to the new address typed on the returned-mail page."""
    if letter.breach_id != breach.id or not _to_handle(letter):
        raise LetterError(N_("Ce courrier n'est pas un courrier revenu à traiter."))
    patient = db.session.get(Patient, letter.patient_pk) if letter.patient_pk else None
    if patient is None:
        raise LetterError(N_("La fiche du patient n'existe plus (liste purgée)\u00a0: renvoi impossible."))
    return change_address(breach, patient, fields, user=user, source="web:returned", lang=lang, when=when,
                          refuse_unverified=True)


def mark_public_notice(breach: Breach, letter: Letter, *, user: User | None, when: date | None = None) -> None:
    """GDPR art. 34(3)(c): this person cannot be reached by letter; the public communication informs them."""
    ensure_open(breach)
    if letter.breach_id != breach.id or not _to_handle(letter):
        raise LetterError(N_("Ce courrier n'est pas un courrier revenu à traiter."))
    _event(letter, LetterStatus.PUBLIC_NOTICE, user=user, source="web:returned", when=when or date.today())
    audit.record("letters.public_notice", user=user, obj=letter, breach_id=breach.id,
                 details={"letters": 1, "reference": letter_reference(breach.reference, letter.number)})


def email_returned(breach: Breach, letter: Letter, *, user: User | None, config, when: date | None = None):
    """GDPR art. 34(1), a direct communication: a returned letter replaced by one e-mail of the approved text to the
    address the patient file gives (`emails.email_one_patient`: one e-mail per patient, asking twice sends once).
    The letter's status becomes "emailed". Returns the one-message job to run (None when nothing is left to send).
    Flushed, not committed."""
    ensure_open(breach)
    if letter.breach_id != breach.id or letter.status not in (LetterStatus.RETURNED, LetterStatus.EMAILED):
        raise LetterError(N_("Ce courrier n'est pas un courrier revenu à traiter."))
    patient = db.session.get(Patient, letter.patient_pk) if letter.patient_pk else None
    if patient is None:
        raise LetterError(N_("La fiche du patient n'existe plus (liste purgée)\u00a0: envoi impossible."))
    queued = emails.email_one_patient(breach, patient, user=user, config=config, source="web:returned")
    reference = letter_reference(breach.reference, letter.number)
    if letter.status == LetterStatus.RETURNED:
        _event(letter, LetterStatus.EMAILED, user=user, source="web:returned", when=when or date.today())
    audit.record("letters.returned_emailed", user=user, obj=letter, breach_id=breach.id,
                 details={"reference": reference, "email_status": queued.email.status,
                          "job": queued.job.id if queued.job else None})
    return queued.job
