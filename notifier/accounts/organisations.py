from sqlalchemy import ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from notifier.extensions import db


class Organisation(db.Model):
    """The controller (GDPR art. 4(7)): a hospital or clinic group. Every object belongs to one organisation and
    nobody reaches another organisation's data."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    establishments: Mapped[list["Establishment"]] = relationship(
        back_populates="organisation", order_by="Establishment.name"
    )


class Establishment(db.Model):
    """A site of the organisation: the party named on the CNIL form (SIREN) and on the ARS report (FINESS)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    siren: Mapped[str] = mapped_column(String(9), default="")
    finess: Mapped[str] = mapped_column(String(9), default="")
    address: Mapped[str] = mapped_column(String(500), default="")
    dpo_name: Mapped[str] = mapped_column(String(200), default="")
    dpo_email: Mapped[str] = mapped_column(String(200), default="")
    dpo_phone: Mapped[str] = mapped_column(String(50), default="")
    # "f" or "m" (DPO_GENDERS), None when not given: the DPO's title agrees with it, "déléguée" or "délégué" à la
    # protection des données (GDPR art. 37-39 name the function), in the contact prefilled on new breaches and in
    # the letters' DPO heading.
    dpo_gender: Mapped[str | None] = mapped_column(String(1), nullable=True)
    legal_representative: Mapped[str] = mapped_column(String(200), default="")
    legal_representative_title: Mapped[str] = mapped_column(String(200), default="")
    # NIS2 (directive 2022/2555) scope is decided per establishment: French transposition was pending in 2026.
    nis2_in_scope: Mapped[bool] = mapped_column(default=False)
    # Operator of essential services under the NIS1 transposition (loi n° 2018-133 art. 5 and 7, décret n° 2018-384
    # art. 11): its incidents are declared to the ANSSI without delay, one more clock.
    nis1_oes: Mapped[bool] = mapped_column(default=False, server_default=false())

    organisation: Mapped[Organisation] = relationship(back_populates="establishments")


DPO_GENDERS = ("f", "m")

DPO_TITLES = {"f": "Déléguée à la protection des données", "m": "Délégué à la protection des données"}
"""The DPO's title as the contact step prefills it, agreed with ``Establishment.dpo_gender``; the function's name
(GDPR art. 37, "délégué à la protection des données") when the gender is not given."""


def dpo_title(establishment: Establishment) -> str:
    return DPO_TITLES.get(establishment.dpo_gender or "", DPO_TITLES["m"])
