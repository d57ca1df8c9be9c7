"""The DPO's own severity estimate (the wizard's "Gravité estimée", CNIL form, rubrique "Conséquences") beside the
ENISA 2013 result, and what a difference between them means.

Both scales have four ranks. The CNIL form's levels (négligeable, limité, important, maximal) are read rank for rank
as ENISA's (low, medium, high, very high): ENISA 2013 describes its levels by the same consequences for the people
(a few inconveniences, significant inconveniences, significant or irreversible consequences). **This reading is our
choice**: the CNIL does not publish a correspondence. Pure Python: the risk page shows it."""

from __future__ import annotations

from dataclasses import dataclass

from notifier.breaches.rules.vocabulary import SEVERITY_LEVELS
from notifier.core.i18n import N_, translate
from notifier.risk.rules.engine import SEVERITIES

ENISA_ORDER = ("low", "medium", "high", "very_high")
ENISA_OF_ESTIMATE = {"negligible": "low", "limited": "medium", "significant": "high", "maximum": "very_high"}

EXPLANATIONS = {
    "same": N_("Votre estimation concorde avec le résultat de la méthode ENISA."),
    "dpo_higher": N_(
        "Votre estimation («\u00a0%(estimate)s\u00a0») est plus grave que le résultat ENISA («\u00a0%(enisa)s\u00a0», "
        "SE = %(score)s). La méthode ne voit que les faits saisis sur cette page\u00a0: si un élément propre à cette "
        "violation aggrave le risque (volume de données par personne, profilage possible, personnes particulièrement "
        "exposées), ajustez le DPC de +1 avec sa justification, ou enregistrez une décision du DPO. Sinon, revoyez "
        "l'estimation de la fiche, reprise dans la notification à la CNIL."),
    "dpo_lower": N_(
        "Votre estimation («\u00a0%(estimate)s\u00a0») est moins grave que le résultat ENISA («\u00a0%(enisa)s\u00a0», "
        "SE = %(score)s). Vérifiez les faits saisis sur cette page\u00a0: un écart assumé se justifie par écrit, "
        "par un ajustement du DPC de −1 ou par une décision du DPO. Sinon, alignez l'estimation de la fiche, "
        "reprise dans la notification à la CNIL."),
}


@dataclass(frozen=True)
class Estimate:
    estimate: str
    """A code of vocabulary.SEVERITY_LEVELS."""
    enisa: str
    """A code of engine.SEVERITIES."""
    score: float

    @property
    def agreement(self) -> str:
        """same, dpo_higher or dpo_lower."""
        mine = ENISA_ORDER.index(ENISA_OF_ESTIMATE[self.estimate])
        theirs = ENISA_ORDER.index(self.enisa)
        return "same" if mine == theirs else ("dpo_higher" if mine > theirs else "dpo_lower")

    def dpo_label(self, lang: str) -> str:
        return translate(SEVERITY_LEVELS[self.estimate], lang)

    def explanation(self, lang: str) -> str:
        score = f"{self.score:g}"
        return translate(EXPLANATIONS[self.agreement], lang, estimate=self.dpo_label(lang).lower(),
                         enisa=translate(SEVERITIES[self.enisa], lang).lower(),
                         score=score.replace(".", ",") if lang == "fr" else score)


def compare(estimate: str | None, enisa: str | None, score: float) -> Estimate | None:
    """None when the DPO gave no estimate in the wizard (or an unknown code), or nothing was assessed."""
    if estimate not in ENISA_OF_ESTIMATE or enisa not in ENISA_ORDER:
        return None
    return Estimate(estimate, enisa, score)
