"""What an audit entry's codes mean, for people: the action and object codes stay in the trail, its hash chain and its
CSV export (machine-read); pages and the PDF show these labels, French msgids of the catalog, instead.

An action without a label (one added later) is shown by its code, never hidden.
"""

from __future__ import annotations

from notifier.core.i18n import N_, translate

ACTION_LABELS: dict[str, str] = {
    "audit.export": N_("Export du journal d'audit"),
    "breach.close": N_("Violation clôturée"),
    "breach.create": N_("Violation créée"),
    "breach.export": N_("Fiche de violation exportée"),
    "breach.import": N_("Fiche de violation importée"),
    "breach.update": N_("Violation modifiée"),
    "case.dossier_export": N_("Dossier de la violation exporté"),
    "case.evidence_delete": N_("Pièce supprimée du coffre"),
    "case.evidence_download": N_("Pièce téléchargée"),
    "case.evidence_rekey": N_("Coffre des pièces rechiffré"),
    "case.evidence_upload": N_("Pièce versée au coffre"),
    "case.exchange_add": N_("Échange enregistré"),
    "case.exchange_answered": N_("Réponse à un échange enregistrée"),
    "case.plan_start": N_("Plan d'action créé"),
    "case.plan_template_reset": N_("Plan d'action type rétabli"),
    "case.plan_template_save": N_("Plan d'action type enregistré"),
    "case.reminders_sent": N_("Rappels envoyés par courriel"),
    "case.task_add": N_("Tâche ajoutée"),
    "case.task_update": N_("Tâche modifiée"),
    "case.timeline_add": N_("Événement ajouté à la chronologie"),
    "establishment.save": N_("Établissement enregistré"),
    "letters.job_done": N_("Génération des courriers terminée"),
    "letters.job_resume": N_("Génération des courriers reprise"),
    "letters.job_start": N_("Génération des courriers lancée"),
    "letters.lot_download": N_("Lot de courriers téléchargé"),
    "letters.manifest_download": N_("Bordereau de lot téléchargé"),
    "letters.preview": N_("Aperçu d'un courrier"),
    "letters.public_notice": N_("Courriers remplacés par l'avis public"),
    "letters.public_notice_pdf": N_("Avis public téléchargé"),
    "letters.reprint": N_("Courrier réimprimé"),
    "letters.template_approve": N_("Modèle de courrier approuvé"),
    "letters.template_save": N_("Modèle de courrier enregistré"),
    "letters.track": N_("Suivi postal des courriers importé"),
    "login": N_("Connexion"),
    "login.failed": N_("Échec de connexion"),
    "login.locked": N_("Connexion bloquée"),
    "logout": N_("Déconnexion"),
    "patients.fix": N_("Fiche patient corrigée"),
    "patients.import": N_("Import de patients lancé"),
    "patients.import_cancelled": N_("Import de patients abandonné"),
    "patients.import_done": N_("Import de patients terminé"),
    "patients.import_refused": N_("Fichier de patients refusé"),
    "patients.mapping_saved": N_("Correspondance des colonnes enregistrée"),
    "patients.purge": N_("Liste des patients purgée"),
    "patients.rejected_download": N_("Lignes rejetées téléchargées"),
    "patients.upload": N_("Fichier de patients déposé"),
    "register.export": N_("Registre des violations exporté"),
    "report.archive_corrupted": N_("Archive de rapport altérée"),
    "report.download": N_("Rapport téléchargé"),
    "report.generate": N_("Rapport généré"),
    "risk.assess": N_("Risque évalué"),
    "risk.override": N_("Décision du DPO sur le risque"),
    "risk.override_not_applied": N_("Décision du DPO sur le risque non appliquée"),
    "risk.reassess_failed": N_("Réévaluation du risque en échec"),
    "user.activate": N_("Compte activé"),
    "user.create": N_("Compte créé"),
    "user.password_reset": N_("Mot de passe réinitialisé"),
    "user.totp_enabled": N_("Double authentification activée"),
}

# object_type is the lower-cased model class name (audit.services.record).
OBJECT_LABELS: dict[str, str] = {
    "breach": N_("violation"),
    "breachchange": N_("modification de violation"),
    "casetask": N_("tâche du plan d'action"),
    "evidence": N_("pièce"),
    "exchange": N_("échange"),
    "plantemplate": N_("plan d'action type"),
    "timelineevent": N_("événement de la chronologie"),
    "establishment": N_("établissement"),
    "importmapping": N_("correspondance de colonnes"),
    "letter": N_("courrier"),
    "letterchunk": N_("paquet de courriers"),
    "letterevent": N_("suivi de courrier"),
    "letterjob": N_("génération de courriers"),
    "letteroutput": N_("lot de courriers"),
    "lettertemplate": N_("modèle de courrier"),
    "organisation": N_("organisme"),
    "patient": N_("patient"),
    "patientimport": N_("import de patients"),
    "reportversion": N_("version de rapport"),
    "riskassessment": N_("évaluation du risque"),
    "user": N_("compte"),
}


def action_label(action: str, lang: str) -> str:
    """'breach.create' -> 'Violation créée' (or 'Breach created'); an unknown code is shown as it is."""
    return translate(ACTION_LABELS[action], lang) if action in ACTION_LABELS else action


def object_label(object_type: str | None, lang: str) -> str:
    if not object_type:
        return ""
    return translate(OBJECT_LABELS[object_type], lang) if object_type in OBJECT_LABELS else object_type
