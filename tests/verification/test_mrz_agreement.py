"""Which MRZ fields independent readings confirm (verification.document.mrz.agreement), and the issue's
property: look-alike substitutions that keep every check digit valid are never reported confirmed unless a
second, independent source (another OCR model, the visual zone) read the same."""

from __future__ import annotations

import string
from datetime import date

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from verification.document.confirmation import confirm_fields
from verification.document.fields import DocumentField, DocumentFields, FieldName, FieldSource, UnconfirmedReason
from verification.document.mrz.agreement import field_verdicts
from verification.document.mrz.candidate import Candidate
from verification.document.mrz.checkdigit import check_digit
from verification.document.mrz.correction import Correction, CorrectionOutcome
from verification.document.mrz.parser import parse_mrz

TODAY = date(2026, 12, 7)
# Pairs OCR confuses (a letter and the digit it looks like), restated here.
LOOKALIKE_PAIRS = [("B", "8"), ("D", "0"), ("O", "0"), ("I", "1"), ("S", "5"), ("Z", "2"), ("G", "6"), ("Q", "0")]
SWAPS = dict(LOOKALIKE_PAIRS) | {b: a for a, b in LOOKALIKE_PAIRS if b != "0"}
SOLID = string.digits + string.ascii_uppercase


def passport(number: str) -> list[str]:
    """A TD3 passport with document number `number` (9 characters), every check digit computed."""
    birth, expiry, personal = "780105", "310211", "<" * 14
    line2 = (number + check_digit(number) + "FRA" + birth + check_digit(birth) + "F" + expiry + check_digit(expiry)
             + personal + check_digit(personal))
    composite = line2[0:10] + line2[13:20] + line2[21:43]
    return ["P<FRAD<ALMEIDA<<FATOUMATA<<<<<<<<<<<<<<<<<<<"[:44].ljust(44, "<"), line2 + check_digit(composite)]


def reading(lines: list[str], guessed: tuple[tuple[int, int], ...] = ()) -> Candidate:
    """A reading as the search holds it; `guessed` positions were chosen by a check-digit correction."""
    result = parse_mrz(lines, today=TODAY)
    corrections = tuple(Correction(line, position, "?", lines[line][position], "check_digits")
                        for line, position in guessed)
    return Candidate(CorrectionOutcome(tuple(lines), corrections, 1, ()), result, tuple(lines))


@st.composite
def lookalike_misreading(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    """(printed, misread): a passport and a reading of it with look-alike swaps in the document number
    that leave every check digit valid."""
    number = draw(st.text(alphabet=SOLID, min_size=9, max_size=9))
    swappable = [i for i, char in enumerate(number) if char in SWAPS]
    assume(len(swappable) >= 1)
    chosen = draw(st.lists(st.sampled_from(swappable), min_size=1, max_size=3, unique=True))
    misread = "".join(SWAPS[c] if i in chosen else c for i, c in enumerate(number))
    # The misread number keeps the printed check digit: the swaps' weighted values cancel mod 10.
    assume(check_digit(misread) == check_digit(number))
    printed = passport(number)
    misread_lines = [printed[0], misread + printed[1][9:]]
    assume(parse_mrz(printed, today=TODAY).valid and parse_mrz(misread_lines, today=TODAY).valid)
    return printed, misread_lines


SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.filter_too_much,
                                                                            HealthCheck.too_slow])


@SETTINGS
@given(lookalike_misreading(), st.integers(1, 4))
def test_a_valid_lookalike_misreading_is_not_confirmed_by_one_model_repeating_it(
        pair: tuple[list[str], list[str]], repeats: int) -> None:
    _, misread = pair
    final = reading(misread)
    verdicts = field_verdicts(final, [("mrz", reading(misread)) for _ in range(repeats)])
    assert verdicts["document_number"] is not None


