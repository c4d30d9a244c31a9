"""The names of an MRZ, which no check digit covers: read until two tries agree, then taken from the reading
closest to all the tries', their padding cleared. Nothing a check digit covers ever changes here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from verification.document.mrz.candidate import Candidate, checked_content
from verification.document.mrz.checkdigit import FILLER
from verification.document.mrz.formats import MrzFormat, field_layout
from verification.document.mrz.parser import parse_mrz

LineVotes = Counter[tuple[MrzFormat, int, str]]  # how often the tries so far read each line, per format


def consensus_unchecked_lines(lines: Sequence[str], fmt: MrzFormat, votes: LineVotes) -> tuple[str, ...]:
    """`lines` with each line that no check digit covers replaced by the version of it closest to all the
    tries' readings (fewest differing characters in all, each reading counted as often as it was read),
    when it is closer than the line as it stands. Tries misread different characters, so the reading
    that agrees most with the others has the fewest misreadings; a whole line is chosen, never mixed."""
    out = list(lines)
    for index in _unchecked_lines(fmt):
        read = _readings(votes, fmt, index)
        if not read:
            continue
        closest = min(read, key=lambda text: _disagreement(text, read))
        if _disagreement(closest, read) < _disagreement(lines[index], read):
            out[index] = closest
    return tuple(out)


def names_settled(fmt: MrzFormat, votes: LineVotes) -> bool:
    """Whether each line of the format that no check digit covers was read the same way twice. The MRZ
    model misreads a letter of a name in one try out of a few (M as R or A): the names need their own
    second reading, as the checked fields do, before consensus_unchecked_lines picks one."""
    return all(max(_readings(votes, fmt, index).values(), default=0) >= 2 for index in _unchecked_lines(fmt))


def _unchecked_lines(fmt: MrzFormat) -> set[int]:
    """The lines of a format that no check digit covers (the names line of TD1 and of the two-line formats)."""
    layout = field_layout(fmt)
    return {span.line for span in layout} - {span.line for span in layout if span.checked_by}


def _readings(votes: LineVotes, fmt: MrzFormat, index: int) -> Counter[str]:
    """How often the tries read each version of line `index` of a reading in format `fmt`."""
    return Counter({text: count for (f, i, text), count in votes.items() if f is fmt and i == index})


def _disagreement(text: str, readings: Counter[str]) -> int:
    """Characters of `text` that differ from each reading, summed over the readings (with repeats)."""
    # Not strict: a line and its readings are fitted to one format's length, but a shorter one is no error.
    return sum(count * sum(a != b for a, b in zip(text, other, strict=False)) for other, count in readings.items())


def finished(best: Candidate, votes: LineVotes, today: date | None) -> Candidate:
    """A reading as returned: each line no check digit covers (the names) as the reading of it closest
    to all the tries' (see consensus_unchecked_lines), then the padding of its name fields cleared (see
    clear_name_padding). Nothing a check digit covers ever changes, nor whether the reading is valid."""
    if best.result is None or best.outcome is None or best.result.format is None:
        return best
    fmt = best.result.format
    lines = [list(line) for line in consensus_unchecked_lines(best.result.lines, fmt, votes)]
    for span in field_layout(fmt):
        if "name" in span.name and not span.checked_by:
            lines[span.line][span.start : span.end] = clear_name_padding(lines[span.line][span.start : span.end])
    finished = tuple("".join(line) for line in lines)
    result = parse_mrz(list(finished), today=today)
    if result.valid != best.result.valid or checked_content(result) != best.checked_content():
        return best
    return replace(best, result=result, outcome=replace(best.outcome, lines=finished))

# Name parts are separated by one filler, surname and given names by two: a longer run is the padding
# that ends the field, and what follows it is fillers tesseract read as E, K, L, C...
PADDING_RUN = 4


def clear_name_padding(chars: list[str]) -> list[str]:
    """A name field's characters with everything after its first run of PADDING_RUN fillers made fillers."""
    text = "".join(chars)
    end = text.find(FILLER * PADDING_RUN)
    return chars if end < 0 else list(text[:end] + FILLER * (len(text) - end))

