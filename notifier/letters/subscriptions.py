"""What letters does when other features announce something (notifier/core/events.py). Connected once, when
notifier.create_app imports this module."""

from sqlalchemy import select, update

from notifier.core import events
from notifier.extensions import db
from notifier.letters import emails, jobs
from notifier.letters.models import Letter, LetterEmail, LetterJob
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


@events.people_informed.connect
def emailed(breach, **_):
    """The patients informed by e-mail, for the complementary notification (GDPR art. 34)."""
    return emails.people_informed(breach)
