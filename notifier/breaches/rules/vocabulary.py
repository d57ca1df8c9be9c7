"""Choice lists of the CNIL online notification form (notifications.cnil.fr) and the EDPB common breach
notification template (June 2026), as stable codes with French labels: the labels are msgids of the catalog
(notifier/translations), translated where they are shown with ``label(choices, code, lang)``.

Codes are what is stored and exported; labels are only shown. Never rename a code: add a new one.
Sources: the CNIL téléservice and the choice lists in the CNIL's published breach data; EDPB common template.
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
