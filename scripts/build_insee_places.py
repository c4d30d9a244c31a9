"""Build verification/document/viz/data/insee_places.json.gz, the French places a birth place is looked up in.

Source: INSEE's Code officiel géographique as the npm package @etalab/decoupage-administratif ships it
(code MIT, data Licence Ouverte / Etalab), version PACKAGE_VERSION, its tarball checked against the
registry's sha512 integrity before use. Kept from its communes.json: current communes, communes déléguées
and associées (the former communes people were born in, with their own codes) and the arrondissements
municipaux of Paris, Lyon and Marseille. Each place as [code, name, département, kind].

Usage: python scripts/build_insee_places.py [--tarball PATH]  (without --tarball it downloads the pinned one)
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import io
import json
import tarfile
import urllib.request
from datetime import date
from pathlib import Path

PACKAGE = "@etalab/decoupage-administratif"
PACKAGE_VERSION = "6.0.0"
TARBALL_URL = f"https://registry.npmjs.org/{PACKAGE}/-/decoupage-administratif-{PACKAGE_VERSION}.tgz"
INTEGRITY = "sha512-XavYsFlbcM/prKr8hNHPKER94IHw/dsxNM4nxjWMYk6PLFACpEedvn/7wK8Baozm0dCYhWWcf+7bcWpA5pmCaQ=="
KINDS = {"commune-actuelle": "commune", "commune-deleguee": "deleguee", "commune-associee": "associee",
         "arrondissement-municipal": "arrondissement"}
OUTPUT = Path(__file__).resolve().parents[1] / "verification" / "document" / "viz" / "data" / "insee_places.json.gz"


def check_integrity(data: bytes) -> None:
    algorithm, expected = INTEGRITY.split("-", 1)
    actual = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if actual != expected:
        raise SystemExit(f"{PACKAGE}@{PACKAGE_VERSION}: integrity mismatch ({algorithm} {actual})")


def places(tarball: bytes) -> list[list[str]]:
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        member = archive.extractfile("package/data/communes.json")
        if member is None:
            raise SystemExit("communes.json missing from the package")
        communes = json.load(member)
    rows = {(c["code"], c["nom"], c["departement"], KINDS[c["type"]]) for c in communes if c["type"] in KINDS}
    return [list(row) for row in sorted(rows)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tarball", type=Path, help="the package's tarball, already downloaded")
    args = parser.parse_args()
    if args.tarball:
        tarball = args.tarball.read_bytes()
    else:
        with urllib.request.urlopen(TARBALL_URL, timeout=60) as response:
            tarball = response.read()
    check_integrity(tarball)
    document = {"source": f"{PACKAGE}@{PACKAGE_VERSION} (INSEE Code officiel géographique; code MIT, data "
                          f"Licence Ouverte / Etalab)", "built": date.today().isoformat(),
                "columns": ["code", "name", "departement", "kind"], "places": places(tarball)}
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    # mtime 0: the same package gives the same bytes, so a rebuild shows no spurious change.
    with gzip.GzipFile(OUTPUT, "wb", mtime=0) as out:
        out.write(text)
    print(f"{OUTPUT}: {len(document['places'])} places")


if __name__ == "__main__":
    main()
