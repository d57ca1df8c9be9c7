"""Letters benchmark: N synthetic French patients, lots through the fast path, a naive WeasyPrint sample for scale.

Issue 6's target: 750,000 letters in under 13 minutes on a 2-core machine, i.e. at least 1,000 letters/s end to end,
peak memory under 500 MiB whatever N, under 2 KiB per letter.

Patients are generated lot by lot inside the workers, already in postcode order, the way the letters job reads them
from the database (ORDER BY postcode, one chunk per lot): no process ever holds the N patients.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from itertools import chain
from pathlib import Path

from notifier.documents.letter import (
    EXAMPLE_TEXTS,
    Establishment,
    LetterContent,
    LetterFields,
    render_letter_naive,
)
from notifier.documents.stamping import PreparedVariant, prepare_variant, write_lot, write_manifest
from notifier.letters.models import lot_file_name

FEMALE = ("Hélène", "Zoé", "Anaïs", "Gaëlle", "Bénédicte", "Noémie", "Chloé", "Inès", "Maëlys", "Françoise", "Léa",
          "Aurélie", "Agnès", "Édith", "Cécile", "Marie-José", "Solène", "Ophélie", "Mélanie", "Joëlle", "Fatoumata",
          "Małgorzata", "Ayşe", "Thi Thu Hằng")
MALE = ("Loïc", "Jérôme", "François", "Noël", "Étienne", "Raphaël", "Benoît", "Gaël", "Hervé", "Jean-Noël", "Mathéo",
        "Anatole", "Théo", "Cédric", "Frédéric", "Jérémie", "Aurélien", "Maël", "Sébastien", "Kévin", "Mamadou",
        "Grzegorz", "Oğuz", "Văn Đức")
SURNAMES = ("Lefèvre", "Gérard", "Müller", "Le Goff", "N'Diaye", "Dubœuf", "Çelik", "Nguyễn", "Moreau", "Bénard",
            "Fournier", "Lemaître", "Da Silva", "Kowalski", "Łukasiewicz", "Öztürk", "Doğan", "Pérez", "Chevalier",
            "Rousseau", "Lefebvre", "Mercier", "Dupré", "Bréhier", "Ménard", "Héraud", "Le Bihan", "Strauß",
            "Aït-Ali", "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Laurent",
            "Simon", "Michel", "Garcia", "Œuvrard", "Saint-Exupéry", "Gómez", "Ørsted", "Šimůnek")
STREETS = ("RUE EMILE ZOLA", "AVENUE DE LA REPUBLIQUE", "PLACE DU GENERAL DE GAULLE", "CHEMIN DES ECOLIERS",
           "BOULEVARD VICTOR HUGO", "RUE DE LA PAIX", "ALLEE DES TILLEULS", "IMPASSE DU MOULIN",
           "RUE JEAN JAURES", "ROUTE DE LYON", "RUE DU FAUBOURG SAINT ANTOINE", "QUAI DES BATELIERS",
           "RUE DES TROIS FRERES", "AVENUE DU MARECHAL LECLERC")
COMPLEMENTS = ("APPARTEMENT 12", "ESCALIER B ETAGE 3", "CHEZ MME DURAND", "CHAMBRE 204")
BUILDINGS = ("BATIMENT A", "RESIDENCE LES TILLEULS", "ENTREE C", "IMMEUBLE LE BELVEDERE")
LIEUX_DITS = ("LIEU DIT LES GRANGES", "BP 42", "HAMEAU DE BEAUREGARD")
# (postcode, city) across départements, mainland, Corsica and overseas; sorted.
TOWNS = tuple(sorted((
    ("01000", "BOURG EN BRESSE"), ("06000", "NICE"), ("13001", "MARSEILLE"), ("13090", "AIX EN PROVENCE"),
    ("20000", "AJACCIO"), ("20200", "BASTIA"), ("21000", "DIJON"), ("25000", "BESANCON"), ("29200", "BREST"),
    ("31000", "TOULOUSE"), ("33000", "BORDEAUX"), ("34000", "MONTPELLIER"), ("35000", "RENNES"), ("38000", "GRENOBLE"),
    ("44000", "NANTES"), ("45000", "ORLEANS"), ("49000", "ANGERS"), ("51100", "REIMS"), ("54000", "NANCY"),
    ("57000", "METZ"), ("59000", "LILLE"), ("59800", "LILLE"), ("63000", "CLERMONT FERRAND"), ("64000", "PAU"),
    ("67000", "STRASBOURG"), ("68100", "MULHOUSE"), ("69001", "LYON"), ("69003", "LYON"), ("69100", "VILLEURBANNE"),
    ("72000", "LE MANS"), ("75005", "PARIS"), ("75011", "PARIS"), ("75014", "PARIS"), ("75018", "PARIS"),
    ("75020", "PARIS"), ("76000", "ROUEN"), ("80000", "AMIENS"), ("83000", "TOULON"), ("84000", "AVIGNON"),
    ("86000", "POITIERS"), ("87000", "LIMOGES"), ("92100", "BOULOGNE BILLANCOURT"), ("93200", "SAINT DENIS"),
    ("94000", "CRETEIL"), ("97100", "BASSE TERRE"), ("97200", "FORT DE FRANCE"), ("97400", "SAINT DENIS"),
    ("97600", "MAMOUDZOU"),
)))


def synthetic_patient(index: int, total: int, seed: int = 2026) -> LetterFields:
    """Patient `index` of `total`, the same whatever the lot size; postcodes non-decreasing with the index.
    Address lines as NF Z10-011 orders them (docs/domain.md, "Address blocks (NF Z10-011)")."""
    rng = random.Random(seed * 1_000_003 + index)
    postcode, city = TOWNS[index * len(TOWNS) // total]
    female = rng.random() < 0.52
    civility = "Madame" if female else "Monsieur"
    name = f"{civility} {rng.choice(FEMALE if female else MALE)} {rng.choice(SURNAMES).upper()}"
    lines = [name[:38]]
    if rng.random() < 0.25:
        lines.append(rng.choice(COMPLEMENTS))
    if rng.random() < 0.2:
        lines.append(rng.choice(BUILDINGS))
    lines.append(f"{rng.randint(1, 180)} {rng.choice(STREETS)}"[:38])
    if rng.random() < 0.08:
        lines.append(rng.choice(LIEUX_DITS))
    lines.append(f"{postcode} {city}")
    return LetterFields(reference=f"NTF26-{index + 1:07d}", patient_id=f"IPP{100000000 + index}",
                        postcode=postcode, address_lines=tuple(lines), salutation=f"{civility},")


def synthetic_patients(start: int, stop: int, total: int, seed: int = 2026) -> list[LetterFields]:
    return [synthetic_patient(index, total, seed) for index in range(start, stop)]


def bench_content(lang: str = "fr") -> LetterContent:
    return LetterContent(
        establishment=Establishment("Centre hospitalier universitaire de Démonstration",
                                    ("Direction générale", "1 rue de l'Hôpital", "75014 PARIS"),
                                    phone="01 23 45 67 89", email="dpo@chu-demo.example"),
        letter_date=date(2026, 3, 16), texts=EXAMPLE_TEXTS[lang], lang=lang)


_variant: PreparedVariant | None = None


def _init_worker(variant: PreparedVariant) -> None:
    global _variant
    _variant = variant


def _fast_lot(job: tuple[Path, int, int, int]) -> list:
    path, start, stop, total = job
    return write_lot(path, _variant, synthetic_patients(start, stop, total), lot_name=path.name)


def _naive_letters(job: tuple[int, int, int]) -> int:
    start, stop, total = job
    content = bench_content()
    return sum(len(render_letter_naive(content, fields)) for fields in synthetic_patients(start, stop, total))


def _mib(kib: int) -> float:
    return round(kib / 1024, 1)  # ru_maxrss is in KiB on Linux


def run_letters_benchmark(patients: int, workers: int = 2, out_dir=None, lot_size: int = 5000,
                          baseline_sample: int = 200) -> dict:
    """Fast path end to end (variant rendering, patient generation, lots, manifest) with `workers` processes, then
    the naive per-letter WeasyPrint path on `baseline_sample` letters with the same number of processes."""
    out = Path(out_dir) if out_dir else Path(tempfile.mkdtemp(prefix="notifier-letters-bench-"))
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    variant = prepare_variant(bench_content(), name="bench-fr")
    jobs = [(out / lot_file_name(number), start, min(start + lot_size, patients), patients)
            for number, start in enumerate(range(0, patients, lot_size), start=1)]
    with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(variant,)) as pool:
        rows = write_manifest(out / "manifest.csv", chain.from_iterable(pool.map(_fast_lot, jobs)))
    fast_seconds = time.perf_counter() - started
    fast_children_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    lot_bytes = sum(job[0].stat().st_size for job in jobs)

    sample = min(baseline_sample, patients)
    naive_seconds = naive_bytes = 0
    if sample:
        step = -(-sample // workers)
        naive_jobs = [(start, min(start + step, sample), patients) for start in range(0, sample, step)]
        started = time.perf_counter()
        with ProcessPoolExecutor(workers) as pool:
            naive_bytes = sum(pool.map(_naive_letters, naive_jobs))
        naive_seconds = time.perf_counter() - started

    fast_rate = rows / fast_seconds
    naive_rate = sample / naive_seconds if sample else 0.0
    return {
        "patients": rows,
        "workers": workers,
        "lots": len(jobs),
        "lot_size": lot_size,
        "pages_per_letter": variant.page_count,
        "fast_seconds": round(fast_seconds, 2),
        "fast_letters_per_second": round(fast_rate, 1),
        "minutes_for_750000": round(750_000 / fast_rate / 60, 1),
        "bytes_per_letter": round(lot_bytes / rows),
        "naive_sample": sample,
        "naive_seconds": round(naive_seconds, 2),
        "naive_letters_per_second": round(naive_rate, 1),
        "naive_bytes_per_letter": round(naive_bytes / sample) if sample else None,
        "speedup": round(fast_rate / naive_rate, 1) if naive_rate else None,
        "peak_rss_parent_mib": _mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss),
        "peak_rss_fast_worker_mib": _mib(fast_children_kib),
        "peak_rss_any_worker_mib": _mib(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss),
        "out_dir": str(out),
    }


def format_benchmark(result: dict) -> str:
    return "\n".join(f"{key:28} {value}" for key, value in result.items())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--lot-size", type=int, default=5000)
    parser.add_argument("--baseline-sample", type=int, default=200)
    parser.add_argument("--out-dir")
    args = parser.parse_args(argv)
    result = run_letters_benchmark(args.patients, args.workers, args.out_dir, args.lot_size, args.baseline_sample)
    print(format_benchmark(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
