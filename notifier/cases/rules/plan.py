"""The action plan's rules: what a due date tied to a clock means, how an offset is typed, and the default plan of a
health establishment. Pure Python: the clocks themselves come from notifier/breaches/rules/deadlines.py.

A task's due date is either absolute or "anchor + offset" (``CNIL deadline - 6 h``, ``awareness + 24 h``). Only the
anchor and the offset are stored: the date is computed from the breach's clocks each time it is read, so it moves
when a clock moves (the awareness time corrected, the NIS2 notification sent, which starts the one-month clock of the
final report)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from notifier.core.i18n import N_, SOURCE_LANGUAGE, translate

#: The instants a due date can be tied to: the awareness time (GDPR art. 33(1): the 72 h start there) and each
#: clock of breaches/rules/deadlines.compute_clocks, by its code (its deadline).
ANCHORS: dict[str, str] = {
    "aware": N_("prise de connaissance"),
    "cnil": N_("échéance CNIL (72 h)"),
    "ars_cert_sante": N_("signalement ARS / CERT Santé (sans délai)"),
    "nis2_early_warning": N_("NIS2\u00a0: alerte précoce (24 h)"),
    "nis2_notification": N_("NIS2\u00a0: notification d'incident (72 h)"),
    "nis2_final_report": N_("NIS2\u00a0: rapport final (1 mois)"),
}

OFFSET_LIMIT_MINUTES = 366 * 24 * 60  # a year either side: beyond that the date is better typed as a date


class PlanInputError(ValueError):
    """A due date or an offset that cannot be read; ``message(lang)`` is one line fit to show."""

    def __init__(self, message: str, **params: object):
        super().__init__(translate(message, SOURCE_LANGUAGE, **params))
        self.msgid, self.params = message, params

    def message(self, lang: str) -> str:
        return translate(self.msgid, lang, **self.params)


_OFFSET = re.compile(r"([+-]?)\s*(\d{1,6}(?:[.,]\d{1,2})?)\s*(h|heures?|hours?|j|jours?|d|days?|min|m)?")


def parse_offset(text: str | None) -> int:
    """An offset typed by a person as minutes: ``-6``, ``-6 h``, ``+24h``, ``2 j`` / ``2 d`` (days), ``-30 min``.
    A bare number is hours. Empty means 0."""
    cleaned = (text or "").strip().lower()
    if not cleaned:
        return 0
    match = _OFFSET.fullmatch(cleaned)
    if not match:
        raise PlanInputError(N_("décalage illisible\u00a0: %(text)s (par exemple -6 h, +24 h ou +2 j)"),
                             text=repr(cleaned[:40]))
    sign, number, unit = match.groups()
    value = float(number.replace(",", "."))
    unit = unit or "h"
    minutes = value * (1440 if unit[0] in "jd" else 1 if unit.startswith("m") else 60)
    minutes = round(-minutes if sign == "-" else minutes)
    if abs(minutes) > OFFSET_LIMIT_MINUTES:
        raise PlanInputError(N_("décalage trop grand\u00a0: %(text)s (un an au plus)"), text=repr(cleaned[:40]))
    return minutes


def format_offset(minutes: int) -> str:
    """The offset as it is typed back: ``-6 h``, ``+24 h``, ``+2 j``, ``-30 min``."""
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    if minutes and minutes % 1440 == 0 and minutes >= 2880:
        return f"{sign}{minutes // 1440} j"
    if minutes % 60 == 0:
        return f"{sign}{minutes // 60} h"
    return f"{sign}{minutes} min"


def anchor_instants(aware_at: datetime | None, clock_dues: dict[str, datetime]) -> dict[str, datetime]:
    """The instants a task can be tied to, from the breach's awareness time and its clocks' deadlines."""
    instants = dict(clock_dues)
    if aware_at is not None:
        instants["aware"] = aware_at
    return instants


def due_at(*, absolute: datetime | None, anchor: str | None, offset_minutes: int,
           instants: dict[str, datetime]) -> datetime | None:
    """A task's due date: the absolute date, else the anchor's instant plus the offset, else None (the anchor is not
    known yet: no awareness time, or an establishment out of NIS2 scope)."""
    if absolute is not None:
        return absolute
    if anchor is None or anchor not in instants:
        return None
    return instants[anchor] + timedelta(minutes=offset_minutes)


@dataclass(frozen=True)
class PlanItem:
    """One line of an organisation's plan template: copied into each new breach's plan as a task."""

    title: str
    anchor: str
    offset_minutes: int
    owner_role: str = "dpo"
    nis2_only: bool = False

    def as_dict(self) -> dict:
        return {"title": self.title, "anchor": self.anchor, "offset_minutes": self.offset_minutes,
                "owner_role": self.owner_role, "nis2_only": self.nis2_only}

    @classmethod
    def from_dict(cls, data: dict) -> PlanItem:
        return cls(title=str(data["title"]), anchor=str(data["anchor"]), offset_minutes=int(data["offset_minutes"]),
                   owner_role=str(data.get("owner_role") or "dpo"), nis2_only=bool(data.get("nis2_only")))


OWNER_ROLES = ("dpo", "legal")

H = 60

#: What a health establishment must do after a personal-data breach, tied to the clocks. Sources: GDPR art. 33 and 34;
#: Code de la santé publique art. L.1111-8-2 and décret n° 2016-1214 (ARS / CERT Santé, "sans délai"); Directive (EU)
#: 2022/2555 art. 23(4) (NIS2, establishments in scope); Code pénal art. 323-1 and CNIL guidance (complaint, keep the
#: evidence); EDPB guidelines 9/2022 (phased notification, documentation, lessons learnt).
DEFAULT_PLAN: tuple[PlanItem, ...] = (
    PlanItem(N_("Contenir l'incident et préserver les preuves (journaux, images des disques, copies d'écran)"),
             "aware", 4 * H),
    PlanItem(N_("Signaler l'incident à l'ARS / CERT Santé (sans délai, CSP art. L.1111-8-2)"), "aware", 24 * H),
    PlanItem(N_("NIS2\u00a0: envoyer l'alerte précoce (art. 23(4)(a))"), "nis2_early_warning", -2 * H,
             nis2_only=True),
    PlanItem(N_("Surveiller la mise en vente ou la publication des données (forums, sites de fuite)"), "aware",
             24 * H),
    PlanItem(N_("Déposer plainte (police, gendarmerie ou procureur) et verser le récépissé aux preuves"), "aware",
             48 * H, owner_role="legal"),
    PlanItem(N_("Notifier la CNIL (RGPD art. 33)"), "cnil", -6 * H),
    PlanItem(N_("NIS2\u00a0: envoyer la notification d'incident (art. 23(4)(b))"), "nis2_notification", -6 * H,
             nis2_only=True),
    PlanItem(N_("Décider de l'information des patients (risque élevé, RGPD art. 34)"), "cnil", 0),
    PlanItem(N_("Faire approuver et envoyer les courriers aux patients (RGPD art. 34)"), "aware", 7 * 24 * H,
             owner_role="legal"),
    PlanItem(N_("Ouvrir la ligne d'écoute des patients avant l'arrivée des courriers"), "aware", 6 * 24 * H),
    PlanItem(N_("Envoyer la notification complémentaire à la CNIL (RGPD art. 33(4))"), "cnil", 30 * 24 * H),
    PlanItem(N_("NIS2\u00a0: envoyer le rapport final (art. 23(4)(d))"), "nis2_final_report", -3 * 24 * H,
             nis2_only=True),
    PlanItem(N_("Retour d'expérience\u00a0: tirer les enseignements et mettre à jour l'analyse de risques"), "aware",
             60 * 24 * H),
)


#: The title of the task a hotline request to exercise one's rights creates (cases/subscriptions.py).
RIGHTS_REQUEST_TITLE = N_("Répondre à une demande d'exercice de droits reçue par la ligne d'écoute (RGPD art. "
                          "12(3)\u00a0: un mois)")

CATALOG_TITLES = frozenset({item.title for item in DEFAULT_PLAN} | {RIGHTS_REQUEST_TITLE})


def task_title(title: str, lang: str) -> str:
    """A task's title in ``lang``: the application's own titles come from the catalog, a title typed by someone is
    shown as typed (never used as a format string: "réduire de 50 % les accès" stays as it is)."""
    return translate(title, lang) if title in CATALOG_TITLES else title


def items_for(plan: tuple[PlanItem, ...] | list[PlanItem], *, nis2_in_scope: bool) -> list[PlanItem]:
    """The template's items that apply to a breach: the NIS2 stages only for an establishment in scope."""
    return [item for item in plan if nis2_in_scope or not item.nis2_only]


def check_item(title: str, anchor: str, offset_minutes: int, owner_role: str) -> None:
    if not title.strip():
        raise PlanInputError(N_("intitulé manquant"))
    if len(title) > 300:
        raise PlanInputError(N_("intitulé trop long (%(maximum)s caractères au plus)"), maximum=300)
    if anchor not in ANCHORS:
        raise PlanInputError(N_("repère inconnu\u00a0: %(anchor)s"), anchor=anchor[:40])
    if owner_role not in OWNER_ROLES:
        raise PlanInputError(N_("rôle inconnu\u00a0: %(role)s"), role=owner_role[:40])
    if abs(offset_minutes) > OFFSET_LIMIT_MINUTES:
        raise PlanInputError(N_("décalage trop grand\u00a0: %(text)s (un an au plus)"), text=str(offset_minutes))
