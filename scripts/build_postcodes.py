"""Rebuild notifier/patients/rules/data/postcodes.tsv.gz: every French postcode with the communes it serves and their
*libellé d'acheminement* (the name La Poste prints on line 6, NF Z10-011).

Source: the npm package ``codes-postaux`` (Base Adresse Nationale, MIT licence,
https://github.com/BaseAdresseNationale/codes-postaux), built from INSEE's Code officiel géographique and the
DGFiP's FIMOCT; metropolitan France, Corsica (2A, 2B) and the overseas départements (971-976). Fetch it and rebuild:

    npm pack codes-postaux              # codes-postaux-X.Y.Z.tgz, the registry's published tarball
    python scripts/build_postcodes.py codes-postaux-X.Y.Z.tgz

The script reads ``package/codes-postaux.json`` and ``package/LICENSE`` from the tarball (nothing is downloaded here)
and writes the table sorted by postcode, one line per (postcode, commune): ``postcode TAB INSEE code TAB commune name
TAB libellé d'acheminement``, with the source's name, version, SHA-256 and licence in its ``#`` header lines, and
the licence text beside it (postcodes.LICENSE). The application reads the shipped file
(notifier/patients/rules/postcodes.py); about 36,000 lines, 300 KB compressed.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sys
import tarfile
from pathlib import Path

TARGET = Path(__file__).resolve().parent.parent / "notifier" / "patients" / "rules" / "data"


def main(tarball: str) -> None:
    raw = Path(tarball).read_bytes()
    with tarfile.open(tarball, "r:gz") as archive:
        package = json.load(archive.extractfile("package/package.json"))
        rows = json.load(archive.extractfile("package/codes-postaux.json"))
        licence = archive.extractfile("package/LICENSE").read().decode("utf-8")
    if package.get("name") != "codes-postaux" or package.get("license") != "MIT":
        raise SystemExit(f"not the codes-postaux MIT package: {package.get('name')} {package.get('license')}")
    lines = set()
    for row in rows:
        postcode, insee = row["codePostal"], row["codeCommune"]
        name, libelle = row["nomCommune"].strip(), row["libelleAcheminement"].strip()
        if len(postcode) != 5 or not postcode.isdigit() or "\t" in name + libelle:
            raise SystemExit(f"unexpected row: {row!r}")
        lines.add(f"{postcode}\t{insee}\t{name}\t{libelle}")
    header = [
        f"# source: npm codes-postaux {package['version']} ({package.get('homepage', '')}), "
        f"tarball sha256 {hashlib.sha256(raw).hexdigest()}",
        f"# licence: {package['license']} (postcodes.LICENSE); data from INSEE's Code officiel géographique and "
        "the DGFiP's FIMOCT",
        "# rebuilt by scripts/build_postcodes.py; columns: postcode, INSEE commune code, commune, libellé "
        "d'acheminement",
    ]
    body = "\n".join([*header, *sorted(lines)]) + "\n"
    TARGET.mkdir(parents=True, exist_ok=True)
    # mtime=0: the same source gives the same bytes (a rebuild that changes nothing shows no diff).
    with open(TARGET / "postcodes.tsv.gz", "wb") as out, gzip.GzipFile(fileobj=out, mode="wb", mtime=0,
                                                                      filename="") as packed:
        packed.write(body.encode("utf-8"))
    (TARGET / "postcodes.LICENSE").write_text(
        f"notifier/patients/rules/data/postcodes.tsv.gz is derived from the npm package codes-postaux "
        f"{package['version']}, distributed under this licence:\n\n{licence}", encoding="utf-8")
    print(f"{len(lines)} postcode-commune rows, {len({line[:5] for line in lines})} postcodes, "
          f"codes-postaux {package['version']}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python scripts/build_postcodes.py codes-postaux-X.Y.Z.tgz")
    main(sys.argv[1])
