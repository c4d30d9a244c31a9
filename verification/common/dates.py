"""Calendar arithmetic shared by the document checks (validity, age) and the evidence retention."""

from __future__ import annotations

from datetime import date
from typing import TypeVar

Day = TypeVar("Day", bound=date)  # a date or a datetime, returned as given


def add_years(day: Day, years: int) -> Day:
    """The same calendar date `years` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
