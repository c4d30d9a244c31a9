"""ICAO 9303 check digit: weights 7,3,1 repeating; 0-9 as themselves, A-Z = 10-35, '<' = 0; sum mod 10."""

FILLER = "<"

# A lookup table rather than per-character branching: the OCR reader scores many candidates per image.
_VALUES: dict[str, int] = {
    **{str(digit): digit for digit in range(10)},
    **{chr(ord("A") + offset): 10 + offset for offset in range(26)},
    FILLER: 0,
}
# Values pre-multiplied by weights 7 and 3, so a check digit is three C-level sums over strided slices.
_TIMES_7 = {char: 7 * value for char, value in _VALUES.items()}
_TIMES_3 = {char: 3 * value for char, value in _VALUES.items()}

MRZ_ALPHABET: frozenset[str] = frozenset(_VALUES)


def char_value(char: str) -> int:
    try:
        return _VALUES[char]
    except KeyError:
        raise ValueError(f"not an MRZ character: {char!r}") from None


def check_digit(data: str) -> str:
    """The check digit of `data` as a one-character string."""
    try:
        total = (
            sum(map(_TIMES_7.__getitem__, data[0::3]))
            + sum(map(_TIMES_3.__getitem__, data[1::3]))
            + sum(map(_VALUES.__getitem__, data[2::3]))
        )
    except KeyError as error:
        raise ValueError(f"not an MRZ character: {error.args[0]!r}") from None
    return str(total % 10)
