"""Choice lists of the CNIL online notification form (notifications.cnil.fr) and the EDPB common breach
notification template, as stable codes with French labels: the labels are msgids of the catalog
(notifier/translations), translated where they are shown with ``label(choices, code, lang)``.

Codes are what is stored and exported; labels are only shown. Never rename a code: add a new one.
Sources: the CNIL téléservice and the choice lists in the CNIL's published breach data; EDPB common template.

The EDPB common template of June 2026 is a DRAFT put to public consultation, not a final text: its field names and
lists may still change. Our codes follow it where it is settled; every list that comes from it is marked
``# EDPB template (draft)`` below, so that updating the mapping means changing those lists only (new codes added,
none renamed), see docs/breach-format.md.
"""

from notifier.core.i18n import N_, translate

Choices = dict[str, str]
"""code -> French label (a msgid)."""

NOTIFICATION_TYPES: Choices = {
    # GDPR art. 33(4): information may be provided in phases.
    "initial": N_("Notification initiale (à compléter)"),
    "complete": N_("Notification initiale complète"),
    "complementary": N_("Notification complémentaire"),
}

NATURES: Choices = {
    # EDPB Guidelines 9/2022 §15: confidentiality, integrity, availability breaches.
    "confidentiality": N_("Perte de confidentialité"),
    "integrity": N_("Perte d'intégrité"),
    "availability": N_("Perte de disponibilité"),
}

CONFIDENTIALITY_SUBTYPES: Choices = {
    "unauthorised_access": N_("Accès non autorisé"),
    "exfiltration": N_("Copie ou exfiltration de données"),
    "disclosure": N_("Divulgation à un tiers non autorisé"),
    "publication": N_("Publication (internet, forum…)"),
}
INTEGRITY_SUBTYPES: Choices = {
    "modification": N_("Modification non autorisée"),
    "deletion": N_("Suppression non autorisée"),
    "corruption": N_("Corruption de données"),
}
AVAILABILITY_SUBTYPES: Choices = {
    "encryption": N_("Chiffrement par un rançongiciel"),
    "destruction": N_("Destruction"),
    "loss": N_("Perte (support, matériel)"),
    "temporary_outage": N_("Indisponibilité temporaire"),
}

ORIGINS: Choices = {
    "equipment_lost_stolen": N_("Équipement perdu ou volé"),
    "paper_lost_stolen": N_("Papier perdu, volé ou laissé accessible"),
    "mail_lost_opened": N_("Courrier perdu ou ouvert avant retour à l'expéditeur"),
    "hacking_malware_phishing": N_("Piratage, logiciel malveillant (rançongiciel…) et/ou hameçonnage"),
    "paper_discarded": N_("Mise au rebut de documents papier sans destruction"),
    "devices_discarded": N_("Mise au rebut d'appareils sans effacement sécurisé"),
    "unintended_publication": N_("Publication non volontaire d'informations"),
    "wrong_person_portal": N_("Données de la mauvaise personne affichées sur un portail"),
    "wrong_recipient": N_("Données envoyées à un mauvais destinataire"),
    "verbal_disclosure": N_("Informations divulguées verbalement"),
    "other": N_("Autre"),
}

CAUSES: Choices = {
    "internal_malicious": N_("Acte interne malveillant"),
    "internal_accidental": N_("Acte interne accidentel"),
    "external_malicious": N_("Acte externe malveillant"),
    "external_accidental": N_("Acte externe accidentel"),
    "unknown": N_("Inconnue"),
    "other": N_("Autre"),
}

PEOPLE_CATEGORIES: Choices = {
    "employees": N_("Salariés"),
    "users": N_("Usagers"),
    "members": N_("Adhérents"),
    "students": N_("Étudiants, élèves"),
    "military": N_("Militaires"),
    "customers": N_("Clients"),
    "patients": N_("Patients"),
    "minors": N_("Mineurs"),
    "vulnerable": N_("Personnes vulnérables"),
    "not_determined": N_("Pas encore déterminé"),
    "other": N_("Autre"),
}

# The CNIL's bands for the approximate number of people concerned.
PEOPLE_COUNT_BANDS: Choices = {
    "0_5": N_("0 à 5"),
    "6_50": N_("6 à 50"),
    "51_300": N_("51 à 300"),
    "301_5000": N_("301 à 5 000"),
    "more_than_5000": N_("Plus de 5 000"),
}

