"""The closed sets of a regulator report version (no Flask or SQLAlchemy here)."""

from enum import StrEnum


class ReportDocument(StrEnum):
    """The documents made from one breach record (ReportVersion.document; labels and templates:
    notifier/reports/services.py DOCUMENTS). cnil: the GDPR art. 33 notification; ars: the ARS / CERT Santé
    signalement of an information-system security incident (CSP L.1111-8-2); the three NIS2 stages of Directive (EU)
    2022/2555 art. 23(4)(a), (b) and (d), only for an establishment in NIS2 scope."""

    CNIL = "cnil"
    ARS = "ars"
    NIS2_EARLY_WARNING = "nis2_early_warning"
    NIS2_NOTIFICATION = "nis2_notification"
    NIS2_FINAL_REPORT = "nis2_final_report"
    # Art. 23(4)(c): at the request of the CSIRT or the competent authority; (e): incident still ongoing when the
    # final report is due.
    NIS2_INTERMEDIATE_REPORT = "nis2_intermediate_report"
    NIS2_PROGRESS_REPORT = "nis2_progress_report"


class ReportKind(StrEnum):
    """GDPR art. 33(4): information may be provided in phases. initial: the first version of a document, which may be
    regenerated until it is sent; complementary: a later version, listing the changes since the previous one. Each
    generation adds a version (never changed afterwards); there is no transition between kinds."""

    INITIAL = "initial"
    COMPLEMENTARY = "complementary"
