"""What letters does when other features announce something (notifier/core/events.py). Connected once, when
notifier.create_app imports this module."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import aliased

from notifier.breaches.states import BreachStatus
from notifier.core import events
from notifier.extensions import db
from notifier.letters import emails, jobs, returns
from notifier.letters.models import Letter, LetterEmail, LetterJob
from notifier.letters.states import LetterStatus
from notifier.patients.models import Patient


@events.patients_forgetting.connect
def forget_patients_in_letters(breach_id, **_):
    """The breach's patients are about to be deleted (GDPR art. 5(1)(e)): the lots and manifests that print their
    names and addresses go, and each letter (and e-mail) keeps its reference and status but no longer points to its
    patient. The lots' SHA-256 stay on the jobs, as proof of what was printed. E-mails never copied the address."""
    for job in db.session.scalars(select(LetterJob).where(LetterJob.breach_id == breach_id)):
        jobs.remove_job_files(job)
    patient_ids = select(Patient.id).where(Patient.breach_id == breach_id)
    db.session.execute(update(Letter).where(Letter.patient_pk.in_(patient_ids)).values(patient_pk=None),
                       execution_options={"synchronize_session": False})
    db.session.execute(update(LetterEmail).where(LetterEmail.patient_pk.in_(patient_ids)).values(patient_pk=None),
                       execution_options={"synchronize_session": False})


@events.dashboard_charts.connect
def letters_chart(organisation_id, *, lang, **_):
    """The dashboard's "letters by status" chart (none while the organisation has no letter)."""
    from notifier.letters.charts import letters_by_status

    return letters_by_status(organisation_id, lang)


@events.hotline_call_logged.connect
def _address_given_on_the_phone(call, *, breach=None, patient=None, user=None, new_address=None, lang="fr",
                                **_ignored):
    """A patient who calls the hotline with a new address: the address is checked and changed, and a letter already
    generated is re-sent to it (returns.change_address). The outcome is returned to the sender: a refused address
    (its errors in `lang`) refuses the call (hotline.services.log_call: the agent corrects it with the caller)."""
    if not new_address or patient is None or breach is None or user is None:
        return None
    if breach.status == BreachStatus.CLOSED:
        return None  # no letter goes out for a closed breach; the call itself is still logged

    return returns.change_address(breach, patient, new_address, user=user, source="hotline", lang=lang)

PARIS = ZoneInfo("Europe/Paris")

CHANNELS = {
    # A letter informs its person once it is in the post; a returned one did not reach them (until resent).
    # A resent letter counts once: by its replacement once posted (returns.py links it), or as itself when it was
    # re-posted by hand (tracking status "resent" with no replacement letter).
    "letter": (LetterStatus.POSTED, LetterStatus.RESENT),
    # GDPR art. 34(3)(c): a letter that cannot reach its person is replaced by the public communication.
    "public_notice": (LetterStatus.PUBLIC_NOTICE,),
}


def _day(value) -> datetime | None:
    """A tracking date (a day, as La Poste reports it) as the start of that day in Paris."""
    return datetime.combine(value, time(0), tzinfo=PARIS) if value is not None else None


@events.people_informed.connect
def count_people_informed(breach, **_kwargs) -> dict[str, dict]:
    result = {}
    replacement = aliased(Letter)
    for channel, statuses in CHANNELS.items():
        count, first, last = db.session.execute(
            select(func.count(Letter.id), func.min(Letter.status_date), func.max(Letter.status_date))
            .where(Letter.breach_id == breach.id, Letter.status.in_([s.value for s in statuses]),
                   ~select(replacement.id).where(replacement.resent_from_id == Letter.id).exists())).one()
        if count:
            result[channel] = {"count": count, "first": _day(first), "last": _day(last)}
    return result


@events.people_informed.connect
def emailed(breach, **_):
    """The patients informed by e-mail, for the complementary notification (GDPR art. 34)."""
    return emails.people_informed(breach)


@events.breach_clocks_wanted.connect
def letters_to_send(breach, *, now, **_):
    """The letters still to send (GDPR art. 34(1)): once a variant in force is approved, a deadline on the date
    printed on the letters (the earliest of the approved variants), until every letter generated has been posted (or
    e-mailed): none generated yet, or some still "generated" or "printed"."""
    from notifier.breaches.rules.deadlines import letters_to_send_clock
    from notifier.letters import services

    approved = [template for template in services.current_templates(breach.id) if template.approved_at is not None]
    if not approved:
        return None
    counts = services.breach_letter_counts(breach.id)
    if counts and not counts.get(LetterStatus.GENERATED) and not counts.get(LetterStatus.PRINTED):
        return None
    return [letters_to_send_clock(min(template.letter_date for template in approved), now=now)]