@SETTINGS
@given(lookalike_misreading())
def test_a_second_model_reading_the_printed_number_does_not_confirm_the_misreading(
        pair: tuple[list[str], list[str]]) -> None:
    printed, misread = pair
    verdicts = field_verdicts(reading(misread), [("mrz", reading(misread)), ("eng", reading(printed))])
    assert verdicts["document_number"] is not None
    # ... and neither does a second model whose agreeing number a check-digit correction chose.
    guessed = tuple((1, i) for i in range(9))  # the document number opens line 2
    verdicts = field_verdicts(reading(misread), [("mrz", reading(misread)), ("eng", reading(misread, guessed))])
    assert verdicts["document_number"] is not None


@SETTINGS
@given(lookalike_misreading())
def test_the_visual_zone_printing_another_number_makes_it_a_mismatch_never_a_confirmation(
        pair: tuple[list[str], list[str]]) -> None:
    printed, misread = pair
    verdicts = field_verdicts(reading(misread), [("mrz", reading(misread))])
    mrz = parse_mrz(misread, today=TODAY).fields
    assert mrz is not None
    printed_number = printed[1][:9]
    visual = DocumentFields({FieldName.DOCUMENT_NUMBER: DocumentField(printed_number, FieldSource.VIZ)})
    number = confirm_fields(mrz, verdicts, [visual]).get(FieldName.DOCUMENT_NUMBER)
    assert number is not None and not number.confirmed
    assert number.reason is UnconfirmedReason.ZONES_DISAGREE


def french_card(surname: str = "D<ALMEIDA", given: str = "FATOUMATA") -> list[str]:
    """A French 1988-2021 card (2x36), whose final check digit covers the names too."""
    line1 = "IDFRA" + surname.ljust(25, "<") + "750123"
    number, birth = "0512" + "751" + "01234", "780105"
    line2 = number + check_digit(number) + given.ljust(14, "<") + birth + check_digit(birth) + "F"
    return [line1, line2 + check_digit(line1 + line2)]


def test_two_models_reading_alike_unaided_confirm_each_checked_field() -> None:
    lines = passport("19AB8D0Z2")
    final = reading(lines)
    verdicts = field_verdicts(final, [("mrz", reading(lines)), ("eng", reading(lines))])
    assert verdicts["document_number"] is None and verdicts["birth_date"] is None
    assert verdicts["issuing_state"] is None and verdicts["sex"] is None


def test_names_no_check_digit_covers_are_never_confirmed_by_the_mrz_alone() -> None:
    """Both models read L as I in poor light: agreeing readings of a passport's names prove nothing."""
    lines = passport("19AB8D0Z2")
    verdicts = field_verdicts(reading(lines), [("mrz", reading(lines)), ("eng", reading(lines))] * 3)
    assert verdicts["surname"] is verdicts["given_names"] is UnconfirmedReason.UNCHECKED
    card = french_card()
    assert parse_mrz(card, today=TODAY).valid
    verdicts = field_verdicts(reading(card), [("mrz", reading(card)), ("eng", reading(card))])
    assert verdicts["surname"] is None and verdicts["given_names"] is None and verdicts["document_number"] is None


def test_one_model_alone_leaves_lookalikes_ambiguous_and_the_rest_single() -> None:
    lines = passport("19AB8D0Z2")
    verdicts = field_verdicts(reading(lines), [("mrz", reading(lines)), ("mrz", reading(lines))])
    assert verdicts["document_number"] is UnconfirmedReason.LOOKALIKE
    assert verdicts["birth_date"] is UnconfirmedReason.SINGLE_READING


def test_names_compare_once_their_padding_is_cleared() -> None:
    """The English model reads the fillers after the names as K or E: the names still agree."""
    card = french_card(surname="MARTIN", given="ANNE")
    noisy = [card[0][:15] + "KKKKEKKKKKKKKKK" + card[0][30:], card[1]]  # MARTIN, 4 fillers, then K...
    verdicts = field_verdicts(reading(card), [("mrz", reading(card)), ("eng", reading(noisy))])
    assert verdicts["surname"] is None


def test_an_invalid_reading_confirms_nothing() -> None:
    lines = passport("19AB8D0Z2")
    broken = [lines[0], lines[1][:9] + "0" + lines[1][10:]]
    verdicts = field_verdicts(reading(broken), [("mrz", reading(broken)), ("eng", reading(broken))])
    assert set(verdicts.values()) == {UnconfirmedReason.READING_INVALID}
