"""Choice lists of the CNIL online notification form (notifications.cnil.fr) and the EDPB common breach
notification template (June 2026), as stable codes with French and English labels.

Codes are what is stored and exported; labels are only shown. Never rename a code: add a new one.
Sources: the CNIL téléservice and the choice lists in the CNIL's published breach data; EDPB common template.
"""

Choices = dict[str, tuple[str, str]]

NOTIFICATION_TYPES: Choices = {
    # GDPR art. 33(4): information may be provided in phases.
    "initial": ("Notification initiale (à compléter)", "Initial notification (to be completed)"),
    "complete": ("Notification initiale complète", "Complete initial notification"),
    "complementary": ("Notification complémentaire", "Complementary notification"),
}

NATURES: Choices = {
    # EDPB Guidelines 9/2022 §15: confidentiality, integrity, availability breaches.
    "confidentiality": ("Perte de confidentialité", "Loss of confidentiality"),
    "integrity": ("Perte d'intégrité", "Loss of integrity"),
    "availability": ("Perte de disponibilité", "Loss of availability"),
}

CONFIDENTIALITY_SUBTYPES: Choices = {
    "unauthorised_access": ("Accès non autorisé", "Unauthorised access"),
    "exfiltration": ("Copie ou exfiltration de données", "Copy or exfiltration of data"),
    "disclosure": ("Divulgation à un tiers non autorisé", "Disclosure to an unauthorised party"),
    "publication": ("Publication (internet, forum…)", "Publication (internet, forum…)"),
}
INTEGRITY_SUBTYPES: Choices = {
    "modification": ("Modification non autorisée", "Unauthorised alteration"),
    "deletion": ("Suppression non autorisée", "Unauthorised deletion"),
    "corruption": ("Corruption de données", "Data corruption"),
}
AVAILABILITY_SUBTYPES: Choices = {
    "encryption": ("Chiffrement par un rançongiciel", "Encrypted by ransomware"),
    "destruction": ("Destruction", "Destruction"),
    "loss": ("Perte (support, matériel)", "Loss (medium, device)"),
    "temporary_outage": ("Indisponibilité temporaire", "Temporary outage"),
}

ORIGINS: Choices = {
    "equipment_lost_stolen": ("Équipement perdu ou volé", "Lost or stolen equipment"),
    "paper_lost_stolen": ("Papier perdu, volé ou laissé accessible", "Paper lost, stolen or left accessible"),
    "mail_lost_opened": ("Courrier perdu ou ouvert avant retour à l'expéditeur", "Mail lost or opened"),
    "hacking_malware_phishing": (
        "Piratage, logiciel malveillant (rançongiciel…) et/ou hameçonnage",
        "Hacking, malware (e.g. ransomware) and/or phishing",
    ),
    "paper_discarded": ("Mise au rebut de documents papier sans destruction", "Paper discarded without destruction"),
    "devices_discarded": (
        "Mise au rebut d'appareils sans effacement sécurisé",
        "Devices discarded without secure erasure",
    ),
    "unintended_publication": ("Publication non volontaire d'informations", "Unintended publication"),
    "wrong_person_portal": (
        "Données de la mauvaise personne affichées sur un portail",
        "Wrong person's data shown on a customer portal",
    ),
    "wrong_recipient": ("Données envoyées à un mauvais destinataire", "Data sent to the wrong recipient"),
    "verbal_disclosure": ("Informations divulguées verbalement", "Verbal disclosure"),
    "other": ("Autre", "Other"),
}

CAUSES: Choices = {
    "internal_malicious": ("Acte interne malveillant", "Internal malicious act"),
    "internal_accidental": ("Acte interne accidentel", "Internal accidental act"),
    "external_malicious": ("Acte externe malveillant", "External malicious act"),
    "external_accidental": ("Acte externe accidentel", "External accidental act"),
    "unknown": ("Inconnue", "Unknown"),
    "other": ("Autre", "Other"),
}

PEOPLE_CATEGORIES: Choices = {
    "employees": ("Salariés", "Employees"),
    "users": ("Usagers", "Users"),
    "members": ("Adhérents", "Members"),
    "students": ("Étudiants, élèves", "Students"),
    "military": ("Militaires", "Military"),
    "customers": ("Clients", "Customers"),
    "patients": ("Patients", "Patients"),
    "minors": ("Mineurs", "Minors"),
    "vulnerable": ("Personnes vulnérables", "Vulnerable persons"),
    "not_determined": ("Pas encore déterminé", "Not yet determined"),
    "other": ("Autre", "Other"),
}

