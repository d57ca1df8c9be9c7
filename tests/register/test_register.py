"""The breach register (GDPR art. 33(5)): every breach, notified or not, with facts, effects, remedial action,
decision and reasons; filters; CSV / XLSX exports safe from formula injection; PDF/A export."""

import csv
import io
import json

import openpyxl
import pikepdf
import pytest

from notifier.accounts.organisations import Establishment
from notifier.extensions import db
from notifier.register import services as register
from notifier.register.services import Filters

FORMULAS = {"title": '=HYPERLINK("http://evil.test","clic")', "measures": "+33 6 12 34 56 78 rappelé",
            "facts": "-2+3 fiches", "reasons": "@SUM(A1:A9)"}


def formulas(doc):
    doc["sections"]["notification"]["title"] = FORMULAS["title"]
    doc["sections"]["measures"]["measures_taken"] = FORMULAS["measures"]
    doc["sections"]["nature"]["nature_details"] = FORMULAS["facts"]
    doc["risk_override"] = {"justification": FORMULAS["reasons"]}


def entry(rows, reference):
    return next(r for r in rows if r["reference"] == reference)


def test_every_breach_is_in_the_register_notified_or_not(two_breaches, dpo):
    notified, quiet = two_breaches
    rows = register.rows(dpo.organisation_id, Filters())
    assert [r["reference"] for r in rows] == [notified.reference, quiet.reference]

    first = entry(rows, notified.reference)
    assert first["cnil_decision"] == "Notifiée le 25 octobre 2026 à 18\u00a0h\u00a040, accusé de réception " \
                                     "NOT-2026-0154321"
    assert first["people_count"] == 758912 and first["records_count"] == 2431077
    assert first["facts"].startswith("Un attaquant a utilisé les identifiants")
    assert "Vol ou usurpation d'identité" in first["consequences"]
    assert first["measures_taken"].startswith("Compte de service désactivé")
    assert first["risk"].startswith("Risque élevé")
    assert "Gravité ENISA (2013)" in first["decision_reasons"]

    second = entry(rows, quiet.reference)
    assert second["cnil_decision"] == "Non notifiée : risque improbable (art. 33(1))"
    assert second["cnil_sent_at"] == "" and second["cnil_reference"] == ""
    assert "pas de notification à la CNIL (art. 33(1) du RGPD)" in second["decision_reasons"]
    assert second["people_decision"] == "Les personnes ne seront pas informées"
    assert second["measures_taken"] == "Le confrère a confirmé la destruction du courrier."


def test_a_breach_not_yet_assessed_says_so(breach, dpo):
    row = entry(register.rows(dpo.organisation_id, Filters()), breach.reference)
    assert row["cnil_decision"] == "Pas encore décidée : risque non évalué"
    assert row["status"] == "Brouillon"


def test_filters_by_establishment_year_and_status(two_breaches, organisation, dpo):
    notified, quiet = two_breaches
    other = Establishment(organisation=organisation, name="Clinique du Parc", siren="123456789")
    db.session.add(other)
    db.session.commit()
    quiet.establishment = other
    quiet.status = "closed"
    db.session.commit()

    def references(**filters):
        return [r["reference"] for r in register.rows(dpo.organisation_id, Filters(**filters))]

    assert references(establishment_id=other.id) == [quiet.reference]
    assert references(status="open") == [notified.reference]
    assert references(status="closed") == [quiet.reference]
    assert references(year=2026) == [notified.reference, quiet.reference]
    assert references(year=2025) == []
    with pytest.raises(register.RegisterError):
        register.rows(dpo.organisation_id, Filters(status="lost"))


def test_csv_export_neutralises_formulas(make_example, dpo):
    breach = make_example(formulas)
    data = register.export("csv", dpo.organisation_id, Filters())
    assert data.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    header, row = table[0], dict(zip(table[0], table[1], strict=True))
    assert header == register.headers("fr")
    assert row["Référence"] == breach.reference
    assert row["Intitulé"] == "'" + FORMULAS["title"]
    assert row["Mesures prises"] == "'" + FORMULAS["measures"]
    assert row["Faits"] == "'" + FORMULAS["facts"]
    assert FORMULAS["reasons"] in row["Motifs de la décision"]
    for cells in table:
        for cell in cells:
            assert not cell.startswith(("=", "+", "-", "@")), cell


def test_xlsx_export_neutralises_formulas(make_example, dpo):
    breach = make_example(formulas)
    book = openpyxl.load_workbook(io.BytesIO(register.export("xlsx", dpo.organisation_id, Filters())))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    row = dict(zip(header, [c for c in sheet[2]], strict=True))
    assert row["Référence"].value == breach.reference
    assert row["Intitulé"].value == "'" + FORMULAS["title"]
    assert row["Nombre de personnes"].value == 758912 and row["Nombre de personnes"].data_type == "n"
    for line in sheet.iter_rows():
        for cell in line:
            assert cell.data_type != "f", cell.coordinate
            if isinstance(cell.value, str):
                assert not cell.value.startswith(("=", "+", "-", "@")), (cell.coordinate, cell.value)


def test_pdf_export_is_pdf_a_with_the_register_attached(two_breaches, dpo, read_pdf):
    notified, quiet = two_breaches
    data = register.export("pdf", dpo.organisation_id, Filters(), organisation="Groupe Hospitalier Test")
    text = read_pdf(data)
    assert "Registre des violations de données personnelles" in text and "CONFIDENTIEL" in text
    assert notified.reference in text and quiet.reference in text
    assert "Non notifiée : risque improbable (art. 33(1))" in text
    assert "Le confrère a confirmé la destruction du courrier." in text
    with pikepdf.open(io.BytesIO(data)) as opened:
        assert opened.open_metadata()["pdfaid:part"] == "3"
        attached = opened.attachments["register.csv"].get_file().read_bytes()
    assert attached == register.export("csv", dpo.organisation_id, Filters())


def test_an_empty_register_still_exports(dpo, read_pdf):
    assert "Aucune violation ne correspond à ces filtres." in read_pdf(
        register.export("pdf", dpo.organisation_id, Filters()))
    assert register.export("csv", dpo.organisation_id, Filters()).decode("utf-8-sig").count("\n") == 1


def test_the_register_in_english(two_breaches, dpo):
    rows = register.rows(dpo.organisation_id, Filters(), "en")
    assert rows[1]["cnil_decision"] == "Not notified: risk unlikely (art. 33(1))"
    assert json.dumps(register.headers("en")).startswith('["Reference", "Establishment"')
