"""The hotline desk (issue 17): find one patient, show the letter's fate and the approved call script, log calls.

- Search: by the letter's reference (its check character is verified, letters.services.parse_reference), or by last
  name plus birth date, both exact. One patient or none, never a list: two people sharing a last name and a birth
  date give none, and the desk asks for the reference (GDPR art. 5(1)(c) and 32: a hotline agent reaches one
  record at a time, for the caller on the line).
- Call script: versions written by the DPO, approved by legal, never by its author (four eyes, as the letter
  templates of letters.services.approve_template). The desk reads the latest approved version.
- Calls: reason, outcome, note; each logged call is announced (core.events.hotline_call_logged): the letters'
  returned-mail flow acts on an address change, the case's action plan on a request to exercise rights.
- Counts by reason and by day, and their CSV export (counts only, formula-safe cells)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from notifier.accounts.models import User
from notifier.audit import services as audit
from notifier.breaches.closing import ensure_open
from notifier.breaches.models import Breach
from notifier.core import events
from notifier.core.errors import Refusal
from notifier.core.i18n import N_, translate
from notifier.core.spreadsheet import safe_cell
from notifier.core.types import utcnow
from notifier.extensions import db
from notifier.hotline.models import CallScript, HotlineCall
from notifier.hotline.states import CallOutcome, CallReason
from notifier.letters import services as letters
from notifier.letters.models import Letter, LetterEmail, LetterEvent, LetterJob, LetterOutput, LetterTemplate
from notifier.patients.models import Patient
from notifier.patients.services import search_key

PARIS = ZoneInfo("Europe/Paris")
TEXT_LIMIT = 5000
NOTE_LIMIT = 2000
ADDRESS_LINES = 6  # NF Z10-011: six lines, seven abroad, the first of which is the name (made from the file)

# The call script's sections, as the issue lists them; all are required for approval.
SECTIONS: dict[str, str] = {
    "what_happened": N_("Ce qui s'est passé"),
    "data": N_("Les données concernées"),
    "what_to_do": N_("Ce que la personne peut faire"),
    "never_ask": N_("Ce que nous ne demanderons jamais"),
    "rights": N_("Exercer ses droits"),
    "complaint": N_("Réclamation auprès de la CNIL"),
}
# Starting texts the DPO adapts; the law they cite: GDPR art. 15-22 (rights), art. 77 (complaint).
DEFAULT_TEXTS: dict[str, str] = {
    "never_ask": N_("Nous ne vous demanderons jamais vos coordonnées bancaires, vos mots de passe, les codes reçus "
                    "par SMS ni aucun paiement, ni par téléphone, ni par courriel, ni par SMS. Toute demande de ce "
                    "type faite en notre nom est une fraude."),
    "rights": N_("Vous pouvez demander l'accès à vos données, leur rectification, leur effacement ou la limitation "
                 "de leur traitement, et vous opposer à celui-ci (RGPD, articles 15 à 22), en écrivant au délégué à "
                 "la protection des données de l'établissement."),
    "complaint": N_("Vous pouvez adresser une réclamation à la CNIL (RGPD, article 77)\u00a0: www.cnil.fr/plaintes ou "
                    "CNIL, 3 place de Fontenoy, TSA 80715, 75334 Paris Cedex 07."),
}
REASON_LABELS: dict[str, str] = {
    CallReason.GENUINE: N_("Le courrier est-il authentique\u00a0?"),
    CallReason.WHAT_DATA: N_("Quelles données sont concernées\u00a0?"),
    CallReason.ADDRESS_CHANGED: N_("Changement d'adresse"),
    CallReason.FRAUD_FEAR: N_("Crainte d'une fraude"),
    CallReason.RIGHTS: N_("Exercice de droits"),
    CallReason.COMPLAINT: N_("Réclamation"),
    CallReason.PRESS: N_("Presse"),
    CallReason.OTHER: N_("Autre"),
}
OUTCOME_LABELS: dict[str, str] = {
    CallOutcome.ANSWERED: N_("Réponse donnée"),
    CallOutcome.CALLBACK: N_("À rappeler"),
    CallOutcome.ESCALATED: N_("Transmis au DPO"),
    CallOutcome.REDIRECTED: N_("Réorienté"),
}


class HotlineError(Refusal):
    """A request of the desk that cannot be met; ``message(lang)`` is one line in that language."""


class IncompleteScript(HotlineError):
    """The sections (and number) an approval still needs, each named in the language of the message."""

    def __init__(self, missing: list[str]):
        self.missing = missing
        super().__init__(N_("Éléments manquants\u00a0: %(missing)s."))

    def message(self, lang: str = "fr") -> str:
        return translate(self.msgid, lang, missing=", ".join(translate(item, lang) for item in self.missing))


# --- call script ----------------------------------------------------------------------------------------------------


def script_versions(breach_id: int) -> list[CallScript]:
    return list(db.session.scalars(select(CallScript).where(CallScript.breach_id == breach_id)
                                   .order_by(CallScript.version.desc())))


def current_script(breach_id: int) -> CallScript | None:
    return db.session.scalar(select(CallScript).where(CallScript.breach_id == breach_id)
                             .order_by(CallScript.version.desc()).limit(1))


def approved_script(breach_id: int) -> CallScript | None:
    """What the desk reads: the latest approved version (a newer draft waits for its approval)."""
    return db.session.scalar(select(CallScript).where(CallScript.breach_id == breach_id,
                                                      CallScript.approved_at.is_not(None))
                             .order_by(CallScript.version.desc()).limit(1))


def default_texts(lang: str = "fr") -> dict[str, str]:
    return {key: translate(DEFAULT_TEXTS[key], lang) if key in DEFAULT_TEXTS else "" for key in SECTIONS}


def _clean(text: str | None, limit: int) -> str:
    text = (text or "").replace("\r\n", "\n").strip()
    if "\x00" in text:
        raise HotlineError(N_("Caractère nul refusé."))
    if len(text) > limit:
        raise HotlineError(N_("Texte trop long\u00a0: %(limit)s caractères au plus."), limit=limit)
    return text


def save_script(breach: Breach, user: User, *, texts: dict[str, str], phone: str = "", hours: str = "",
                notice_url: str = "") -> CallScript:
    """A new version of the breach's call script (never an edit of the previous one: its approval stays its own)."""
    if not user.can("hotline.script.edit"):
        raise HotlineError(N_("Seul le DPO rédige le script d'appel."))
    if user.organisation_id != breach.organisation_id:
        raise HotlineError(N_("Violation d'une autre organisation."))
    ensure_open(breach)
    cleaned = {key: _clean(texts.get(key), TEXT_LIMIT) for key in SECTIONS}
    phone, hours = _clean(phone, 50), _clean(hours, 200)
    notice_url = _clean(notice_url, 500)
    if notice_url and not notice_url.lower().startswith("https://"):
        raise HotlineError(N_("L'adresse de l'avis public doit commencer par https://."))
    if notice_url and any(char in notice_url for char in " \"'<>\n\t"):
        raise HotlineError(N_("L'adresse de l'avis public contient un caractère interdit."))
    previous = current_script(breach.id)
    script = CallScript(organisation_id=breach.organisation_id, breach_id=breach.id,
                        version=(previous.version + 1) if previous else 1, texts=cleaned, phone=phone, hours=hours,
                        notice_url=notice_url, created_by_id=user.id)
    db.session.add(script)
    db.session.flush()
    audit.record("hotline.script_save", user=user, obj=script, breach_id=breach.id,
                 details={"version": script.version})
    return script


