"""What one feature announces and others act on, so that dependencies between features run one way.

A feature that owns a record announces what happened to it (a step saved, patients about to be forgotten, a report
generated); the features built on top of it subscribe. The announcing feature does not import its subscribers: risk
reads the breach, the breach does not call risk. Receivers run synchronously, in the sender's transaction, in the
order they were connected; a receiver that raises stops the use case, as a direct call would.

Subscriptions are made by each feature's ``subscriptions.py``, which ``notifier.create_app`` imports explicitly
(``_register_features``): no receiver depends on an import side effect elsewhere.

The signals use blinker (Flask's own signal library). Each says who sends it and with which keyword arguments."""

from blinker import Namespace

_signals = Namespace()

#: sender: the Breach; kwargs: user, step_code, changed (field names). Sent by breaches.services.save_step after the
#: step's values were applied and before the flush, so that a subscriber's change moves the breach's version once.
breach_step_saved = _signals.signal("breach-step-saved")

#: sender: the Breach just created (wizard or JSON import, flushed); kwargs: user. Subscribers add what a new breach
#: starts with (cases: the action plan from the organisation's template).
breach_created = _signals.signal("breach-created")

#: sender: the Breach created from a JSON document; kwargs: user, document (the dict imported).
breach_imported = _signals.signal("breach-imported")

#: sender: the JSON document (dict) about to be imported; kwargs: lang. Each receiver returns a list of
#: (path, message) problems for the parts of the document it owns (risk: ``risk_facts``); any problem refuses the
#: whole document.
breach_document_checking = _signals.signal("breach-document-checking")

#: sender: the breach id whose patients are about to be deleted (purge, art. 5(1)(e)); no kwargs. Subscribers delete
#: what they hold of the patients (letters: lots and manifests, the link from a letter to its patient).
patients_forgetting = _signals.signal("patients-forgetting")

#: sender: the Breach; kwargs: now. Each receiver returns a list of deadlines (breaches.rules.deadlines.Clock) its
#: feature owns, or None (letters: the letters to send, GDPR art. 34(1)); breaches.services.clocks adds them to the
#: breach's own, so that the nearest deadline, the checklist and the iCalendar file see every clock.
breach_clocks_wanted = _signals.signal("breach-clocks-wanted")

#: sender: the Breach; no kwargs. The risk feature returns the verdict in force (risk.services.decision: a dict, or
#: None before any assessment), for the breach's own pages (the step menu, "Information des personnes").
risk_decision_wanted = _signals.signal("risk-decision-wanted")

#: sender: the Breach whose CNIL report is being written; kwargs: lang. Each receiver returns an annex for it,
#: {"title": str, "items": [str, ...]} already in ``lang``, or None (the case feature: the incident's timeline).
report_annexes = _signals.signal("report-annexes")

#: sender: the organisation id; kwargs: lang. Each receiver returns a dashboard chart (breaches.charts.Chart) or None.
dashboard_charts = _signals.signal("dashboard-charts")

#: sender: the ReportVersion just generated; kwargs: user.
report_generated = _signals.signal("report-generated")

#: sender: the LetterJob that just finished (status done); no kwargs.
letter_job_finished = _signals.signal("letter-job-finished")

#: sender: the PatientImport that just finished (status done); kwargs: user.
patients_imported = _signals.signal("patients-imported")

#: sender: the Breach; no kwargs. Each receiver returns {channel: {"count": int, "first": datetime | None,
#: "last": datetime | None}} for the people its feature informed (letters: "letter", "public_notice"; e-mails:
#: "email"): the complementary notification reports them (GDPR art. 34; EDPB template, "communication to data
#: subjects").
people_informed = _signals.signal("people-informed")

#: sender: the Breach about to be closed; no kwargs. Each receiver returns a list of warnings (translated texts) the
#: closing page shows and the DPO confirms (an exchange with the CNIL still awaiting a reply, tasks still open).
breach_closing = _signals.signal("breach-closing")

#: sender: the hotline call just logged; kwargs: breach, patient (or None), reason (str code), user, new_address
#: (list of address lines, or None). Subscribers act on it: an address change goes to the returned-mail flow of
#: letters (a new letter is sent); a request to exercise rights becomes a task of the case's action plan.
hotline_call_logged = _signals.signal("hotline-call-logged")


def gathered(results: list[tuple[object, object]]) -> list[object]:
    """The non-empty values returned by the receivers of a ``send``, in connection order."""
    return [value for _receiver, value in results if value]
