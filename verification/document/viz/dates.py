"""Dates as printed in a visual zone: "13 07 1990", "24.04.1994", "13/07/1990", "13 JUIL/JUL 1990"."""

from __future__ import annotations

import re
from datetime import date

from verification.identity.traits import folded_form

# Month abbreviations of French and English documents (ICAO 9303-3 prints them bilingual: "JUIL/JUL").
_MONTHS = {"JAN": 1, "JANV": 1, "FEB": 2, "FEV": 2, "FEVR": 2, "MAR": 3, "MARS": 3, "APR": 4, "AVR": 4,
           "AVRIL": 4, "MAY": 5, "MAI": 5, "JUN": 6, "JUIN": 6, "JUL": 7, "JUIL": 7, "AUG": 8, "AOU": 8,
           "AOUT": 8, "SEP": 9, "SEPT": 9, "OCT": 10, "NOV": 11, "DEC": 12}
_NUMERIC = re.compile(r"(\d{2})[ ./-]?(\d{2})[ ./-]?(\d{4})")
_NAMED = re.compile(r"(\d{2}) ?([A-Z]{3,5})(?:/([A-Z]{3,5}))? ?(\d{4})")


def parse_date(text: str) -> date | None:
    """The date a printed value states, or None when it is not exactly a date (no partial reading)."""
    folded = " ".join(folded_form(text).split()).strip(" .,:;")
    if numeric := _NUMERIC.fullmatch(folded):
        day, month, year = (int(part) for part in numeric.groups())
    elif named := _NAMED.fullmatch(folded):
        names = [name for name in named.group(2, 3) if name]
        months = {_MONTHS[name] for name in names if name in _MONTHS}
        if len(months) != 1 or any(name not in _MONTHS for name in names):  # a bilingual pair names one month
            return None
        day, month, year = int(named[1]), months.pop(), int(named[4])
    else:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def birth_date(text: str, today: date) -> date | None:
    """A printed birth date: a date, not after today, and within a human lifetime."""
    value = parse_date(text)
    return value if value is not None and today.year - 130 <= value.year and value <= today else None
