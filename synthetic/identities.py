"""Synthetic persons and the identity documents issued to them (seeded, reproducible).

Names deliberately include diacritics, hyphens, apostrophes and several given names, because those are
where MRZ transliteration and RNIV-style name comparison go wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

import numpy as np


class DocumentKind(StrEnum):
    TD3_PASSPORT = "td3_passport"
    TD1_ID_CARD = "td1_id_card"
    TD1_RESIDENCE_PERMIT = "td1_residence_permit"
    FR_ID_1988 = "fr_id_1988"


class Sex(StrEnum):
    FEMALE = "F"
    MALE = "M"


@dataclass(frozen=True)
class SyntheticPerson:
    surname: str
    given_names: tuple[str, ...]
    sex: Sex
    birth_date: date
    birth_place: str
    nationality: str  # ICAO 9303 three-letter code, e.g. "FRA", "D<<"
    document_kind: DocumentKind
    document_number: str
    issuing_state: str
    issue_date: date
    expiry_date: date


_SURNAMES = (
    "Martin", "Bernard", "Dubois", "Lefèvre", "Girard", "Rousseau", "Fontaine", "Chevalier", "Garnier",
    "Faure", "Mercier", "Boyer", "Blanc", "Guérin", "Müller", "García", "Nguyễn", "Østergaard", "N'Diaye",
    "D'Almeida", "Le Goff", "Da Silva", "Dupont-Moretti", "Saint-Just", "Lambert-Ferrière", "Öztürk",
    "Kowalski", "Benali", "Haddad", "Leroux", "Bœuf", "Weiß",
)
_GIVEN_NAMES: dict[Sex, tuple[str, ...]] = {
    Sex.FEMALE: ("Marie", "Zoé", "Hélène", "Anaïs", "Maëlis-Gaëlle", "Camille", "Léa", "Chloé", "Inès",
                 "Éloïse", "Anne-Sophie", "Noémie", "Fatoumata", "Aurélie", "Béatrice", "Solène"),
    Sex.MALE: ("Jean", "Jean-Baptiste", "François", "Loïc", "Hugo", "Théo", "Gaël", "Mathéo", "Karim",
               "Jérôme", "Pierre-Yves", "Noël", "Ömer", "Lucas", "Raphaël", "Benoît"),
}
_BIRTH_PLACES = ("PARIS", "LYON", "MARSEILLE", "TOULOUSE", "LILLE", "NANTES", "BORDEAUX", "STRASBOURG",
                 "SAINT-ÉTIENNE", "AIX-EN-PROVENCE", "ALGER", "DAKAR", "PORTO", "BERLIN")
# Weighted towards French nationals; "D<<" is Germany's ICAO code and a classic parsing edge case.
_NATIONALITIES = ("FRA",) * 6 + ("D<<", "ITA", "ESP", "PRT", "BEL", "DZA", "SEN", "TUR", "POL")
_VALIDITY_YEARS = {
    DocumentKind.TD3_PASSPORT: 10,
    DocumentKind.TD1_ID_CARD: 10,
    DocumentKind.TD1_RESIDENCE_PERMIT: 5,
    DocumentKind.FR_ID_1988: 15,
}
_ALNUM = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"  # no I/O/Q: issuing offices avoid them for legibility


def random_person(rng: np.random.Generator, kind: DocumentKind, today: date | None = None) -> SyntheticPerson:
    """A plausible adult holding a currently valid document of `kind` issued by France."""
    today = today or date.today()
    sex = Sex(str(rng.choice([s.value for s in Sex])))
    given_count = int(rng.choice([1, 1, 2, 2, 3]))
    given = tuple(str(g) for g in rng.choice(_GIVEN_NAMES[sex], size=given_count, replace=False))
    birth_date = today - timedelta(days=int(rng.integers(18 * 365, 80 * 365)))
    validity = _VALIDITY_YEARS[kind]
    issue_date = today - timedelta(days=int(rng.integers(30, (validity - 1) * 365)))
    if kind is DocumentKind.FR_ID_1988:
        # Issuance of this model stopped in 2021; keep the dates consistent with that.
        issue_date = min(issue_date, date(2021, 3, 1))
    nationality = "FRA"
    if kind is DocumentKind.TD1_RESIDENCE_PERMIT:
        nationality = str(rng.choice([n for n in _NATIONALITIES if n != "FRA"]))
    elif kind is DocumentKind.TD3_PASSPORT:
        nationality = str(rng.choice(_NATIONALITIES))
    return SyntheticPerson(
        surname=str(rng.choice(_SURNAMES)),
        given_names=given,
        sex=sex,
        birth_date=birth_date,
        birth_place=str(rng.choice(_BIRTH_PLACES)),
        nationality=nationality,
        document_kind=kind,
        document_number=document_number(kind, issue_date, rng),
        issuing_state=nationality if kind is DocumentKind.TD3_PASSPORT else "FRA",
        issue_date=issue_date,
        expiry_date=_add_years(issue_date, validity) - timedelta(days=1),
    )


def document_number(kind: DocumentKind, issue_date: date, rng: np.random.Generator) -> str:
    """A number in the shape the French issuer uses for `kind` (9 characters, 12 digits for the 1988 card)."""
    if kind is DocumentKind.FR_ID_1988:
        # YYMM of issue, 3-digit department, 5-digit sequence.
        department = int(rng.integers(1, 96))
        return f"{issue_date:%y%m}{department:03d}{int(rng.integers(0, 100000)):05d}"
    if kind is DocumentKind.TD3_PASSPORT:
        letters = "".join(rng.choice(list("ABCDEFGHJKLMNPRSTUVWXYZ"), size=2))
        return f"{issue_date:%y}{letters}{int(rng.integers(0, 100000)):05d}"
    return "".join(rng.choice(list(_ALNUM), size=9))


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)
