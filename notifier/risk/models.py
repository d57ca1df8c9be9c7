from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from notifier.accounts.models import User
from notifier.core.types import UTCDateTime, one_of, utcnow
from notifier.extensions import db
from notifier.risk.states import RiskTrigger


class RiskAssessment(db.Model):
    """One risk assessment of a breach (ENISA 2013 + GDPR art. 33/34, notifier.risk.rules.engine), kept forever.

    The history of a breach's assessments is its art. 33(5) documentation of the decision: a row is added for
    each assessment and its computed part (facts, result, verdicts) is never changed or deleted. The DPO's
    override is written once onto the assessment it overrides; overriding again adds a new row.
    ``facts_edits`` are the DPO's answers that depart from what the wizard says (services/risk.py): they are
    carried to the next automatic re-assessment so that the DPO's word keeps winning."""

    __tablename__ = "risk_assessment"
    __table_args__ = (one_of("risk_assessment", "trigger", RiskTrigger),)

    id: Mapped[int] = mapped_column(primary_key=True)
    breach_id: Mapped[int] = mapped_column(ForeignKey("breach.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    """None for an automatic re-assessment (the audit trail names the user whose change started it)."""
    trigger: Mapped[str] = mapped_column(String(20))
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)
    facts_edits: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    """Assessment.to_dict("fr"): reasons in both languages (reasons_i18n), parts of the score, rules applied."""
    severity: Mapped[str] = mapped_column(String(20))
    severity_score: Mapped[float] = mapped_column(Float)
    risk_level: Mapped[str] = mapped_column(String(20))
    notify_authority: Mapped[bool] = mapped_column(Boolean)
    inform_subjects: Mapped[bool] = mapped_column(Boolean)
    public_communication_required: Mapped[bool] = mapped_column(Boolean, default=False)

    override_notify_authority: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    override_inform_subjects: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    override_justification: Mapped[str | None] = mapped_column(Text, nullable=True)
    overridden_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    overridden_by_email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    """Kept besides the user: an imported override names its author by e-mail only."""
    overridden_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    overridden_by: Mapped[User | None] = relationship(foreign_keys=[overridden_by_id])

    @property
    def has_override_record(self) -> bool:
        """The DPO decided on this assessment (an override, or the withdrawal of an earlier one)."""
        return self.overridden_at is not None

    @property
    def overrides(self) -> bool:
        return self.override_notify_authority is not None or self.override_inform_subjects is not None
