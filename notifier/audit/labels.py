"""What an audit entry's codes mean, for people: the action and object codes stay in the trail, its hash chain and its
CSV export (machine-read); pages and the PDF show these labels, French msgids of the catalog, instead.

An action without a label (one added later) is shown by its code, never hidden.
"""

from __future__ import annotations

from notifier.core.i18n import N_, translate

ACTION_LABELS: dict[str, str] = {
    "breach.delete": N_("Brouillon de violation supprimé"),
    "hotline.call": N_("Appel à la cellule d'écoute enregistré"),
    "hotline.export": N_("Export des appels de la cellule d'écoute"),
    "hotline.lookup": N_("Patient recherché à l'accueil téléphonique"),
    "hotline.script_approve": N_("Script d'appel approuvé"),
    "hotline.script_save": N_("Script d'appel enregistré"),
    "letters.address_change": N_("Adresse d'un patient changée"),
    "letters.email_bounces": N_("Retours de courriels en erreur appliqués"),
    "letters.email_job_done": N_("Envoi des courriels terminé"),
    "letters.email_job_start": N_("Envoi des courriels lancé"),
    "letters.resend": N_("Courrier revenu renvoyé à une nouvelle adresse"),
    "letters.template_changes_requested": N_("Modifications demandées sur un modèle de courrier"),
    "audit.export": N_("Export du journal d'audit"),
    "audit.rechain": N_("Chaîne d'intégrité recalculée"),
    "breach.close": N_("Violation clôturée"),
    "breach.create": N_("Violation créée"),
    "breach.export": N_("Fiche de violation exportée"),
    "breach.import": N_("Fiche de violation importée"),
    "breach.reopen": N_("Violation rouverte"),
    "breach.update": N_("Violation modifiée"),
    "case.dossier_export": N_("Dossier de la violation exporté"),
    "case.evidence_delete": N_("Pièce supprimée du coffre"),
    "case.evidence_download": N_("Pièce téléchargée"),
    "case.evidence_rekey": N_("Coffre des pièces rechiffré"),
    "case.evidence_thumbnail": N_("Vignette d'une pièce affichée"),
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
    "letters.returned_emailed": N_("Courrier revenu envoyé par courriel"),
    "letters.template_approve": N_("Modèle de courrier approuvé"),
    "letters.template_save": N_("Modèle de courrier enregistré"),
    "letters.track": N_("Suivi postal des courriers importé"),
    "login": N_("Connexion"),
    "login.failed": N_("Échec de connexion"),
    "login.locked": N_("Connexion bloquée"),
    "login.delayed": N_("Connexion ralentie après des échecs"),
    "logout": N_("Déconnexion"),
    "patients.fix": N_("Fiche patient corrigée"),
    "patients.rejected_fix": N_("Ligne rejetée corrigée et ajoutée aux patients"),
    "patients.import_failed": N_("Import de patients en échec"),
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
    "report.cnil_sheet": N_("Fiche de saisie CNIL téléchargée"),
    "report.download": N_("Rapport téléchargé"),
    "report.generate": N_("Rapport généré"),
    "risk.assess": N_("Risque évalué"),
    "risk.override": N_("Décision du DPO sur le risque"),
    "risk.override_not_applied": N_("Décision du DPO sur le risque non appliquée"),
    "risk.reassess_failed": N_("Réévaluation du risque en échec"),
    "user.activate": N_("Compte activé"),
    "user.deactivate": N_("Compte désactivé"),
    "user.create": N_("Compte créé"),
    "user.password_reset": N_("Mot de passe réinitialisé"),
    "user.totp_enabled": N_("Double authentification activée"),
    "user.totp_changed": N_("Double authentification modifiée"),
    "user.totp_change_refused": N_("Modification de la double authentification refusée"),
    "user.password_changed": N_("Mot de passe modifié"),
    "user.create_refused": N_("Création de compte refusée"),
    "user.unlock": N_("Compte débloqué"),
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
    "rejectedline": N_("ligne rejetée"),
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


# The keys of the entries' details (audit.services.record callers), for the trail page; an unknown key is shown as it
# is. The raw details stay one click away (a <details> on the page, the CSV export).
DETAIL_LABELS: dict[str, str] = {
    "format": N_("Format"),
    "via": N_("Par"),
    "reference": N_("Référence"),
    "source_reference": N_("Référence d'origine"),
    "section": N_("Étape"),
    "fields": N_("Champs"),
    "reason": N_("Motif"),
    "closed_at": N_("Clôturée le"),
    "rows": N_("Lignes"),
    "row": N_("Ligne"),
    "import": N_("Import n°"),
    "read": N_("Lignes lues"),
    "accepted": N_("Acceptées"),
    "rejected": N_("Rejetées"),
    "held": N_("Mises en attente"),
    "status": N_("Statut"),
    "holds_cleared": N_("Mises en attente levées"),
    "patients": N_("Patients"),
    "retention_days": N_("Durée de conservation (jours)"),
    "name": N_("Nom"),
    "columns": N_("Colonnes"),
    "kind": N_("Type"),
    "code": N_("Code"),
    "job": N_("Génération n°"),
    "letters": N_("Courriers"),
    "letters_done": N_("Courriers faits"),
    "lots": N_("Lots"),
    "lot": N_("Lot"),
    "draft": N_("Brouillon"),
    "variant": N_("Variante"),
    "version": N_("Version"),
    "lang": N_("Langue"),
    "document": N_("Document"),
    "number": N_("Numéro"),
    "sha256": N_("Empreinte SHA-256"),
    "severity": N_("Gravité"),
    "score": N_("Score"),
    "trigger": N_("Déclencheur"),
    "notify_authority": N_("Notifier la CNIL"),
    "inform_subjects": N_("Informer les personnes"),
    "problems": N_("Problèmes"),
    "email": N_("Courriel"),
    "role": N_("Rôle"),
    "second_factor": N_("Second facteur"),
    "entries": N_("Entrées"),
    "rehashed": N_("Entrées recalculées"),
    "source": N_("Source"),
    "updated": N_("Mis à jour"),
    "by_status": N_("Par statut"),
    "establishment": N_("Établissement"),
    "year": N_("Année"),
}
YES_NO: dict[bool, str] = {True: N_("Oui"), False: N_("Non")}
# Codes found as detail values, by detail key: their labels (the same msgids as the features that own them; the trail
# cannot import those features, which all write to it).
VALUE_LABELS: dict[str, dict[str, str]] = {
    "severity": {"low": N_("Faible"), "medium": N_("Moyenne"), "high": N_("Élevée"), "very_high": N_("Très élevée")},
    "trigger": {"manual": N_("Évaluation par le DPO"), "facts_changed": N_("Faits modifiés dans la fiche"),
                "import": N_("Import JSON")},
    "status": {"ready": N_("prêt pour le courrier"), "held": N_("en attente de vérification")},
}


def detail_label(key: str, lang: str) -> str:
    return translate(DETAIL_LABELS[key], lang) if key in DETAIL_LABELS else key


def detail_value(value, lang: str) -> str:
    """Oui/Non for booleans, Paris time for instants, lists and mappings as short text; "—" when empty."""
    from datetime import datetime

    from notifier.core.formatting import format_count, format_datetime

    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return translate(YES_NO[value], lang)
    if isinstance(value, int):
        return format_count(value, lang) if abs(value) >= 10_000 else str(value)
    if isinstance(value, str):
        try:
            instant = datetime.fromisoformat(value) if len(value) >= 19 and value[4:5] == "-" else None
        except ValueError:
            instant = None
        if instant is not None and instant.tzinfo is not None:
            return format_datetime(instant, lang)
        return value
    if isinstance(value, list):
        return ", ".join(detail_value(item, lang) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{detail_label(str(k), lang)} {detail_value(v, lang)}" for k, v in value.items())
    return str(value)


def describe_details(details: dict | None, lang: str) -> list[tuple[str, str, str]]:
    """[(key, label, value as text)] for the trail page, in the details' order."""
    described = []
    for key, value in (details or {}).items():
        labels = VALUE_LABELS.get(key, {})
        if isinstance(value, str) and value in labels:
            described.append((key, detail_label(key, lang), translate(labels[value], lang)))
        else:
            described.append((key, detail_label(key, lang), detail_value(value, lang)))
    return described
