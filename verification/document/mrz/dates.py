"""MRZ dates: YYMMDD to real dates, with the century inferred against a reference day.

Century rules (two digits of year leave a 100-year ambiguity, resolved by where the date may lie):
- birth dates and the French card's issue month lie in the past: the latest matching date on or before
  `today` (so anyone over 100 is read as a century younger — a limit of the MRZ itself);
- expiry dates lie within the years [today.year - 79, today.year + 20]: documents are not issued for more
  than 20 years ahead, and an expiry older than 79 years is only plausible as a reading error.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

from verification.common.dates import add_years

EXPIRY_YEARS_AHEAD = 20


class DateFault(StrEnum):
    NOT_DIGITS = "not_digits"
    ZERO_DATE = "zero_date"
    INVALID_MONTH = "invalid_month"
    INVALID_DAY = "invalid_day"


def _fields(text: str) -> tuple[int, int, int] | DateFault:
    if len(text) != 6 or not text.isascii() or not text.isdigit():
        return DateFault.NOT_DIGITS
    if text == "000000":
        return DateFault.ZERO_DATE
    year, month, day = int(text[:2]), int(text[2:4]), int(text[4:])
    if not 1 <= month <= 12:
        return DateFault.INVALID_MONTH
    return year, month, day


def _make(year: int, month: int, day: int) -> date | DateFault:
    try:
        return date(year, month, day)
    except ValueError:
        return DateFault.INVALID_DAY


def past_date(text: str, today: date) -> date | DateFault:
    """YYMMDD as the latest such date on or before `today` (birth dates)."""
    parts = _fields(text)
    if isinstance(parts, DateFault):
        return parts
    yy, month, day = parts
    year = today.year - (today.year - yy) % 100
    result = _make(year, month, day)
    if isinstance(result, date) and result > today:
        return _make(year - 100, month, day)
    return result


def expiry_date(text: str, today: date) -> date | DateFault:
    """YYMMDD as the date whose year lies in [today.year - 79, today.year + 20]."""
    parts = _fields(text)
    if isinstance(parts, DateFault):
        return parts
    yy, month, day = parts
    latest = today.year + EXPIRY_YEARS_AHEAD
    return _make(latest - (latest - yy) % 100, month, day)


def issue_month(text: str, today: date) -> date | DateFault:
    """The French card's YYMM of issue as the first day of that month, on or before `today`."""
    return past_date(text + "01", today) if len(text) == 4 else DateFault.NOT_DIGITS


# The 1988 card model was issued from 1988 until the 2021 card replaced it (generalised August 2021).
FRENCH_CARD_ISSUED_FROM = date(1988, 1, 1)
FRENCH_CARD_ISSUED_UNTIL = date(2021, 12, 1)
FRENCH_CARD_VALIDITY_YEARS = 10
FRENCH_CARD_EXTENSION_YEARS = 5
_EXTENSION_ISSUED_FROM = date(2004, 1, 1)  # decree 2013-1188: issued 2 Jan 2004 to 31 Dec 2013 to adults
_EXTENSION_ISSUED_UNTIL = date(2013, 12, 31)
ADULT_AGE = 18


def french_card_validity(issue: date, birth_date: date | None) -> date:
    """Last validity date of a French 1988-2021 ID card, conservatively, from the MRZ's month of issue.

    The card is valid 10 years from issue (to the day before the anniversary); decree 2013-1188 extended
    by 5 years the cards issued from 2 January 2004 to 31 December 2013 to holders who were adults (18)
    at issue. The MRZ gives the issue month only, so `issue` is the first day of that month: the validity
    computed ends at the earliest date the real one can, and a holder counts as an adult only if 18 on
    that first day. Without a birth date no extension is granted. (The MRZ cannot tell an issue on
    1 January 2004, not extended, from later that month.)
    """
    years = FRENCH_CARD_VALIDITY_YEARS
    adult = birth_date is not None and add_years(birth_date, ADULT_AGE) <= issue
    if adult and _EXTENSION_ISSUED_FROM <= issue <= _EXTENSION_ISSUED_UNTIL:
        years += FRENCH_CARD_EXTENSION_YEARS
    return add_years(issue, years) - timedelta(days=1)
