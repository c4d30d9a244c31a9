"""Correcting OCR readings of an MRZ with the layout and the check digits, never beyond what they prove.

Three steps, each recorded:
1. Coercion where the layout leaves no choice: a date or check digit position cannot hold 'O', a country
   code cannot hold '0', a document code starts with A, C, I, P or V. Certain once the format is known.
   In document numbers and optional data, a run of three or more O/Q/D/0, or of two O/Q/0 that holds a
   0 or touches a digit, is read as zeros: issuers avoid the letter O there, and tesseract reads OCR-B's
   narrow 0 as O in runs (two characters with a D are left: AD07... is a real D more often than not).
   That one is a preference, not a certainty: step 3 still tries the letters if the check digits fail.
2. Filler runs: OCR reads '<' as 'K' (or S, E, G, C, X) inside long filler runs. Only a run that is
   mostly '<' is rewritten, so a name such as KAK or BECK survives. Names carry no check digit: nothing
   else in a name is ever changed, and a low name confidence is reported instead.
3. Ambiguous characters in free alphanumeric fields (document number, optional data): 'O'/'0',
   'I'/'1', 'B'/'8'... cannot be settled by the layout. Every single substitution is tried and checked
   with the check digits; a correction is accepted only if exactly one satisfies every check.
   Several -> ambiguous (reported, reading stays invalid); none -> the reading stays as read.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from verification.document.mrz.codes import is_state_code


class PositionKind(StrEnum):
    DIGIT = "digit"  # dates, numeric fields
    CHECK = "check"  # a check digit: a digit, or '<' where the format allows an empty one
    DOCUMENT_TYPE = "document_type"  # first letter of the document code: A, C, I, P or V
    STATE = "state"  # a three-letter issuing state or nationality code
    LETTER = "letter"  # country codes, document code: A-Z or '<'
    SEX = "sex"  # M, F or '<' (X is written '<' in the MRZ)
    NAME = "name"  # names: letters and '<' separators, not covered by any check digit
    ALNUM = "alnum"  # document number, optional data: anything, settled only by check digits
    ALNUM_CHECKED = "alnum_checked"  # the same, under two or more check digits: step 3 may change it


FREE_KINDS = (PositionKind.ALNUM, PositionKind.ALNUM_CHECKED)
TO_DIGIT = {"O": "0", "Q": "0", "D": "0", "U": "0", "I": "1", "L": "1", "T": "1", "Z": "2", "S": "5",
            "G": "6", "B": "8", "A": "4", "E": "8", "Y": "7"}
TO_LETTER = {"0": "O", "1": "I", "2": "Z", "5": "S", "6": "G", "8": "B", "4": "A", "7": "T"}
DOCUMENT_TYPES = frozenset("ACIPV")
TO_DOCUMENT_TYPE = {"1": "I", "L": "I", "T": "I", "J": "I"}
ZERO_LOOKALIKES = frozenset("OQD0")
# Letters tesseract confuses in country codes; a code not in the ICAO list one such swap away from
# exactly one listed code takes that code; anything else stays as read, and the parser rejects it.
STATE_LOOKALIKES = {"O": "DQ", "D": "O", "Q": "O", "I": "JL", "J": "IS", "L": "I", "S": "J"}
# Characters tesseract gives for a '<' in a long filler run.
FILLER_LOOKALIKES = frozenset("KSEGCXL")
# Alternatives tried in free alphanumeric fields when the check digits disagree with the reading.
ALNUM_ALTERNATIVES: dict[str, tuple[str, ...]] = {
    "O": ("0",), "0": ("O",), "D": ("0",), "Q": ("0",),
    "I": ("1",), "1": ("I",), "B": ("8",), "8": ("B",),
    "S": ("5",), "5": ("S",), "Z": ("2",), "2": ("Z",), "G": ("6",), "6": ("G",),
}


@dataclass(frozen=True)
class Correction:
    line: int
    position: int
    found: str
    replaced_by: str
    rule: str  # "layout", "filler" or "check_digits"

    def to_dict(self) -> dict[str, object]:
        return {"line": self.line, "position": self.position, "from": self.found, "to": self.replaced_by,
                "rule": self.rule}


@dataclass(frozen=True)
class CorrectionOutcome:
    lines: tuple[str, ...]
    corrections: tuple[Correction, ...]
    valid_candidates: int  # combinations of ambiguous characters that satisfy every check
    ambiguous_positions: tuple[tuple[int, int], ...]  # (line, position) tried in step 3


Layout = Sequence[Sequence[PositionKind]]  # one kind per character, per line


def _coerce(char: str, kind: PositionKind) -> str:
    if kind is PositionKind.DIGIT:
        return TO_DIGIT.get(char, char)
    if kind is PositionKind.CHECK:
        return char if char == "<" else TO_DIGIT.get(char, char)
    if kind in (PositionKind.LETTER, PositionKind.STATE):
        return TO_LETTER.get(char, char)
    if kind is PositionKind.DOCUMENT_TYPE:
        return char if char in DOCUMENT_TYPES else TO_DOCUMENT_TYPE.get(char, char)
    if kind is PositionKind.SEX:
        return {"N": "M", "H": "M", "P": "F", "E": "F"}.get(char, TO_LETTER.get(char, char))
    if kind is PositionKind.NAME:
        return TO_LETTER.get(char, char)
    return char


def _filler_runs(line: str, kinds: Sequence[PositionKind]) -> str:
    """Rewrite filler look-alikes to '<' in the trailing filler of each name or free alphanumeric field.

    'K' and '<' have the same check-digit value (20 = 0 mod 10), so no check digit can tell them apart:
    only the shape of the field can. A field ends in fillers; the trailing stretch of '<' and look-alikes
    is rewritten when it holds at least one real '<', except look-alikes glued to the last letters of a
    name (BECK<<< keeps its K).
    """
    chars = list(line)
    stretch_start = 0
    while stretch_start < len(chars):
        kind = kinds[stretch_start]
        stretch_end = stretch_start
        while stretch_end < len(chars) and kinds[stretch_end] is kind:
            stretch_end += 1
        if kind in (PositionKind.NAME, *FREE_KINDS):
            run_start = stretch_end
            while run_start > stretch_start and (chars[run_start - 1] == "<"
                                                  or chars[run_start - 1] in FILLER_LOOKALIKES):
                run_start -= 1
            while run_start < stretch_end and run_start > stretch_start and chars[run_start] != "<":
                run_start += 1  # look-alikes right after a data character belong to the data
            if "<" in chars[run_start:stretch_end] and stretch_end - run_start >= 2:
                chars[run_start:stretch_end] = ["<"] * (stretch_end - run_start)
        stretch_start = stretch_end
    return "".join(chars)


def _zero_runs(line: str, kinds: Sequence[PositionKind]) -> str:
    """In free alphanumeric fields, runs of 3+ O/Q/D/0, or of 2 O/Q/0 holding a 0 or next to a digit,
    become zeros."""
    chars = list(line)
    position = 0
    while position < len(chars):
        end = position
        while end < len(chars) and kinds[end] in FREE_KINDS and chars[end] in ZERO_LOOKALIKES:
            end += 1
        run = chars[position:end]
        if len(run) >= 3 or (len(run) == 2 and "D" not in run):
            beside = [chars[i] for i in (position - 1, end) if 0 <= i < len(chars) and kinds[i] in FREE_KINDS]
            if len(run) >= 3 or "0" in run or any(c.isdigit() for c in beside):
                chars[position:end] = ["0"] * (end - position)
        position = max(end, position + 1)
    return "".join(chars)


def _state_codes(line: str, kinds: Sequence[PositionKind]) -> str:
    """Unknown country codes one look-alike swap away from exactly one known code take that code."""
    chars = list(line)
    for start in range(len(chars) - 2):
        if all(kinds[i] is PositionKind.STATE for i in range(start, start + 3)) and (
            start == 0 or kinds[start - 1] is not PositionKind.STATE
        ):
            code = "".join(chars[start : start + 3])
            if is_state_code(code):
                continue
            options = {
                option
                for i, char in enumerate(code)
                for other in STATE_LOOKALIKES.get(char, "")
                if is_state_code(option := code[:i] + other + code[i + 1 :])
            }
            if len(options) == 1:
                chars[start : start + 3] = list(options.pop())
    return "".join(chars)


def normalise(lines: Sequence[str], layout: Layout) -> tuple[list[str], list[Correction]]:
    """Steps 1 and 2: layout coercion, state codes, zero runs and filler runs. `lines` must have the
    layout's lengths."""
    out: list[str] = []
    corrections: list[Correction] = []
    for line_index, (line, kinds) in enumerate(zip(lines, layout, strict=True)):
        stages = [line]
        stages.append("".join(_coerce(c, k) for c, k in zip(line, kinds, strict=True)))
        stages.append(_state_codes(stages[-1], kinds))
        stages.append(_zero_runs(stages[-1], kinds))
        stages.append(_filler_runs(stages[-1], kinds))
        rules = ("layout", "state_code", "zero_run", "filler")
        for (before, after), rule in zip(itertools.pairwise(stages), rules, strict=True):
            corrections += [
                Correction(line_index, position, old, new, rule)
                for position, (old, new) in enumerate(zip(before, after, strict=True))  # each stage keeps the length
                if old != new
            ]
        out.append(stages[-1])
    return out, corrections


