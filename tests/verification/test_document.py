"""The document check on generated document images (MRZ, expiry, policy, quality hints, portrait), and the
`idv check-document` / `idv evaluate documents` commands over it."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

import verification.document.check as document_module
from api.cli.documents import check_document_command, evaluate_documents_command
from synthetic.documents import render_document
from synthetic.identities import DocumentKind, SyntheticPerson, random_person
from synthetic.mrz import break_mrz, compose_mrz
from synthetic.portraits import fallback_portrait
from verification.common.outcome import CheckStatus
from verification.document.check import (
    DocumentCheckResult,
    DocumentReason,
    check_document,
    french_card_expiry,
)
from verification.document.fields import FieldName, FieldSource
from verification.document.mrz.band import to_gray
from verification.document.mrz.parser import parse_mrz
from verification.document.mrz.reader import MrzReading, MrzReason
from verification.document.mrz.search import locate_band
from verification.document.policy import DocumentPolicy

TODAY = date(2026, 11, 23)
NAMES = (FieldName.SURNAME, FieldName.GIVEN_NAMES)
FLAT_PORTRAIT = np.full((220, 170, 3), (120, 140, 170), np.uint8)


def _person(kind: DocumentKind, seed: int = 0) -> SyntheticPerson:
    return random_person(np.random.default_rng(seed), kind, TODAY)


def _image(person: SyntheticPerson, portrait: np.ndarray = FLAT_PORTRAIT, lines: tuple[str, ...] | None = None,
           seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return render_document(person.document_kind, person, portrait, rng=rng, mrz_lines=lines).image


def test_a_valid_passport_passes_with_its_kind_and_expiry() -> None:
    person = _person(DocumentKind.TD3_PASSPORT)
    result = check_document([_image(person)], DocumentPolicy(), TODAY)
    assert result.status is CheckStatus.PASS
    assert result.document_kind == "passport"
    assert result.expiry_date == person.expiry_date
    assert result.mrz_image_index == 0
    assert "mrz_names_unverified" in result.to_dict()["mrz"]["reasons"]  # informative, not a document reason
    assert result.to_dict()["mrz"]["lines"] == list(compose_mrz(person))


def test_the_mrz_is_taken_from_whichever_side_carries_it() -> None:
    person = _person(DocumentKind.TD1_ID_CARD)
    front_without_mrz = np.full((630, 1000, 3), 225, np.uint8)
    result = check_document([front_without_mrz, _image(person)], DocumentPolicy(), TODAY)
    assert result.status is CheckStatus.PASS
    assert result.mrz_image_index == 1
    assert result.document_kind == "id_card"


def test_an_mrz_read_valid_once_is_doubtful_until_another_capture_confirms_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """read_mrz is replaced by a reading it leaves unconfirmed: the document check's own logic is tested."""
    lines = compose_mrz(_person(DocumentKind.TD3_PASSPORT))
    unconfirmed = MrzReading(CheckStatus.FAIL, lines, parse_mrz(list(lines), today=TODAY), (), 1,
                             (MrzReason.UNCONFIRMED,), 0.0, 1)
    broken = break_mrz(lines, "birth_date_check")
    invalid = MrzReading(CheckStatus.FAIL, broken, parse_mrz(list(broken), today=TODAY), (), 0,
                         (MrzReason.CHECK_DIGIT_FAILED,), 0.0, 1)
    image = np.full((630, 1000, 3), 225, np.uint8)

    def check(*readings: MrzReading) -> DocumentCheckResult:
        given = iter(readings)
        monkeypatch.setattr(document_module, "read_mrz", lambda image, today, options: next(given))
        return check_document([image] * len(readings), DocumentPolicy(), TODAY)

    alone = check(unconfirmed)
    assert alone.status is CheckStatus.INCONCLUSIVE
    assert "mrz_unconfirmed" in alone.reasons and DocumentReason.MRZ_INVALID not in alone.reasons
    after_an_invalid_one = check(invalid, unconfirmed)  # the doubtful reading is kept, not the wrong one
    assert after_an_invalid_one.status is CheckStatus.INCONCLUSIVE and after_an_invalid_one.mrz_image_index == 1
    confirmed = check(unconfirmed, unconfirmed)  # each capture corroborates the other: the first is kept
    assert confirmed.mrz is not None and confirmed.mrz.valid and confirmed.mrz_image_index == 0
    # Every checked field confirmed; the names, which no check digit covers, would need the printed zone
    # (a blank, so "blurred", image here) too.
    assert confirmed.reasons == ("field_unconfirmed:surname", "field_unconfirmed:given_names", "image_blurred")
    assert all(field.confirmed for name, field in confirmed.fields if name not in NAMES)