DATA_CATEGORIES: Choices = {
    "civil_status": N_("État civil, identité"),
    "nir": N_("Numéro de sécurité sociale (NIR)"),
    "contact": N_("Coordonnées (adresse, téléphone, courriel)"),
    "identification": N_("Données d'identification ou d'accès"),
    "financial": N_("Données économiques et financières"),
    "official_documents": N_("Documents officiels (pièce d'identité…)"),
    "location": N_("Données de localisation"),
    "offences": N_("Infractions, condamnations"),
    # GDPR art. 9(1): special categories.
    "health": N_("Données de santé"),
    "genetic": N_("Données génétiques"),
    "biometric": N_("Données biométriques"),
    "racial_ethnic": N_("Origine raciale ou ethnique"),
    "political": N_("Opinions politiques"),
    "religious": N_("Convictions religieuses ou philosophiques"),
    "trade_union": N_("Appartenance syndicale"),
    "sex_life": N_("Vie sexuelle ou orientation sexuelle"),
    "other": N_("Autre"),
    # EDPB template (draft) and CNIL form: the data concerned may not be known yet when notifying (art. 33(4)).
    "not_yet_known": N_("Pas encore connues"),
}

CONSEQUENCES: Choices = {
    "loss_of_control": N_("Perte de contrôle sur leurs données"),
    "limitation_of_rights": N_("Limitation de leurs droits"),
    "discrimination": N_("Discrimination"),
    "identity_theft": N_("Vol ou usurpation d'identité"),
    "fraud": N_("Fraude"),
    "pseudonymisation_reversal": N_("Levée non autorisée de la pseudonymisation"),
    "financial_loss": N_("Pertes financières"),
    "reputation_damage": N_("Atteinte à la réputation"),
    "loss_of_professional_secrecy": N_("Perte du secret professionnel (secret médical)"),
    "other": N_("Autre"),
}

# The CNIL form's four levels of severity of the consequences for the people.
SEVERITY_LEVELS: Choices = {
    "negligible": N_("Négligeable"),
    "limited": N_("Limité"),
    "significant": N_("Important"),
    "maximum": N_("Maximal"),
}

INFORMATION_STATUSES: Choices = {
    "done": N_("Les personnes ont été informées"),
    "will_be": N_("Les personnes vont être informées"),
    "not_determined": N_("Pas encore déterminé"),
    "will_not_be": N_("Les personnes ne seront pas informées"),
}

INFORMATION_CHANNELS: Choices = {
    "letter": N_("Courrier postal"),
    "email": N_("Courriel"),
    "sms": N_("SMS"),
    "phone": N_("Téléphone"),
    "patient_portal": N_("Portail patient"),
    "public_notice": N_("Communication publique"),
    "other": N_("Autre"),
}

# GDPR art. 34(3): when the people need not be told individually.
ART_34_3_EXCEPTIONS: Choices = {
    "34.3.a": N_("Art. 34(3)(a) : données rendues incompréhensibles (chiffrement, clé non compromise)"),
    "34.3.b": N_("Art. 34(3)(b) : mesures ultérieures rendant le risque élevé improbable"),
    "34.3.c": N_("Art. 34(3)(c) : efforts disproportionnés, communication publique à la place"),
}

NOTIFICATION_STATES: Choices = {
    # EDPB template (draft): a notification is complete, incomplete (to be completed, GDPR art. 33(4)) or withdrawn
    # (the controller found that no personal data breach occurred, or that it was unlikely to result in a risk).
    "complete": N_("Complète"),
    "incomplete": N_("Incomplète (à compléter)"),
    "withdrawn": N_("Retirée"),
}

BREACH_CERTAINTIES: Choices = {
    # EDPB template (draft); EDPB Guidelines 9/2022 §33: a notification may be made while the breach is still being
    # investigated ("reasonable degree of certainty").
    "established": N_("Avérée"),
    "suspected": N_("Suspectée"),
}