def script_problems(script: CallScript) -> list[str]:
    """What an approval needs: every section written and the hotline's number (translated labels by the caller)."""
    missing = [SECTIONS[key] for key in SECTIONS if not (script.texts or {}).get(key, "").strip()]
    if not script.phone.strip():
        missing.append(N_("Numéro d'information"))
    return missing


def approve_script(script: CallScript, user: User) -> CallScript:
    """Four eyes: a legal user approves one version, never its own author, only the latest and complete one."""
    if not user.can("hotline.script.approve"):
        raise HotlineError(N_("Seul un juriste peut approuver le script d'appel."))
    if user.organisation_id != script.organisation_id:
        raise HotlineError(N_("Script d'une autre organisation."))
    ensure_open(db.session.get(Breach, script.breach_id))
    if script.created_by_id is not None and script.created_by_id == user.id:
        raise HotlineError(N_("L'approbateur doit être une autre personne que l'auteur de cette version."))
    if script.approved:
        raise HotlineError(N_("Cette version est déjà approuvée."))
    latest = current_script(script.breach_id)
    if latest is not None and latest.id != script.id:
        raise HotlineError(N_("Une version plus récente existe\u00a0: c'est elle qu'il faut approuver."))
    missing = script_problems(script)
    if missing:
        raise IncompleteScript(missing)
    script.approved_by_id = user.id
    script.approved_at = utcnow()
    audit.record("hotline.script_approve", user=user, obj=script, breach_id=script.breach_id,
                 details={"version": script.version})
    return script