# The CNIL's bands for the approximate number of people concerned.
PEOPLE_COUNT_BANDS: Choices = {
    "0_5": ("0 à 5", "0 to 5"),
    "6_50": ("6 à 50", "6 to 50"),
    "51_300": ("51 à 300", "51 to 300"),
    "301_5000": ("301 à 5 000", "301 to 5,000"),
    "more_than_5000": ("Plus de 5 000", "More than 5,000"),
}

DATA_CATEGORIES: Choices = {
    "civil_status": ("État civil, identité", "Civil status, identity"),
    "nir": ("Numéro de sécurité sociale (NIR)", "Social security number (NIR)"),
    "contact": ("Coordonnées (adresse, téléphone, courriel)", "Contact details"),
    "identification": ("Données d'identification ou d'accès", "Identification or access data"),
    "financial": ("Données économiques et financières", "Economic and financial data"),
    "official_documents": ("Documents officiels (pièce d'identité…)", "Official documents (ID card…)"),
    "location": ("Données de localisation", "Location data"),
    "offences": ("Infractions, condamnations", "Offences, convictions"),
    # GDPR art. 9(1): special categories.
    "health": ("Données de santé", "Health data"),
    "genetic": ("Données génétiques", "Genetic data"),
    "biometric": ("Données biométriques", "Biometric data"),
    "racial_ethnic": ("Origine raciale ou ethnique", "Racial or ethnic origin"),
    "political": ("Opinions politiques", "Political opinions"),
    "religious": ("Convictions religieuses ou philosophiques", "Religious or philosophical beliefs"),
    "trade_union": ("Appartenance syndicale", "Trade union membership"),
    "sex_life": ("Vie sexuelle ou orientation sexuelle", "Sex life or sexual orientation"),
    "other": ("Autre", "Other"),
}

CONSEQUENCES: Choices = {
    "loss_of_control": ("Perte de contrôle sur leurs données", "Loss of control over their data"),
    "limitation_of_rights": ("Limitation de leurs droits", "Limitation of their rights"),
    "discrimination": ("Discrimination", "Discrimination"),
    "identity_theft": ("Vol ou usurpation d'identité", "Identity theft"),
    "fraud": ("Fraude", "Fraud"),
    "pseudonymisation_reversal": (
        "Levée non autorisée de la pseudonymisation",
        "Unauthorised reversal of pseudonymisation",
    ),
    "financial_loss": ("Pertes financières", "Financial loss"),
    "reputation_damage": ("Atteinte à la réputation", "Damage to reputation"),
    "loss_of_professional_secrecy": ("Perte du secret professionnel (secret médical)", "Loss of professional secrecy"),
    "other": ("Autre", "Other"),
}

# The CNIL form's four levels of severity of the consequences for the people.
SEVERITY_LEVELS: Choices = {
    "negligible": ("Négligeable", "Negligible"),
    "limited": ("Limité", "Limited"),
    "significant": ("Important", "Significant"),
    "maximum": ("Maximal", "Maximum"),
}

INFORMATION_STATUSES: Choices = {
    "done": ("Les personnes ont été informées", "The people have been informed"),
    "will_be": ("Les personnes vont être informées", "The people will be informed"),
    "not_determined": ("Pas encore déterminé", "Not yet determined"),
    "will_not_be": ("Les personnes ne seront pas informées", "The people will not be informed"),
}

INFORMATION_CHANNELS: Choices = {
    "letter": ("Courrier postal", "Postal letter"),
    "email": ("Courriel", "E-mail"),
    "sms": ("SMS", "Text message"),
    "phone": ("Téléphone", "Telephone"),
    "patient_portal": ("Portail patient", "Patient portal"),
    "public_notice": ("Communication publique", "Public communication"),
    "other": ("Autre", "Other"),
}

# GDPR art. 34(3): when the people need not be told individually.
ART_34_3_EXCEPTIONS: Choices = {
    "34.3.a": (
        "Art. 34(3)(a) : données rendues incompréhensibles (chiffrement, clé non compromise)",
        "Art. 34(3)(a): data unintelligible to others (encryption, key not compromised)",
    ),
    "34.3.b": (
        "Art. 34(3)(b) : mesures ultérieures rendant le risque élevé improbable",
        "Art. 34(3)(b): later measures make the high risk no longer likely",
    ),
    "34.3.c": (
        "Art. 34(3)(c) : efforts disproportionnés, communication publique à la place",
        "Art. 34(3)(c): disproportionate effort, public communication instead",
    ),
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
    pair = choices.get(code)
    if pair is None:
        return code
    return pair[1] if lang == "en" else pair[0]


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
