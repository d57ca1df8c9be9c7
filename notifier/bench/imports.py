"""Benchmark of the patient import at hospital scale (750,000 patients).

    python -m notifier.bench.imports 750000            # or: notifier bench import --rows 750000

`make_patient_csv` writes a realistic, messy French patient list; `run_import_benchmark` times, each in its own
process so that peak memory (ru_maxrss) is the step's own:
  baseline  the plain `csv` reader and `sqlite3.executemany` of the raw rows into a temporary database file: the
            floor any import pays;
  validate  `open_patient_file(...).rows(...)`: reading, mapping, checking and NF Z10-011 formatting, no database.
Target for the full import (with the database, written in the service): 750,000 rows at >= 20,000 rows/s and
< 300 MiB peak, hence validation alone >= 60,000 rows/s on one core.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta

HEADERS = ["N° IPP", "Civilité", "Prénom", "Nom d'usage", "Date de naissance", "Complément d'adresse",
           "Bâtiment / Résidence", "N° et voie", "Lieu-dit / BP", "Code postal", "Ville", "Pays", "Courriel",
           "Décédé", "Représentant légal", "Segment", "Majeur protégé", "Soins confidentiels"]
TODAY = date(2026, 6, 1)
LETTER_DATE = date(2026, 6, 15)

_FIRST = ["Jean", "Marie", "Hélène", "Gérard", "François", "Zoé", "Chloé", "Jérôme", "Anaïs", "Noémie", "Léa",
          "Lucas", "Inès", "Maël", "Jean-Pierre", "Marie-Thérèse", "Agnès", "Benoît", "Cécile", "Éric", "Océane",
          "Théo", "Gaëlle", "Loïc", "Françoise", "Mohamed", "Fatou", "Nguyen Van", "Björn", "Zoë"]
_LAST = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Petit", "Durand", "Leroy", "Moreau", "Lefèvre",
         "Müller", "Bénard", "Côté", "Le Goff", "N'Diaye", "De La Fontaine", "Garçon", "Roussel", "Fabre",
         "Mercier", "Boyer", "Blanc", "Guérin", "Faure", "Rousseau", "Lemoine", "Da Silva", "Nguyen", "Œillet"]
_WAYS = ["rue", "avenue", "boulevard", "allée", "chemin", "impasse", "place", "route", "quai", "Rue", "AVENUE"]
_WAY_NAMES = ["de la République", "Jean-Jaurès", "du Général de Gaulle", "Victor Hugo", "des Lilas", "Pasteur",
              "de l'Église", "du Maréchal Foch", "des Écoles", "Émile Zola", "de la Gare", "Saint-Exupéry",
              "du Président Salvador Allende", "des Frères Lumière"]
# (postcode, city) as hospitals hold them; départements 01-09 lose their leading zero in spreadsheets.
_PLACES = [("75015", "Paris"), ("75011", "PARIS"), ("69003", "Lyon"), ("13008", "Marseille"),
           ("01000", "Bourg-en-Bresse"), ("06000", "Nice"), ("42000", "Saint-Étienne"), ("33000", "Bordeaux"),
           ("59000", "Lille"), ("31000", "Toulouse"), ("44000", "Nantes"), ("67000", "Strasbourg"),
           ("35000", "Rennes"), ("34000", "Montpellier"), ("05000", "Gap"), ("38000", "Grenoble"),
           ("76600", "Le Havre"), ("97100", "Basse-Terre"), ("02100", "Saint-Quentin"), ("09000", "Foix"),
           ("78180", "Montigny-le-Bretonneux"), ("92100", "Boulogne-Billancourt"), ("94300", "Vincennes"),
           ("29200", "Brest"), ("64100", "Bayonne"), ("80000", "Amiens"), ("21000", "Dijon"),
           ("74000", "Annecy"), ("83000", "Toulon"), ("57000", "Metz")]
_CIVILITIES = ["M.", "Mme", "Monsieur", "Madame", "M", "MME", "Mlle", ""]
_COMPLEMENTS = ["Appartement 12", "Chez M. Durand", "Esc. B, 3e étage", "Appt 4; porte gauche", "c/o Mme Petit"]
_BUILDINGS = ["Résidence Les Tilleuls", "Bâtiment C", "Entrée 2 Bât. A", "Les Jardins d'Hélène"]


def _bad(rng: random.Random, row: list[str], previous_id: str) -> None:
    """Make the row wrong in one of the ways real exports are."""
    kind = rng.randrange(7)
    if kind == 0:
        row[4] = "31/02/1980"
    elif kind == 1:
        row[4] = "12/05/80"
    elif kind == 2:
        row[9] = "750"
    elif kind == 3:
        row[3] = ""
    elif kind == 4:
        row[0] = previous_id
    elif kind == 5:
        row[4] = "01/01/2031"
    else:
        row[7] = "12 boulevard du Président Salvador Allende prolongé vers la Zone Industrielle Nord"


def make_patient_csv(path: str | os.PathLike, n: int, seed: int = 1, bad_ratio: float = 0.01,
                     encoding: str = "utf-8-sig") -> None:
    """Write `n` patients as a ";" CSV like a hospital export (encoding "utf-8-sig" or "cp1252"): accents, messy
    spaces and case, quoted separators and line breaks, lost leading zeros, minors with and without a
    representative, deceased patients, a few addresses abroad, and about `bad_ratio` rows that must be rejected."""
    rng = random.Random(seed)
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow(HEADERS)
        previous_id = "00000001"
        for i in range(n):
            patient_id = f"{10_000_000 + i:08d}"
            born = TODAY - timedelta(days=rng.randrange(1, 100 * 365))
            style = rng.random()
            birth = (born.strftime("%d/%m/%Y") if style < 0.85 else born.isoformat() if style < 0.95
                     else f"{born.day}/{born.month}/{born.year}")
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            if rng.random() < 0.3:
                last = last.upper()
            if rng.random() < 0.02:
                last = f"  {last} "
            street = f"{rng.randrange(1, 200)}{rng.choice(['', '', '', ' bis'])}{rng.choice(['', ',', ''])} " \
                     f"{rng.choice(_WAYS)} {rng.choice(_WAY_NAMES)}"
            if rng.random() < 0.002:
                street += "\nBât B"
            postcode, city = rng.choice(_PLACES)
            if postcode.startswith("0") and rng.random() < 0.3:
                postcode = postcode[1:]
            country = "France" if rng.random() < 0.2 else ""
            if rng.random() < 0.005:
                postcode, city, country = "1000", "Bruxelles", "Belgique"
            minor = (TODAY - born).days < 18 * 365
            protected = not minor and rng.random() < 0.01
            guardian = ""
            if (minor and rng.random() < 0.85) or (protected and rng.random() < 0.7):
                guardian = f"{rng.choice(['Mme', 'M.'])} {rng.choice(_FIRST)} {rng.choice(_LAST).upper()}"
            dead = rng.random()
            row = [
                patient_id, rng.choice(_CIVILITIES), first, last, birth,
                rng.choice(_COMPLEMENTS) if rng.random() < 0.1 else "",
                rng.choice(_BUILDINGS) if rng.random() < 0.05 else "",
                street,
                rng.choice(["Lieu-dit Les Granges", "BP 42"]) if rng.random() < 0.03 else "",
                postcode, city, country,
                f"{first}.{last.strip()}@Example.fr".replace(" ", "").replace("'", "") if rng.random() < 0.4 else "",
                "oui" if dead < 0.015 else "12/03/2021" if dead < 0.02 else "non" if dead < 0.1 else "",
                guardian,
                rng.choice(["A", "B", ""]),
                "oui" if protected else "",
                "oui" if minor and rng.random() < 0.02 else "",
            ]
            if rng.random() < bad_ratio:
                _bad(rng, row, previous_id)
            previous_id = patient_id
            writer.writerow(row)


# --- The two measured steps, each run in a child process ------------------------------------------------------------

def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _baseline(path: str, encoding: str) -> dict:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        connection = sqlite3.connect(os.path.join(tmp, "baseline.db"))
        columns = len(HEADERS)
        connection.execute(f"create table raw ({', '.join(f'c{i} text' for i in range(columns))})")
        insert = f"insert into raw values ({', '.join('?' * columns)})"  # noqa: S608 - fixed column count
        rows = 0
        with open(path, encoding=encoding, errors="replace", newline="") as handle:
            reader = csv.reader(handle, delimiter=";")
            next(reader)
            batch = []
            for cells in reader:
                batch.append((cells + [""] * columns)[:columns])
                if len(batch) == 10_000:
                    connection.executemany(insert, batch)
                    rows += len(batch)
                    batch.clear()
            connection.executemany(insert, batch)
            rows += len(batch)
        connection.commit()
        connection.close()
    return {"rows": rows, "seconds": time.perf_counter() - started, "peak_rss_mib": _peak_rss_mib()}


def _validate(path: str, encoding: str) -> dict:  # the encoding is detected
    from notifier.patients.rules.rows import open_patient_file

    started = time.perf_counter()
    patient_file = open_patient_file(path)
    accepted = rejected = held = 0
    for row in patient_file.rows(patient_file.detected_mapping.mapping, today=TODAY, letter_date=LETTER_DATE):
        if row.accepted:
            accepted += 1
            held += bool(row.patient["holds"])
        else:
            rejected += 1
    return {"rows": accepted + rejected, "accepted": accepted, "rejected": rejected, "held": held,
            "seconds": time.perf_counter() - started, "peak_rss_mib": _peak_rss_mib()}


STEPS = {"baseline": _baseline, "validate": _validate}


def _measure(step: str, path: str, encoding: str) -> dict:
    command = [sys.executable, "-m", "notifier.bench.imports", "--encoding", encoding, "--step", step, path]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result = json.loads(output.splitlines()[-1])
    result["rows_per_second"] = result["rows"] / result["seconds"]
    return result


def run_import_benchmark(n: int, *, encoding: str = "utf-8-sig", workdir: str | None = None,
                         out=sys.stdout) -> dict[str, dict]:
    """Generate `n` patients, time the baseline and the validation, print and return the figures."""
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        path = os.path.join(tmp, "patients.csv")
        started = time.perf_counter()
        make_patient_csv(path, n, encoding=encoding)
        size_mib = os.path.getsize(path) / 2**20
        print(f"generated {n:,} rows ({size_mib:.0f} MiB, {encoding}) in {time.perf_counter() - started:.1f} s",
              file=out)
        results = {step: _measure(step, path, encoding) for step in STEPS}
    for step, result in results.items():
        extra = (f", {result['accepted']:,} accepted, {result['rejected']:,} rejected, {result['held']:,} held"
                 if step == "validate" else "")
        print(f"{step:9} {result['rows']:>9,} rows in {result['seconds']:6.1f} s = {result['rows_per_second']:>8,.0f} "
              f"rows/s, peak RSS {result['peak_rss_mib']:.0f} MiB{extra}", file=out)
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("rows", nargs="?", type=int, default=100_000)
    parser.add_argument("--encoding", default="utf-8-sig", choices=["utf-8-sig", "cp1252"])
    parser.add_argument("--step", nargs=2, metavar=("STEP", "FILE"), help="(internal) run one measured step")
    args = parser.parse_args(argv)
    if args.step:
        step, path = args.step
        print(json.dumps(STEPS[step](path, args.encoding)))
    else:
        run_import_benchmark(args.rows, encoding=args.encoding)


if __name__ == "__main__":
    main()