SECURITY_MEASURES: Choices = {
    # EDPB template (draft), "measures in place before the breach"; GDPR art. 32(1) names encryption,
    # pseudonymisation, resilience and the ability to restore availability (backups).
    "encryption_at_rest": N_("Chiffrement des données stockées"),
    "encryption_in_transit": N_("Chiffrement des échanges"),
    "pseudonymisation": N_("Pseudonymisation"),
    "access_control": N_("Contrôle et gestion des habilitations"),
    "strong_authentication": N_("Authentification forte"),
    "logging": N_("Journalisation des accès"),
    "backups": N_("Sauvegardes"),
    "network_segmentation": N_("Cloisonnement du réseau"),
    "malware_protection": N_("Protection contre les logiciels malveillants"),
    "staff_awareness": N_("Sensibilisation du personnel"),
    "physical_security": N_("Sécurité physique des locaux et des supports"),
    "other": N_("Autre"),
}

HDS_STATUSES: Choices = {
    # Code de la santé publique art. L.1111-8: a host of health data must be certified (hébergeur de données de
    # santé, HDS).
    "certified": N_("Certifié HDS"),
    "not_certified": N_("Non certifié HDS"),
    "not_applicable": N_("Sans objet (n'héberge pas de données de santé)"),
    "unknown": N_("Inconnu"),
}

CONSEQUENCE_NATURES: Choices = {
    # The CNIL form's "nature des conséquences potentielles", by kind of breach; besides the harms (CONSEQUENCES).
    "disclosed_beyond_need": N_("Données diffusées plus que nécessaire, hors de la maîtrise des personnes"),
    "cross_referenced": N_("Données pouvant être croisées ou rapprochées avec d'autres informations"),
    "misused": N_("Données pouvant être utilisées à d'autres fins ou de manière déloyale"),
    "altered_and_used": N_("Données modifiées et utilisées alors qu'elles n'étaient plus valables"),
    "altered_to_divert": N_("Données modifiées en d'autres données valables, détournant les traitements"),
    "unavailable": N_("Données perdues ou inaccessibles, empêchant de rendre le service"),
    "other": N_("Autre"),
}

RISK_METHODS: Choices = {
    # EDPB template (draft), "risk assessment: method and outcome".
    "enisa": N_("ENISA (2013), méthode de l'application"),
    "other": N_("Autre méthode (précisez)"),
}

ARS_RESPONSE_STATES: Choices = {
    # Arrêté du 30 octobre 2017 (signalement des incidents de sécurité des SI), "état de la prise en charge".
    "analysis": N_("En cours d'analyse"),
    "containment": N_("En cours de confinement"),
    "remediation": N_("Incident maîtrisé, remédiation en cours"),
    "resolved": N_("Incident clos"),
}

VOCABULARIES: dict[str, Choices] = {
    "notification_types": NOTIFICATION_TYPES,
    "natures": NATURES,
    "confidentiality_subtypes": CONFIDENTIALITY_SUBTYPES,
    "integrity_subtypes": INTEGRITY_SUBTYPES,
    "availability_subtypes": AVAILABILITY_SUBTYPES,
    "origins": ORIGINS,
    "causes": CAUSES,
    "people_categories": PEOPLE_CATEGORIES,
    "people_count_bands": PEOPLE_COUNT_BANDS,
    "data_categories": DATA_CATEGORIES,
    "consequences": CONSEQUENCES,
    "severity_levels": SEVERITY_LEVELS,
    "information_statuses": INFORMATION_STATUSES,
    "information_channels": INFORMATION_CHANNELS,
    "art_34_3_exceptions": ART_34_3_EXCEPTIONS,
    "notification_states": NOTIFICATION_STATES,
    "breach_certainties": BREACH_CERTAINTIES,
    "security_measures": SECURITY_MEASURES,
    "hds_statuses": HDS_STATUSES,
    "consequence_natures": CONSEQUENCE_NATURES,
    "risk_methods": RISK_METHODS,
    "ars_response_states": ARS_RESPONSE_STATES,
}


def label(choices: Choices, code: str, lang: str = "fr") -> str:
    """The label of a code in the user's language; an unknown code is shown as itself rather than hidden."""
    text = choices.get(code)
    return code if text is None else translate(text, lang)


def people_count_band(count: int) -> str:
    """The CNIL band for an exact number of people."""
    if count <= 5:
        return "0_5"
    if count <= 50:
        return "6_50"
    if count <= 300:
        return "51_300"
    if count <= 5000:
        return "301_5000"
    return "more_than_5000"
