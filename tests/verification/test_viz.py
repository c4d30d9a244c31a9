"""The visual zone reader (verification.document.viz): label-guided reading, confirmation by two models,
birth places to INSEE codes; on hand-built words and on the real French cards of ../shared/data."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

import cv2
import numpy as np
import pytest

import verification.document.viz as viz
from tests.shared_data import SHARED_DATA, requires_shared_data
from verification.document.confirmation import agree
from verification.document.fields import DocumentField, FieldName, FieldSource, FieldValue, UnconfirmedReason
from verification.document.mrz.parser import parse_mrz
from verification.document.viz.dates import birth_date, parse_date
from verification.document.viz.labelled import parse_value, read_labelled
from verification.document.viz.ocr import Word, skew
from verification.document.viz.places import fold, lookup

TODAY = date(2026, 12, 7)
FRENCH = SHARED_DATA / "documents" / "french"


# --- places ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("printed", "code"), [
    ("PARIS", "75056"),  # the commune: the card prints no arrondissement
    ("BORDEAUX", "33063"),
    ("Saint-Étienne", "42218"),
    ("ST ETIENNE", "42218"),  # NF Z 10-011 abbreviation
    ("SAINT-DENIS (93)", "93066"),  # a shared name, settled by the département printed after it
    ("Saint-Denis 974", "97411"),
    ("PARIS 6E", "75106"),
    ("LYON 4E ARRONDISSEMENT", "69384"),
    ("MARSEILLE 1ER", "13201"),
    ("Annecy-le-Vieux", "74011"),  # a commune déléguée keeps its own code
])
def test_a_printed_place_gives_its_insee_code(printed: str, code: str) -> None:
    assert lookup(printed).code == code


@pytest.mark.parametrize(("printed", "reason"), [
    ("SAINT-DENIS", UnconfirmedReason.AMBIGUOUS_PLACE),
    ("SAINTE-MARIE", UnconfirmedReason.AMBIGUOUS_PLACE),
    ("SAINT-DENIS (75)", UnconfirmedReason.UNKNOWN_PLACE),  # no Saint-Denis in Paris
    ("ZENITH", UnconfirmedReason.UNKNOWN_PLACE),
    ("PARIS 21E", UnconfirmedReason.UNKNOWN_PLACE),
    ("LYON 4E (75)", UnconfirmedReason.UNKNOWN_PLACE),
])
def test_an_ambiguous_or_unknown_place_has_no_code(printed: str, reason: UnconfirmedReason) -> None:
    found = lookup(printed)
    assert found.code is None and found.reason is reason


def test_place_names_fold_case_diacritics_and_punctuation() -> None:
    assert fold("L'Haÿ-les-Roses") == fold("L HAY LES ROSES") == "L HAY LES ROSES"


def test_a_place_code_is_confirmed_only_with_its_place() -> None:
    assert viz.place_code("PARIS", True) == DocumentField("75056", FieldSource.VIZ)
    single = viz.place_code("PARIS", False)
    assert single.value == "75056" and single.reason is UnconfirmedReason.SINGLE_READING
    assert viz.place_code("SAINT-DENIS", True).reason is UnconfirmedReason.AMBIGUOUS_PLACE


# --- values ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("13 07 1990", date(1990, 7, 13)), ("24.04.1994", date(1994, 4, 24)), ("13/07/1990", date(1990, 7, 13)),
    ("13 JUIL/JUL 1990", date(1990, 7, 13)), ("13 JUIL/AUG 1990", None), ("31 02 1990", None),
    ("13 07 199O", None), ("13 07", None),
])
def test_printed_dates_are_read_exactly_or_not_at_all(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected


def test_a_birth_date_is_in_the_past_within_a_lifetime() -> None:
    assert birth_date("13 07 2027", TODAY) is None
    assert birth_date("13 07 1850", TODAY) is None


@pytest.mark.parametrize(("field", "text", "expected"), [
    (FieldName.SURNAME, "D'ALMEIDA", "D'ALMEIDA"),
    (FieldName.SURNAME, "D’ ALMEIDA", "D'ALMEIDA"),  # typographic apostrophe, OCR spacing
    (FieldName.SURNAME, "MART1N", None),
    (FieldName.SURNAME, "NOM", None),  # a label is no value
    (FieldName.GIVEN_NAMES, "Maëlis - Gaëlle, Marie", ("Maëlis-Gaëlle", "Marie")),
    (FieldName.GIVEN_NAMES, "isèle, Audrey", None),  # a first letter lost
    (FieldName.GIVEN_NAMES, "Given", None),
    (FieldName.SEX, "F", "F"), (FieldName.SEX, "E", None),
    (FieldName.DOCUMENT_NUMBER, "D2H6862M2", "D2H6862M2"), (FieldName.DOCUMENT_NUMBER, "D2H6862m2", None),
    (FieldName.BIRTH_PLACE, "LYON 4E ARRONDISSEMENT", "LYON 4E ARRONDISSEMENT"),
    (FieldName.BIRTH_PLACE, "SAINT-DENIS (93)", "SAINT-DENIS (93)"),
    (FieldName.BIRTH_DATE, "13 07 1990", "1990-07-13"),
])
def test_a_value_is_parsed_strictly_for_its_field(field: FieldName, text: str, expected: FieldValue | None) -> None:
    assert parse_value(field, text, TODAY) == expected


# --- labels ---------------------------------------------------------------------------------------------

def _line(index: int, y: int, height: int, *items: tuple[str, int]) -> list[Word]:
    """Words of one line: (text, x) with a width of `height` * 0.6 per character."""
    return [Word(text, (x, y, x + int(len(text) * height * 0.6), y + height), index) for text, x in items]


CARD_2021 = [
    *_line(0, 100, 14, ("NOM/Surname", 300)),
    *_line(1, 120, 28, ("D'ALMEIDA", 300)),
    *_line(2, 170, 14, ("Prénoms", 300), ("/", 370), ("Given", 380), ("names", 430)),
    *_line(3, 190, 28, ("Fatoumata,", 300), ("Awa", 480)),
    *_line(4, 240, 14, ("SEXE", 300), ("/Sex", 345), ("NATIONALITÉ/Nationality", 420), ("DATE", 700),
           ("DE", 745), ("NAISS.", 770), ("/", 830), ("Date", 840), ("of", 880), ("birth", 900)),
    *_line(5, 260, 28, ("F", 300), ("FRA", 420), ("05", 700), ("01", 745), ("1978", 790)),
    *_line(6, 310, 14, ("LIEU", 300), ("DE", 345), ("NAISSANCE", 370), ("/", 460), ("Place", 470), ("of", 520),
           ("birth", 540)),
    *_line(7, 330, 28, ("SAINT-DENIS", 300), ("(93)", 520)),
]


def _labelled(words: Sequence[Word]) -> dict[FieldName, FieldValue]:
    return {name: printed.value for name, printed in read_labelled(words, TODAY).items()}


def test_labels_over_their_values_are_read_without_an_mrz() -> None:
    assert _labelled(CARD_2021) == {
        FieldName.SURNAME: "D'ALMEIDA", FieldName.GIVEN_NAMES: ("Fatoumata", "Awa"), FieldName.SEX: "F",
        FieldName.BIRTH_DATE: "1978-01-05", FieldName.BIRTH_PLACE: "SAINT-DENIS (93)"}


def test_labels_followed_by_their_values_are_read_1988_style() -> None:
    words = [*_line(0, 100, 16, ("Nom", 300), (":", 340), ("DAMBARD", 360)),
             *_line(1, 140, 16, ("Prénom(s)", 300), (":", 400), ("VICTOR,", 420), ("MARIE", 510)),
             *_line(2, 180, 16, ("Né(e)", 500), ("le", 560), (":", 585), ("24.04.1994", 600)),
             *_line(3, 200, 16, ("à", 300), (":", 315), ("LYON", 330), ("4E", 390), ("ARRONDISSEMENT", 425))]
    assert _labelled(words) == {
        FieldName.SURNAME: "DAMBARD", FieldName.GIVEN_NAMES: ("VICTOR", "MARIE"),
        FieldName.BIRTH_DATE: "1994-04-24", FieldName.BIRTH_PLACE: "LYON 4E ARRONDISSEMENT"}


def test_a_label_led_surname_is_in_capitals() -> None:
    words = [*_line(0, 100, 14, ("NOM", 300), ("Sumame", 345)), *_line(1, 120, 28, ("MARTIN", 300))]
    assert _labelled(words) == {FieldName.SURNAME: "MARTIN"}


def test_a_label_for_two_fields_gives_neither() -> None:
    words = [*_line(0, 100, 14, ("Surname,", 300), ("Given", 372), ("names", 415)),
             *_line(1, 120, 28, ("ERIKSSON", 300), ("ANNA", 470), ("MARIA", 560))]
    assert _labelled(words) == {}


def test_the_usage_name_is_not_the_surname() -> None:
    words = [*_line(0, 100, 14, ("NOM", 300), ("D'USAGE", 345), ("/Alternate", 420), ("name", 500)),
             *_line(1, 120, 28, ("DUBOIS", 300))]
    assert FieldName.SURNAME not in _labelled(words)


def test_two_labels_of_one_field_with_different_values_contest_it() -> None:
    words = [*CARD_2021, *_line(8, 380, 14, ("NOM", 300), ("DU5", 345)), *_line(9, 400, 28, ("DUBOIS", 300))]
    surname = read_labelled(words, TODAY)[FieldName.SURNAME]
    assert surname.value == "D'ALMEIDA" and surname.contested
    assert not read_labelled(CARD_2021, TODAY)[FieldName.SURNAME].contested


# --- confirmation ---------------------------------------------------------------------------------------

def _read_with(monkeypatch: pytest.MonkeyPatch, by_model: dict[str, Sequence[Word]], mrz_lines: list[str] | None
               ) -> dict[FieldName, DocumentField]:
    """read_viz with each model reading the words given: the page for the first, lines for the second."""
    def read_line(grey: object, box: tuple[int, int, int, int], model: str) -> str:
        inside = [w for w in by_model[model] if box[0] <= (w.box[0] + w.box[2]) / 2 <= box[2]
                  and box[1] <= w.centre_y <= box[3]]
        return " ".join(w.text for w in sorted(inside, key=lambda w: w.box[0]))

    monkeypatch.setattr(viz, "read_words", lambda grey, model: by_model[model])
    monkeypatch.setattr(viz, "read_line", read_line)
    mrz = parse_mrz(mrz_lines, today=TODAY).fields if mrz_lines else None
    return dict(viz.read_viz(np.zeros((10, 10), np.uint8), mrz, TODAY))


def test_two_models_reading_alike_confirm_and_keep_the_printed_form(monkeypatch: pytest.MonkeyPatch) -> None:
    eng = [w if w.text != "D'ALMEIDA" else Word("D’ALMEIDA", w.box, w.line) for w in CARD_2021]
    fields = _read_with(monkeypatch, {"fra": CARD_2021, "eng": eng}, None)
    assert fields[FieldName.SURNAME] == DocumentField("D'ALMEIDA", FieldSource.VIZ)
    assert fields[FieldName.BIRTH_PLACE_CODE] == DocumentField("93066", FieldSource.VIZ)


def test_readings_that_differ_confirm_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    eng = [Word({"D'ALMEIDA": "DALMEIDA", "1978": "1979", "SAINT-DENIS": "SAINT-DENI"}.get(w.text, w.text),
                w.box, w.line) for w in CARD_2021]
    fields = _read_with(monkeypatch, {"fra": CARD_2021, "eng": eng}, None)
    for name in (FieldName.SURNAME, FieldName.BIRTH_DATE, FieldName.BIRTH_PLACE, FieldName.BIRTH_PLACE_CODE):
        assert fields[name].reason is UnconfirmedReason.SINGLE_READING, name
    assert fields[FieldName.SURNAME].value == "D'ALMEIDA"
    assert fields[FieldName.GIVEN_NAMES].confirmed


def test_a_contested_field_is_not_confirmed(monkeypatch: pytest.MonkeyPatch) -> None:
    words = [*CARD_2021, *_line(8, 380, 14, ("NOM", 300), ("DU5", 345)), *_line(9, 400, 28, ("DUBOIS", 300))]
    fields = _read_with(monkeypatch, {"fra": words, "eng": words}, None)
    assert fields[FieldName.SURNAME] == DocumentField("D'ALMEIDA", FieldSource.UNCONFIRMED,
                                                      UnconfirmedReason.SINGLE_READING)
    assert fields[FieldName.BIRTH_DATE].confirmed


def test_one_reading_alone_confirms_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    fields = _read_with(monkeypatch, {"fra": CARD_2021, "eng": []}, None)
    assert fields and not any(field.confirmed for field in fields.values())


MRZ_1988 = ["IDFRADAMBARD<<<<<<<<<<<<<<<<<<075025", "175775H557903VICTOR<<MARIE<9404246M5"]


def test_the_mrz_locates_unlabelled_names_but_the_printed_text_is_returned(monkeypatch: pytest.MonkeyPatch) -> None:
    words = [*_line(0, 100, 20, ("Surnom", 300), ("DAMBARD", 420)),
             *_line(1, 140, 20, ("VICTOR,", 300), ("MARIE", 400))]
    fields = _read_with(monkeypatch, {"fra": words, "eng": words}, MRZ_1988)
    assert fields[FieldName.SURNAME] == DocumentField("DAMBARD", FieldSource.VIZ)
    assert fields[FieldName.GIVEN_NAMES] == DocumentField(("VICTOR", "MARIE"), FieldSource.VIZ)


def test_a_printed_name_unlike_the_mrz_is_not_pulled_towards_it(monkeypatch: pytest.MonkeyPatch) -> None:
    words = _line(0, 100, 20, ("DAMBART", 300))
    assert FieldName.SURNAME not in _read_with(monkeypatch, {"fra": words, "eng": words}, MRZ_1988)


def test_the_skew_of_text_lines_is_measured() -> None:
    page = np.full((400, 600), 255, np.uint8)
    for y in range(60, 360, 40):
        cv2.putText(page, "NOM PRENOMS 13 07 1990", (40, y), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 0, 2)
    rotation = cv2.getRotationMatrix2D((300, 200), -6, 1)
    tilted = cv2.warpAffine(page, rotation, (600, 400), borderValue=255)
    assert abs(skew(page)) <= 0.25
    assert abs(skew(tilted) - 6) <= 0.5


# --- real French cards ----------------------------------------------------------------------------------

SPECIMEN_2021 = {FieldName.SURNAME: "MARTIN", FieldName.GIVEN_NAMES: ("Maëlis-Gaëlle", "Marie"), FieldName.SEX: "F",
                 FieldName.BIRTH_DATE: "1990-07-13", FieldName.BIRTH_PLACE: "PARIS",
                 FieldName.BIRTH_PLACE_CODE: "75056", FieldName.DOCUMENT_NUMBER: "D2H6862M2",
                 FieldName.EXPIRY_DATE: "2030-02-11"}
OFFICIAL_2021 = {**SPECIMEN_2021, FieldName.GIVEN_NAMES: ("Maëlys-Gaëlle", "Marie"),
                 FieldName.DOCUMENT_NUMBER: "X4RTBPFW4"}
TRUTH = {
    "cnie_2021_front_specimen.jpg": SPECIMEN_2021,
    "cnie_2021_front_specimen_scan.png": OFFICIAL_2021,
    "cnie_2021_front_in_hand.png": OFFICIAL_2021,
    "cnie_2021_front_other_specimen.jpg": {
        FieldName.SURNAME: "CHEVALLIER", FieldName.GIVEN_NAMES: ("Gisèle", "Audrey"), FieldName.SEX: "F",
        FieldName.BIRTH_DATE: "1995-04-01", FieldName.BIRTH_PLACE: "BORDEAUX", FieldName.BIRTH_PLACE_CODE: "33063",
        FieldName.DOCUMENT_NUMBER: "T7X62TZ79", FieldName.EXPIRY_DATE: "2031-01-27"},
    "cni_1988_altered.jpg": {
        FieldName.SURNAME: "DAMBARD", FieldName.GIVEN_NAMES: ("VICTOR", "MARIE"), FieldName.SEX: "M",
        FieldName.BIRTH_DATE: "1994-04-24", FieldName.BIRTH_PLACE: "LYON 4E ARRONDISSEMENT",
        FieldName.BIRTH_PLACE_CODE: "69384", FieldName.DOCUMENT_NUMBER: "175775H55790",
        FieldName.EXPIRY_DATE: "2030-04-02"},
}


def _read(name: str, mrz_lines: list[str] | None = None) -> dict[FieldName, DocumentField]:
    image = cv2.imread(str(FRENCH / name))
    assert image is not None, name
    mrz = parse_mrz(mrz_lines, today=TODAY).fields if mrz_lines else None
    return dict(viz.read_viz(image, mrz, TODAY))


@requires_shared_data
def test_the_2021_card_front_is_read_and_confirmed_without_an_mrz() -> None:
    fields = _read("cnie_2021_front_specimen.jpg")
    confirmed = {name: field.value for name, field in fields.items() if field.confirmed}
    assert confirmed[FieldName.SURNAME] == "MARTIN"
    assert confirmed[FieldName.GIVEN_NAMES] == ("Maëlis-Gaëlle", "Marie")  # hyphen and diacritics kept
    assert confirmed[FieldName.BIRTH_DATE] == "1990-07-13"
    assert confirmed[FieldName.BIRTH_PLACE] == "PARIS"
    assert confirmed[FieldName.BIRTH_PLACE_CODE] == "75056"
    assert confirmed[FieldName.DOCUMENT_NUMBER] == "D2H6862M2"
    assert confirmed[FieldName.EXPIRY_DATE] == "2030-02-11"
    # The French model reads the sex glued to the nationality ("FFRA"): no sex, rather than a wrong one.
    assert fields.get(FieldName.SEX, DocumentField("F", FieldSource.VIZ)).value == "F"


@requires_shared_data
def test_a_tilted_card_photo_is_read_once_straightened() -> None:
    fields = _read("cnie_2021_front_other_specimen.jpg")
    confirmed = {name: field.value for name, field in fields.items() if field.confirmed}
    assert confirmed[FieldName.GIVEN_NAMES] == ("Gisèle", "Audrey")
    assert confirmed[FieldName.BIRTH_DATE] == "1995-04-01"
    assert confirmed[FieldName.EXPIRY_DATE] == "2031-01-27"


@requires_shared_data
def test_a_card_held_in_a_hand_is_read_enlarged() -> None:
    fields = _read("cnie_2021_front_in_hand.png")
    confirmed = {name: field.value for name, field in fields.items() if field.confirmed}
    assert confirmed[FieldName.SURNAME] == "MARTIN"
    assert confirmed[FieldName.BIRTH_DATE] == "1990-07-13"


@requires_shared_data
def test_a_1988_card_on_a_photocopied_page_is_read_once_its_background_is_flattened() -> None:
    fields = _read("cni_1988_altered.jpg", MRZ_1988)
    confirmed = {name: field.value for name, field in fields.items() if field.confirmed}
    assert confirmed[FieldName.SURNAME] == "DAMBARD"
    assert confirmed[FieldName.EXPIRY_DATE] == "2030-04-02"  # "Carte valable jusqu'au", on the back


def _blurred(image: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(image, (0, 0), 1.5)


def _jpeg(image: np.ndarray) -> np.ndarray:
    return cv2.imdecode(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 30])[1], cv2.IMREAD_COLOR)


def _tilted(image: np.ndarray) -> np.ndarray:
    height, width = image.shape[:2]
    corners = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    moved = np.float32([[width * 0.04, height * 0.02], [width * 0.97, 0], [width, height * 0.95], [0, height]])
    warped = cv2.warpPerspective(image, cv2.getPerspectiveTransform(corners, moved), (width, height),
                                 borderMode=cv2.BORDER_REPLICATE)
    return cv2.warpAffine(warped, cv2.getRotationMatrix2D((width / 2, height / 2), 4, 1), (width, height),
                          borderMode=cv2.BORDER_REPLICATE)


@requires_shared_data
@pytest.mark.parametrize("degrade", [_blurred, _jpeg, _tilted])
def test_a_degraded_capture_confirms_less_but_never_wrong(degrade: Callable[[np.ndarray], np.ndarray]) -> None:
    image = cv2.imread(str(FRENCH / "cnie_2021_front_specimen.jpg"))
    fields = dict(viz.read_viz(degrade(image), None, TODAY))
    confirmed = {name: field.value for name, field in fields.items() if field.confirmed}
    assert confirmed[FieldName.SURNAME] == "MARTIN"
    for name, value in confirmed.items():
        assert value is not None and agree(name, SPECIMEN_2021[name], value), (name, value)


@requires_shared_data
@pytest.mark.parametrize(("name", "mrz_lines"), [(name, None) for name in TRUTH] + [
    ("cni_1988_altered.jpg", MRZ_1988)])
def test_no_french_card_gives_a_wrong_confirmed_field(name: str, mrz_lines: list[str] | None) -> None:
    truth = TRUTH[name]
    for field_name, field in _read(name, mrz_lines).items():
        if field.confirmed:
            assert field.value is not None
            assert agree(field_name, truth[field_name], field.value), (field_name, field.value)