# --- search ---------------------------------------------------------------------------------------------------------


@dataclass
class Search:
    """The outcome of one search: the patient found, or none; ``ambiguous`` when several people matched (none is
    shown, the desk asks for the reference)."""

    patient: Patient | None
    breach: Breach | None = None
    ambiguous: bool = False


def record_lookup(user: User, search: Search, how: str) -> None:
    """Who looked for a patient on the desk, how, and whom they found: access to a health record is traced
    (GDPR art. 32(1)(b); PGSSI-S, traceability of access to health data), a search that found nobody as well (a
    desk fishing for names shows in the trail). Codes and ids only, never the name or birth date typed."""
    outcome = "one" if search.patient is not None else "several" if search.ambiguous else "none"
    audit.record("hotline.lookup", user=user, obj=search.patient,
                 breach_id=search.breach.id if search.breach is not None else None,
                 organisation_id=user.organisation_id, details={"how": how, "found": outcome})


def find_by_reference(organisation_id: int, text: str) -> Search:
    """The patient whose letter carries this reference, among the organisation's breaches; exact (check character
    verified). A letter whose patient list was purged finds nobody."""
    text = "".join((text or "").split()).upper()[:80]
    parts = text.rsplit("-", 2)
    if len(parts) != 3:
        return Search(None)
    breaches = db.session.scalars(select(Breach).where(Breach.organisation_id == organisation_id,
                                                       func.upper(Breach.reference) == parts[0])).all()
    for breach in breaches:
        number = letters.parse_reference(breach.reference, text)
        if number is None:
            continue
        letter = db.session.scalar(select(Letter).where(Letter.breach_id == breach.id, Letter.number == number))
        patient = _patient_of(letter)
        if patient is not None:
            return Search(patient, breach)
    return Search(None)


def _patient_of(letter: Letter | None) -> Patient | None:
    """The patient of a letter, following re-sends: a re-sent letter (letters/returns.py) hands the patient's link
    to its replacement, and a caller may hold the first one (it reached them before they moved)."""
    for _hop in range(20):  # a patient re-sent twenty times is a data problem, not a caller to find
        if letter is None:
            return None
        if letter.patient_pk is not None:
            return db.session.get(Patient, letter.patient_pk)
        letter = db.session.scalar(select(Letter).where(Letter.resent_from_id == letter.id))
    return None


def find_by_name(breach: Breach, last_name: str, birth_date: date | None, first_name: str = "") -> Search:
    """The one patient of the breach with exactly this last name (case, accents, spaces and punctuation ignored:
    "Le Goff" = "LE GOFF" = "legoff") and this birth date. Both are required; a prefix never matches. Two people
    sharing both (twins...) give none, ``ambiguous``: the desk then asks for the reference or the first name, which,
    when given, must match exactly too (a caller whose letter went to the old address has no reference)."""
    key, first_key = search_key(last_name or ""), search_key(first_name or "")
    if not key or birth_date is None:
        return Search(None)
    candidates = db.session.scalars(select(Patient).where(
        Patient.breach_id == breach.id, Patient.name_key.startswith(key, autoescape=True),
        Patient.birth_date == birth_date).limit(50)).all()
    exact = [patient for patient in candidates if search_key(patient.last_name) == key
             and (not first_key or search_key(patient.first_name or "") == first_key)]
    if len(exact) > 1:
        return Search(None, breach, ambiguous=True)
    return Search(exact[0] if exact else None, breach)


