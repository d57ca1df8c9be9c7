"""When the establishment became aware of the breach, checked against the other dates of the record. Pure: the
wizard's step checks, its menu and the CNIL entry page call it with the record's sections.

GDPR art. 33(1): the 72 hours run from the moment the controller "became aware" of the breach. Art. 33(2): the
processor notifies the controller "without undue delay after becoming aware". WP250 rev.01 (Article 29 Working
Party, endorsed by the EDPB), section II.A.4 "Processor obligations", repeated in EDPB Guidelines 9/2022: the
controller uses the processor to achieve its purposes, so "in principle, the controller should be considered as
'aware' once the processor has informed it of the breach".

Two kinds of answers:
- errors (``order_errors``): an awareness before the breach started or before it was discovered cannot be (WP250
  rev.01 section II.A.2: the controller becomes aware of a breach that has happened, once it is discovered); the
  wizard refuses the step;
- warnings (``awareness_warnings``): an awareness well after the processor's alert is possible (the alert was vague,
  a short investigation followed) but the 72 hours likely ran from the alert; the DPO checks the date. An awareness
  before the alert is no warning: the establishment found out first, and its clock runs from then.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from notifier.breaches.rules.deadlines import CNIL_PERIOD_HOURS, cnil_deadline
from notifier.core.formatting import format_datetime, format_duration
from notifier.core.i18n import N_, translate

PROCESSOR_ALERT_GRACE = timedelta(hours=12)
"""How long after the processor's alert an awareness time passes without a warning: the time to read the alert and
confirm it is a breach (WP250 rev.01 section II.A.2 allows "a short period of investigation"). The guidelines give no
figure: 12 hours is our choice, a sixth of the 72 hours."""

STEP = "dates"
FIELD = "aware_at"
"""Where a warning is fixed: the awareness time, step "Dates et circonstances"."""

MENU_NOTE = N_("Prise de connaissance à vérifier au regard de l'alerte du sous-traitant (WP250 rev.01, section "
               "II.A.4\u00a0: l'établissement a connaissance de la violation dès que son sous-traitant l'en informe).")
"""The short line the wizard's menu shows under the step (a menu line has no parameters); the full warning, with
its dates, is on the CNIL entry page."""


@dataclass(frozen=True)
class AwarenessWarning:
    """One warning: ``message`` a French msgid with ``%(name)s`` placeholders, the instants in ``instants`` (UTC)
    shown in Paris time in the reader's language, ``delay`` a duration."""

    code: str
    message: str
    instants: tuple[tuple[str, datetime], ...] = ()
    delay: timedelta | None = None
    step: str = STEP
    field: str = FIELD

    def text(self, lang: str) -> str:
        params: dict[str, Any] = {name: format_datetime(instant, lang) for name, instant in self.instants}
        if self.delay is not None:
            params["delay"] = format_duration(self.delay, lang)
        return translate(self.message, lang, **params)


def _instant(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def order_errors(started: datetime | None, discovered: datetime | None, aware: datetime | None) -> dict[str, str]:
    """The awareness time against the start and the discovery of the breach, when those are known: {field: code of
    notifier.breaches.rules.form.MESSAGES}. WP250 rev.01 section II.A.2: a controller becomes aware of a breach once
    it is discovered (after a short investigation at most), so never before it was discovered nor before it began."""
    if aware is None:
        return {}
    if discovered is not None and aware < discovered:
        return {FIELD: "before_discovery"}
    if started is not None and aware < started:
        return {FIELD: "before_start"}
    return {}


def awareness_warnings(sections: Mapping[str, Any], *,
                       period_hours: float = CNIL_PERIOD_HOURS) -> list[AwarenessWarning]:
    """The warnings on the awareness time of a record (its sections as stored)."""
    dates = sections.get("dates") or {}
    systems = sections.get("systems") or {}
    alert = _instant(systems.get("processor_alerted_at"))
    if alert is None:
        return []
    aware = _instant(dates.get(FIELD))
    if aware is None:
        # GDPR art. 33(2); WP250 rev.01 section II.A.4: aware once the processor informed it, at the latest.
        return [AwarenessWarning(
            "aware_unknown_processor_alerted",
            N_("Le sous-traitant a alerté l'établissement le %(alert)s, mais la prise de connaissance n'est pas "
               "datée\u00a0: l'établissement a connaissance de la violation dès que son sous-traitant l'en informe "
               "(lignes directrices WP250 rev.01, section II.A.4\u00a0; RGPD art. 33(2)), soit au plus tard le "
               "%(alert)s\u00a0; les 72 h de la notification à la CNIL finiraient le %(deadline)s."),
            (("alert", alert), ("deadline", cnil_deadline(alert, period_hours))))]
    if aware - alert > PROCESSOR_ALERT_GRACE:
        # WP250 rev.01 section II.A.4: the 72 hours run from when the controller became aware, and it is aware once
        # its processor informed it.
        return [AwarenessWarning(
            "aware_long_after_processor_alert",
            N_("Prise de connaissance le %(aware)s, %(delay)s après l'alerte du sous-traitant du %(alert)s\u00a0: les "
               "72 h courent dès que l'établissement a connaissance de la violation, et il en a connaissance dès que "
               "son sous-traitant l'en informe (lignes directrices WP250 rev.01, section II.A.4\u00a0; RGPD art. "
               "33(2)). Vérifiez la date de prise de connaissance\u00a0: comptées depuis l'alerte, les 72 h "
               "finiraient le %(deadline)s."),
            (("aware", aware), ("alert", alert), ("deadline", cnil_deadline(alert, period_hours))), aware - alert)]
    return []
