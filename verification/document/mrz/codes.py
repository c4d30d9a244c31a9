"""The codes an MRZ may hold for an issuing state or a nationality (ICAO 9303-3 §5): ISO 3166-1 alpha-3
(from pycountry, which tracks the ISO standard) and the codes ICAO adds. An unknown code is never valid:
a misread FRA as FBB passes every check digit, since none covers the issuing state or the nationality.
"""

from __future__ import annotations

import pycountry

from verification.document.mrz.checkdigit import FILLER

# ICAO 9303-3 §5 additions: Germany's D, the British nationals' GB?, the UN, the organisations (X??), the
# stateless and refugees (XXA, XXB, XXC), unspecified (XXX), the EU's laissez-passer (EUE), Kosovo (RKS).
ICAO_ADDITIONS = frozenset({
    "D", "GBD", "GBN", "GBO", "GBP", "GBS", "UNO", "UNA", "UNK", "XBA", "XIM", "XCC", "XCE", "XCO", "XEC",
    "XPO", "XES", "XMP", "XOM", "XDC", "XXA", "XXB", "XXC", "XXX", "EUE", "RKS",
})
# ICAO 9303's fictional state, on the specimens it publishes: read like any code, never a person's document.
SPECIMEN_CODES = frozenset({"UTO"})
STATE_CODES = frozenset(country.alpha_3 for country in pycountry.countries) | ICAO_ADDITIONS | SPECIMEN_CODES


def is_state_code(code: str) -> bool:
    """Whether an issuing state or nationality field (as read, fillers included or not) holds a known code."""
    return code.strip(FILLER) in STATE_CODES


def is_specimen_code(code: str) -> bool:
    return code.strip(FILLER) in SPECIMEN_CODES