@dataclass
class LetterView:
    reference: str | None
    status: str | None
    status_date: date | None
    generated_at: datetime | None
    events: list[tuple[str, date]]
    variant: str | None
    variant_version: int | None
    email: EmailView | None = None


@dataclass
class EmailView:
    """The patient's latest e-mail (GDPR art. 34(1): a direct communication, like the letter): its state and when
    it was accepted by the relay or failed. Never the address nor the relay's text, which may quote it."""
    status: str
    sent_at: datetime | None
    failed_at: datetime | None


def letter_of(patient: Patient, breach: Breach) -> LetterView:
    """The patient's letter as the desk shows it: reference, status and dates, the variant of its last final lot,
    and the patient's latest e-mail. After a re-send the patient's link is on the new letter (letters/returns.py)."""
    letter = db.session.scalar(select(Letter).where(Letter.patient_pk == patient.id))
    email = db.session.execute(select(LetterEmail.status, LetterEmail.sent_at, LetterEmail.failed_at)
                               .where(LetterEmail.patient_pk == patient.id)
                               .order_by(LetterEmail.id.desc()).limit(1)).first()
    email_view = EmailView(*email) if email else None
    if letter is None:
        return LetterView(None, None, None, None, [], None, None, email_view)
    events_rows = db.session.execute(select(LetterEvent.status, LetterEvent.status_date).where(
        LetterEvent.letter_id == letter.id).order_by(LetterEvent.id)).all()
    variant = db.session.execute(
        select(LetterTemplate.variant, LetterTemplate.version)
        .join(LetterOutput, LetterOutput.template_id == LetterTemplate.id)
        .join(LetterJob, LetterJob.id == LetterOutput.job_id)
        .where(LetterOutput.letter_id == letter.id, LetterJob.draft.is_(False))
        .order_by(LetterOutput.job_id.desc()).limit(1)).first()
    return LetterView(
        reference=letters.letter_reference(breach.reference, letter.number) if letter.status else None,
        status=letter.status, status_date=letter.status_date, generated_at=letter.generated_at,
        events=[(status, when) for status, when in events_rows],
        variant=variant[0] if variant else None, variant_version=variant[1] if variant else None, email=email_view)


# --- calls ------------------------------------------------------------------------------------------------------------


def parse_address(text: str | None) -> list[str] | None:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines or None


def log_call(breach: Breach, user: User, *, reason: str, outcome: str, note: str = "",
             patient: Patient | None = None, new_address: list[str] | None = None, lang: str = "fr") -> HotlineCall:
    """Record one call and announce it (core.events.hotline_call_logged). An address change needs the patient and
    the new address without the name (the lines under it, NF Z10-011); the audit entry holds codes only, never the
    note. A new address the returned-mail flow refuses refuses the whole call (nothing is kept: the agent corrects it
    with the caller, the patient would otherwise never get the new letter); one it saves is in
    ``call.address_change`` (letters.returns.AddressChange: the re-sent letter, if any)."""
    if not user.can("hotline.desk"):
        raise HotlineError(N_("Accès réservé à l'accueil téléphonique."))
    if user.organisation_id != breach.organisation_id:
        raise HotlineError(N_("Violation d'une autre organisation."))
    if reason not in set(CallReason):
        raise HotlineError(N_("Motif d'appel inconnu."))
    if outcome not in set(CallOutcome):
        raise HotlineError(N_("Issue de l'appel inconnue."))
    if patient is not None and patient.breach_id != breach.id:
        raise HotlineError(N_("Patient d'une autre violation."))
    note = _clean(note, NOTE_LIMIT)
    if reason == CallReason.ADDRESS_CHANGED:
        if patient is None:
            raise HotlineError(N_("Un changement d'adresse concerne un patient trouvé par la recherche."))
        new_address = [_clean(line, 100) for line in (new_address or []) if line and line.strip()]
        if not 2 <= len(new_address) <= ADDRESS_LINES:
            raise HotlineError(N_("Nouvelle adresse\u00a0: de 2 à 6 lignes, sans le nom (voie, puis code postal et "
                                  "commune)."))
    else:
        new_address = None
    call = HotlineCall(organisation_id=breach.organisation_id, breach_id=breach.id,
                       patient_pk=patient.id if patient else None, reason=reason, outcome=outcome, note=note,
                       created_by_id=user.id)
    db.session.add(call)
    db.session.flush()
    audit.record("hotline.call", user=user, obj=call, breach_id=breach.id,
                 details={"reason": reason, "outcome": outcome, "patient": patient is not None})
    results = events.hotline_call_logged.send(call, breach=breach, patient=patient, reason=reason, user=user,
                                              new_address=new_address, lang=lang)
    changes = [value for _receiver, value in results if hasattr(value, "replacement")]
    refused = [error for change in changes for error in change.errors]
    if refused:
        raise HotlineError(N_("Nouvelle adresse refusée, l'appel n'est pas enregistré\u00a0: %(errors)s"),
                           errors="\u00a0; ".join(refused))  # French typography; English reads it too
    call.address_change = changes[0] if changes else None
    return call