def test_an_expired_document_fails() -> None:
    person = _person(DocumentKind.TD1_ID_CARD, seed=3)
    later = person.expiry_date + timedelta(days=1)
    result = check_document([_image(person)], DocumentPolicy(), later)
    assert result.status is CheckStatus.FAIL
    assert DocumentReason.DOCUMENT_EXPIRED in result.reasons


def test_document_kinds_and_issuing_states_follow_the_policy() -> None:
    permit = _person(DocumentKind.TD1_RESIDENCE_PERMIT)
    image = _image(permit)
    assert check_document([image], DocumentPolicy(), TODAY).document_kind == "residence_permit"
    passports_only = DocumentPolicy(accepted_document_kinds=frozenset({"passport"}))
    refused = check_document([image], passports_only, TODAY)
    assert refused.status is CheckStatus.FAIL and DocumentReason.KIND_NOT_ACCEPTED in refused.reasons
    other_state = DocumentPolicy(accepted_issuing_states=frozenset({"BEL"}))
    refused = check_document([image], other_state, TODAY)
    assert refused.status is CheckStatus.FAIL and DocumentReason.ISSUER_NOT_ACCEPTED in refused.reasons


def test_a_french_1988_card_takes_its_validity_from_the_issue_date() -> None:
    person = _person(DocumentKind.FR_ID_1988, seed=1)
    result = check_document([_image(person)], DocumentPolicy(), TODAY)
    fields = result.mrz.result.fields  # type: ignore[union-attr]
    assert fields.issue_date is not None
    assert result.expiry_date == french_card_expiry(fields.issue_date, fields.birth_date, extension=True)
    assert result.expiry_date != fields.expiry_date  # the card carries none


def test_the_french_extension_adds_five_years_to_adult_cards_issued_2004_to_2013() -> None:
    birth = date(1970, 5, 1)
    assert french_card_expiry(date(2010, 3, 1), birth, extension=True) == date(2025, 3, 1)
    assert french_card_expiry(date(2010, 3, 1), birth, extension=False) == date(2020, 3, 1)
    assert french_card_expiry(date(2010, 3, 1), date(2000, 1, 1), extension=True) == date(2020, 3, 1)  # minor
    assert french_card_expiry(date(2015, 3, 1), birth, extension=True) == date(2025, 3, 1)


def test_a_broken_mrz_fails_naming_the_failing_check() -> None:
    person = _person(DocumentKind.TD3_PASSPORT, seed=2)
    broken = break_mrz(compose_mrz(person), "birth_date_check")
    result = check_document([_image(person, lines=broken)], DocumentPolicy(), TODAY)
    assert result.status is CheckStatus.FAIL
    assert DocumentReason.MRZ_INVALID in result.reasons
    assert f"{DocumentReason.MRZ_CHECK_FAILED}:birth_date" in result.reasons


@pytest.mark.parametrize(("degrade", "reason"), [
    (lambda img: cv2.resize(img, None, fx=0.12, fy=0.12, interpolation=cv2.INTER_AREA), "move_closer"),
    (lambda img: cv2.GaussianBlur(img, (0, 0), 6), "image_blurred"),
])
def test_an_unreadable_photo_says_what_to_change(degrade, reason: str) -> None:  # type: ignore[no-untyped-def]
    person = _person(DocumentKind.TD1_ID_CARD, seed=4)
    result = check_document([degrade(_image(person))], DocumentPolicy(), TODAY)
    assert result.status is not CheckStatus.PASS
    assert reason in result.reasons


