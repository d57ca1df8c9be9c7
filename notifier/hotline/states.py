"""Why a patient called the hotline and how the call ended (HotlineCall.reason, .outcome); no Flask or SQLAlchemy."""

from enum import StrEnum


class CallReason(StrEnum):
    """The reasons of the issue, in the order the desk offers them. address_changed goes to the letters'
    returned-mail flow (a new letter); rights (GDPR art. 15-22) becomes a task for the DPO; both through
    core.events.hotline_call_logged."""

    GENUINE = "genuine"
    WHAT_DATA = "what_data"
    ADDRESS_CHANGED = "address_changed"
    FRAUD_FEAR = "fraud_fear"
    RIGHTS = "rights"
    COMPLAINT = "complaint"
    PRESS = "press"
    OTHER = "other"


class CallOutcome(StrEnum):
    """answered: the caller's question was answered during the call; callback: someone must call back;
    escalated: passed to the DPO (a request, a complaint); redirected: sent elsewhere (press office, CNIL...)."""

    ANSWERED = "answered"
    CALLBACK = "callback"
    ESCALATED = "escalated"
    REDIRECTED = "redirected"