def calls_of(patient: Patient) -> list[HotlineCall]:
    return list(db.session.scalars(select(HotlineCall).where(HotlineCall.patient_pk == patient.id)
                                   .order_by(HotlineCall.created_at.desc()).limit(20)))


def _paris_day(instant: datetime) -> date:
    return instant.astimezone(PARIS).date()


@dataclass
class CallCounts:
    by_reason: dict[str, int]
    days: list[tuple[date, dict[str, int]]]  # newest first, each day's calls by reason
    total: int


def call_counts(breach_id: int, *, days: int = 30) -> CallCounts:
    """Calls of a breach by reason, and by day (Europe/Paris) and reason over the last `days` days."""
    by_reason = dict.fromkeys((reason.value for reason in CallReason), 0)
    for reason, n in db.session.execute(select(HotlineCall.reason, func.count()).where(
            HotlineCall.breach_id == breach_id).group_by(HotlineCall.reason)):
        by_reason[reason] = n
    since = utcnow() - timedelta(days=days + 1)
    per_day: dict[date, dict[str, int]] = {}
    for created_at, reason in db.session.execute(select(HotlineCall.created_at, HotlineCall.reason).where(
            HotlineCall.breach_id == breach_id, HotlineCall.created_at >= since)):
        day = _paris_day(created_at)
        per_day.setdefault(day, dict.fromkeys((r.value for r in CallReason), 0))[reason] += 1
    ordered = sorted(per_day.items(), reverse=True)[:days]
    return CallCounts(by_reason=by_reason, days=ordered, total=sum(by_reason.values()))


def export_counts_csv(breach: Breach, *, user: User | None, lang: str = "fr", via: str = "web") -> bytes:
    """The calls of a breach per day and reason as CSV (UTF-8 with BOM, ";"): counts only, no patient, no note;
    every cell through core.spreadsheet.safe_cell."""
    counts = call_counts(breach.id, days=3660)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([safe_cell(translate(N_("date"), lang)), safe_cell(translate(N_("motif"), lang)),
                     safe_cell(translate(N_("code"), lang)), safe_cell(translate(N_("appels"), lang))])
    for day, reasons in sorted(counts.days):
        for reason, n in reasons.items():
            if n:
                writer.writerow([day.isoformat(), safe_cell(translate(REASON_LABELS[reason], lang)),
                                 safe_cell(reason), n])
    audit.record("hotline.export", user=user, obj=breach, details={"via": via, "calls": counts.total})
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# --- the patients' purge ------------------------------------------------------------------------------------------


def forget_patients(breach_id: int) -> None:
    """Before a breach's patients are deleted (GDPR art. 5(1)(e)): the calls lose their link and their note (it may
    name the caller); their reason, outcome and date stay for the counts."""
    db.session.execute(HotlineCall.__table__.update().where(HotlineCall.breach_id == breach_id)
                       .values(patient_pk=None, note=""))