def test_glare_is_reported() -> None:
    person = _person(DocumentKind.TD3_PASSPORT, seed=5)
    image = _image(person)
    image[: image.shape[0] // 2, : image.shape[1] // 3] = 255  # a saturated reflection over the portrait side
    quality = check_document([image], DocumentPolicy(), TODAY).quality[0]
    assert "avoid_glare" in quality.reasons


def test_glare_over_part_of_the_mrz_asks_for_a_retake_with_the_reason() -> None:
    """A reflection over a third of the MRZ band, a tiny share of the photo, defeats the reader: the check
    says why and asks for a new capture, it neither rejects nor judges the document on what it misread.
    (On a scan's near-white band a reflection cannot be told from the paper: glare is measured against the
    band's median, see verification.document.quality.)"""
    person = _person(DocumentKind.TD3_PASSPORT, seed=5)
    image = (_image(person) * 0.8).astype(np.uint8)  # photographed indoors: paper is no longer near-white
    box = locate_band(to_gray(image))
    assert box is not None
    x, y, width, height = box
    cv2.ellipse(image, (x + width // 4, y + height // 2), (width // 6, height // 2 + 4), 0, 0, 360,
                (255, 255, 255), -1)
    result = check_document([image], DocumentPolicy(), TODAY)
    assert "avoid_glare" in result.reasons
    assert result.status is CheckStatus.INCONCLUSIVE and result.reasons[0] == "mrz_unreadable", result.reasons
    assert not any(field.source in (FieldSource.MRZ, FieldSource.MRZ_VIZ) for _, field in result.fields)


def test_the_portrait_is_located_on_the_document() -> None:
    person = _person(DocumentKind.TD3_PASSPORT, seed=6)
    rng = np.random.default_rng(6)
    document = render_document(person.document_kind, person, fallback_portrait().image, rng=rng)
    result = check_document([document.image], DocumentPolicy(), TODAY)
    assert result.portrait is not None and result.portrait.image_index == 0
    x0, y0, x1, y1 = result.portrait.box
    px0, py0, px1, py1 = document.portrait_box
    assert px0 <= (x0 + x1) / 2 <= px1 and py0 <= (y0 + y1) / 2 <= py1


def test_a_policy_is_a_value() -> None:
    policy = replace(DocumentPolicy(), accepted_issuing_states=frozenset({"FRA"}))
    assert policy.accepted_issuing_states == frozenset({"FRA"})
    assert DocumentPolicy().accepted_document_kinds == frozenset({"passport", "id_card", "residence_permit"})


def _json_output(result) -> dict:  # type: ignore[no-untyped-def,type-arg]
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_cli_check_document_prints_the_interface_fields(tmp_path: Path) -> None:
    person = _person(DocumentKind.TD1_RESIDENCE_PERMIT, seed=0)
    path = tmp_path / "permit.png"
    cv2.imwrite(str(path), _image(person))
    output = _json_output(CliRunner().invoke(check_document_command, [str(path), "--json", "--today", "2026-11-23"]))
    assert {"status", "mrz_type", "lines", "fields", "mrz_fields", "checks", "reasons", "elapsed_ms"} <= set(output)
    assert output["status"] == "pass" and output["mrz_type"] == "td1"
    assert output["lines"] == list(compose_mrz(person))
    surname = compose_mrz(person)[2].split("<<")[0].replace("<", " ")
    assert output["mrz_fields"]["surname"] == surname
    # Each identity field as {value, source, confirmed}, a reason where unconfirmed.
    # Names no check digit covers: the MRZ's two models and the printed zone read them alike.
    assert output["fields"]["surname"] == {"value": surname, "source": "mrz+viz", "confirmed": True}
    assert output["fields"]["birth_date"]["value"] == person.birth_date.isoformat()
    for field in output["fields"].values():
        assert set(field) == {"value", "source", "confirmed"} | ({"reason"} if not field["confirmed"] else set())
    assert all(check["valid"] for check in output["checks"])


def test_cli_evaluate_documents_scores_a_manifest(tmp_path: Path) -> None:
    person = _person(DocumentKind.TD3_PASSPORT, seed=8)
    cv2.imwrite(str(tmp_path / "passport.png"), _image(person))
    cv2.imwrite(str(tmp_path / "blank.png"), np.full((500, 800, 3), 230, np.uint8))
    (tmp_path / "manifest.csv").write_text(
        "path,mrz,kind\npassport.png," + "|".join(compose_mrz(person)) + ",clean\nblank.png,,blank\n",
        encoding="utf-8")
    output = _json_output(CliRunner().invoke(
        evaluate_documents_command, [str(tmp_path / "manifest.csv"), "--json", "--today", "2026-11-23", "--baseline"]))
    assert {"documents", "read_valid", "exact_lines", "field_accuracy", "median_ms", "false_valid", "valid_wrong",
            "wrong_confirmed", "confirmed_field_rate", "per_document"} <= set(output)
    assert output["documents"] == 2
    assert output["read_valid"] == 1.0 and output["exact_lines"] == 1.0 and output["field_accuracy"] == 1.0
    assert output["false_valid"] == 0 and output["valid_wrong"] == 0
    assert output["wrong_confirmed"] == 0 and output["confirmed_field_rate"] is not None
    passport = output["per_document"][0]
    assert passport["fields"]["surname"]["source"] == "mrz+viz" and passport["confirmed_wrong"] == {}
    assert passport["fields_confirmed_right"] == passport["fields_expected"] == 9
    assert [d["exact"] for d in output["per_document"]] == [True, True]
    assert output["by_kind"]["clean"]["documents"] == output["by_kind"]["blank"]["documents"] == 1
    assert output["baseline"]["documents"] == 2 and "read_valid" in output["baseline"]
