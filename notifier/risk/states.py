"""The closed sets of a risk assessment (no Flask or SQLAlchemy here)."""

from enum import StrEnum


class RiskTrigger(StrEnum):
    """What started an assessment (RiskAssessment.trigger); an assessment row is never changed afterwards, so there
    is no transition. manual: the DPO on the risk page or `notifier risk assess`; facts_changed: an automatic
    re-assessment after the breach's facts changed in the wizard; import: the risk part of an imported JSON record."""

    MANUAL = "manual"
    FACTS_CHANGED = "facts_changed"
    IMPORT = "import"
