"""A printed French birth place mapped to its INSEE code, from the official geographic code, never a guess.

The data (verification/document/viz/data, built by scripts/build_insee_places.py) holds current communes,
communes déléguées and associées (the former communes a person may have been born in keep their own code)
and the arrondissements municipaux of Paris, Lyon and Marseille.

A name is compared in a folded form: upper case, no diacritics, hyphens and apostrophes as spaces, and the
abbreviations of French address norms (NF Z 10-011: ST, STE for SAINT, SAINTE) spelled out. A département
printed after the name ("(75)", "75") narrows the candidates; an arrondissement ("PARIS 6E", "LYON 3E
ARRONDISSEMENT") gives the arrondissement's code. Several codes left: ambiguous; none: not found.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from importlib import resources

from verification.document.fields import UnconfirmedReason
from verification.identity.traits import folded_form

_DATA = ("data", "insee_places.json.gz")
_ABBREVIATIONS = {"ST": "SAINT", "STE": "SAINTE"}
# A trailing département: two digits, 2A/2B (Corsica) or three digits (overseas), bracketed or not.
_DEPARTEMENT = re.compile(r"^(?P<name>.*?)\s*\(?\s*(?P<dep>\d{2,3}|2[AB])\s*\)?$")
# "PARIS 6E", "PARIS 6EME", "MARSEILLE 1ER ARRONDISSEMENT", "LYON 3E ARR"...
_ARRONDISSEMENT = re.compile(r"^(?P<city>PARIS|LYON|MARSEILLE)\s+(?P<number>\d{1,2})\s*(?:E|EME|ER|ERE)?"
                             r"(?:\s+(?:ARRONDISSEMENT|ARRT?))?$")
_CITY_DEPARTEMENT = {"PARIS": "75", "LYON": "69", "MARSEILLE": "13"}


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    departement: str
    kind: str  # commune, deleguee, associee, arrondissement


@dataclass(frozen=True)
class PlaceLookup:
    """The INSEE code of a printed place, or why there is none."""

    code: str | None
    reason: UnconfirmedReason | None = None  # UNKNOWN_PLACE or AMBIGUOUS_PLACE when code is None


def fold(name: str) -> str:
    """The form names are compared in: 'Saint-Étienne', 'ST ETIENNE' and "st-étienne" -> 'SAINT ETIENNE'."""
    words = re.sub(r"[-'.]", " ", folded_form(name)).split()
    return " ".join(_ABBREVIATIONS.get(word, word) for word in words)


@cache
def _index() -> tuple[dict[str, tuple[Place, ...]], dict[tuple[str, int], Place]]:
    """Places by folded name, and arrondissements by (city, number)."""
    raw = resources.files("verification.document.viz").joinpath(*_DATA).read_bytes()
    rows = json.loads(gzip.decompress(raw))["places"]
    by_name: dict[str, list[Place]] = defaultdict(list)
    arrondissements: dict[tuple[str, int], Place] = {}
    for code, name, departement, kind in rows:
        place = Place(code, name, departement, kind)
        by_name[fold(name)].append(place)
        if kind == "arrondissement":
            city, number = fold(name).split()[:2]
            arrondissements[(city, int(re.sub(r"\D", "", number)))] = place
    return {name: tuple(places) for name, places in by_name.items()}, arrondissements


def lookup(printed: str) -> PlaceLookup:
    """The INSEE code of a French place as printed on a document (see the module docstring)."""
    by_name, arrondissements = _index()
    text = fold(printed)
    match = _DEPARTEMENT.match(text)
    name, departement = (match["name"].strip(), match["dep"]) if match and match["name"] else (text, None)
    arrondissement = _ARRONDISSEMENT.match(name)
    if arrondissement:
        city = arrondissement["city"]
        place = arrondissements.get((city, int(arrondissement["number"])))
        if place is None or departement not in (None, _CITY_DEPARTEMENT[city]):
            return PlaceLookup(None, UnconfirmedReason.UNKNOWN_PLACE)
        return PlaceLookup(place.code)
    candidates = [p for p in by_name.get(name, ()) if departement in (None, p.departement)]
    codes = {p.code for p in candidates}
    if not codes:
        return PlaceLookup(None, UnconfirmedReason.UNKNOWN_PLACE)
    if len(codes) > 1:
        return PlaceLookup(None, UnconfirmedReason.AMBIGUOUS_PLACE)
    return PlaceLookup(codes.pop())