def correct(
    lines: Sequence[str], layout: Layout, is_valid: Callable[[Sequence[str]], bool]
) -> CorrectionOutcome:
    """All three steps. `is_valid` says whether every check digit of a reading holds.

    Step 3 changes ONE character, in a free alphanumeric field under two or more check digits: a
    look-alike, or a letter a zero run replaced. Why so little: under a single check digit one random
    substitution in ten passes it (a French card's office code under its final digit, TD1 optional
    data under the composite), so a damaged MRZ would be "repaired"; one substitution can never repair
    an MRZ whose own check digit disagrees while another check over the same characters holds (ICAO
    weights are invertible mod 10); and two substitutions can cancel (D->0 with 8->B at equal weights).
    A reading that needs more stays invalid.
    """
    normalised, corrections = normalise(lines, layout)
    if is_valid(normalised):
        return CorrectionOutcome(tuple(normalised), tuple(corrections), 1, ())
    alternatives: dict[tuple[int, int], set[str]] = {
        (li, pos): set(ALNUM_ALTERNATIVES[normalised[li][pos]])
        for li, kinds in enumerate(layout)
        for pos, kind in enumerate(kinds)
        if kind is PositionKind.ALNUM_CHECKED and normalised[li][pos] in ALNUM_ALTERNATIVES
    }
    for fix in corrections:
        if fix.rule == "zero_run" and layout[fix.line][fix.position] is PositionKind.ALNUM_CHECKED:
            alternatives.setdefault((fix.line, fix.position), set()).add(fix.found)
    positions = tuple(sorted(alternatives))
    valid: list[tuple[list[str], Correction]] = []
    for li, pos in positions:
        for char in sorted(alternatives[li, pos]):
            candidate = list(normalised)
            candidate[li] = candidate[li][:pos] + char + candidate[li][pos + 1 :]
            if is_valid(candidate):
                valid.append((candidate, Correction(li, pos, normalised[li][pos], char, "check_digits")))
    if len(valid) != 1:
        return CorrectionOutcome(tuple(normalised), tuple(corrections), len(valid), positions)
    chosen, fix = valid[0]
    return CorrectionOutcome(tuple(chosen), (*corrections, fix), 1, positions)


def fit_length(line: str, length: int) -> str:
    """Pad or trim a line to the format's length, taking from or adding to its longest filler run.

    OCR drops or doubles '<' in long runs far more often than it drops a data character.
    """
    if len(line) == length:
        return line
    runs = [(end - start, start, end) for start, end in _runs_of(line, "<")]
    if len(line) > length:
        excess = len(line) - length
        if runs:
            size, start, end = max(runs)
            cut = min(excess, size - 1) if size > 1 else 0
            line = line[: end - cut] + line[end:]
        return line[:length]
    missing = length - len(line)
    if runs:
        size, start, end = max(runs)
        if size >= 2:
            return line[:end] + "<" * missing + line[end:]
    return line + "<" * missing


def _runs_of(line: str, char: str) -> list[tuple[int, int]]:
    """(start, end) of every maximal run of `char`."""
    runs = []
    position = 0
    for key, group in itertools.groupby(line):
        size = sum(1 for _ in group)
        if key == char:
            runs.append((position, position + size))
        position += size
    return runs
