"""The degraded copies scripts/degrade_documents.py makes of a document manifest (issue 12's test set)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import cv2
import numpy as np
import pytest

from scripts.degrade_documents import DEGRADATIONS, degrade, degrade_manifest, glare_region
from synthetic.documents import render_document
from synthetic.identities import DocumentKind, random_person
from synthetic.mrz import compose_mrz
from synthetic.portraits import fallback_portrait
from verification.document.evaluation import read_manifest
from verification.document.fields import FieldName
from verification.document.mrz.band import find_bands, to_gray

TODAY = date(2026, 12, 7)


@pytest.fixture(scope="module")
def passport() -> tuple[np.ndarray, tuple[str, ...]]:
    person = random_person(np.random.default_rng(3), DocumentKind.TD3_PASSPORT, TODAY)
    image = render_document(person.document_kind, person, fallback_portrait().image,
                            rng=np.random.default_rng(3)).image
    return image, compose_mrz(person)


def _sharpness(image: np.ndarray) -> float:
    return float(cv2.Laplacian(to_gray(image), cv2.CV_64F).var())


@pytest.mark.parametrize("kind", list(DEGRADATIONS))
def test_each_degradation_is_deterministic_and_keeps_the_image_format(
        kind: str, passport: tuple[np.ndarray, tuple[str, ...]]) -> None:
    image = passport[0]
    degraded = degrade(image, kind, 5)
    assert np.array_equal(degraded, degrade(image, kind, 5))
    assert degraded.dtype == np.uint8 and degraded.ndim == 3 and degraded.shape[2] == 3
    assert degraded.shape != image.shape or not np.array_equal(degraded, image)
    height, width = image.shape[:2]
    if kind == "small_scale":
        assert degraded.shape[:2] == (round(height / 2), round(width / 2))
    elif kind == "rotation_perspective":  # the whole document kept on a larger canvas
        assert degraded.shape[0] >= height and degraded.shape[1] >= width
    else:
        assert degraded.shape == image.shape


def test_blur_and_low_light_spoil_what_they_say(passport: tuple[np.ndarray, tuple[str, ...]]) -> None:
    image = passport[0]
    assert _sharpness(degrade(image, "blur", 0)) < 0.5 * _sharpness(image)
    dark = degrade(image, "low_light", 0)
    assert dark.mean() < 0.5 * image.mean()
    assert not np.array_equal(dark, degrade(image, "low_light", 1))  # each row its own sensor noise


def test_rotation_and_perspective_turn_the_document_a_few_degrees(passport: tuple[np.ndarray, tuple[str, ...]]) -> None:
    image = passport[0]
    angles = []
    for row in range(4):
        band = find_bands(to_gray(degrade(image, "rotation_perspective", row)))[0]
        angles.append(band.angle)
    assert all(abs(angle) <= 4.5 for angle in angles)
    assert max(angles) - min(angles) > 0.5  # the angle varies from row to row


def test_glare_saturates_part_of_the_mrz_band(passport: tuple[np.ndarray, tuple[str, ...]]) -> None:
    image = passport[0]
    band = find_bands(to_gray(image))[0]
    glared = degrade(image, "glare_mrz", 0)
    (cx, cy), (length, height) = band.center, band.size
    box = (slice(round(cy - height / 2), round(cy + height / 2)), slice(round(cx - length / 2), round(cx + length / 2)))
    saturated = np.all(glared[box] == 255, axis=2)
    before = np.all(image[box] == 255, axis=2)
    assert 0.15 < saturated.mean() - before.mean() < 0.6  # over part of the band, not all of it
    centre, _, _ = glare_region(image)
    assert np.all(glared[centre[1], centre[0]] == 255)
    assert np.array_equal(glared[: round(cy - height)], image[: round(cy - height)])  # the rest untouched


def test_glare_falls_on_the_lower_third_where_no_band_is_found() -> None:
    blank = np.full((600, 900, 3), 120, np.uint8)
    glared = degrade(blank, "glare_mrz", 0)
    rows = np.nonzero(np.all(glared == 255, axis=2).any(axis=1))[0]
    assert rows.size and rows.min() >= 400


def test_a_degraded_manifest_keeps_the_truth_and_relative_paths(tmp_path: Path,
                                                              passport: tuple[np.ndarray, tuple[str, ...]]) -> None:
    image, lines = passport
    source = tmp_path / "source"
    source.mkdir()
    cv2.imwrite(str(source / "passport.png"), image)
    (source / "manifest.csv").write_text(
        'path,mrz,fields\npassport.png,' + "|".join(lines) + ',"{""birth_place"": ""PARIS""}"\n', encoding="utf-8")
    out = degrade_manifest(source / "manifest.csv", tmp_path / "degraded", ["blur", "small_scale"])
    rows = read_manifest(out)
    assert [row.kind for row in rows] == ["blur", "small_scale"]
    assert all(row.expected == lines and row.printed == {FieldName.BIRTH_PLACE: "PARIS"} for row in rows)
    assert [row.path for row in rows] == [tmp_path / "degraded" / kind / "000_passport.png"
                                          for kind in ("blur", "small_scale")]
    assert cv2.imread(str(rows[1].path)).shape[:2] == (image.shape[0] // 2, image.shape[1] // 2)
    assert "degraded" not in out.read_text(encoding="utf-8")  # relative to the new manifest
