"""Degraded copies of a document manifest's images, as a phone capture spoils them (issue 12's test set).

`.venv/bin/python scripts/degrade_documents.py MANIFEST OUTDIR [--kinds blur jpeg ...]` writes
OUTDIR/<kind>/<row>_<name>.png for every image and kind, and OUTDIR/manifest.csv (`path,mrz,fields,kind`:
the input's ground truth, paths relative to OUTDIR) for `idv evaluate documents`. Deterministic: each
image's noise comes from a seed fixed by its row. The kinds: blur (Gaussian σ 1.5), low light (darker,
sensor noise), glare on the MRZ band (a saturated elliptical highlight over part of it), rotation +
perspective (a few degrees, mild keystone), JPEG at quality 35, small scale (0.5×). Written as PNG so that
no other compression adds to the degradation.
"""

from __future__ import annotations

import argparse
import csv
from collections.abc import Callable
from pathlib import Path
from typing import cast

import cv2
import numpy as np
import numpy.typing as npt

from verification.document.evaluation import load_image, printed_json, read_manifest
from verification.document.mrz.band import find_bands, to_gray

Image = npt.NDArray[np.uint8]
SEED = 12

BLUR_SIGMA = 1.5
# Low light: mid-tones pushed down (gamma), the whole range dimmed, then the sensor's noise, which the
# camera's gain makes large against the weak signal.
LOW_LIGHT_GAMMA = 1.4
LOW_LIGHT_GAIN = 0.45
LOW_LIGHT_NOISE = 7.0
# Glare: an ellipse over this share of the band's length and as high as the band, saturated, with a soft
# halo, as a lamp's reflection on a laminate.
GLARE_LENGTH = 0.3
GLARE_HEIGHT = 1.0
ROTATION_DEGREES = 3.0
KEYSTONE = 0.06  # the far edge shorter by this share of the width: the phone tilted a little
TABLE_GREY = (96, 96, 96)
JPEG_QUALITY = 35
SMALL_SCALE = 0.5


def blur(image: Image, rng: np.random.Generator) -> Image:
    del rng
    return cast(Image, cv2.GaussianBlur(image, (0, 0), BLUR_SIGMA))


def low_light(image: Image, rng: np.random.Generator) -> Image:
    dim = 255.0 * (image / 255.0) ** LOW_LIGHT_GAMMA * LOW_LIGHT_GAIN
    noisy = dim + rng.normal(0.0, LOW_LIGHT_NOISE, image.shape)
    return np.clip(np.rint(noisy), 0, 255).astype(np.uint8)


def glare_region(image: Image) -> tuple[tuple[int, int], tuple[int, int], float]:
    """The glare's ellipse (centre, half-axes, angle in degrees): over the left part of the MRZ band, or of
    the lower third of the image where no band is found."""
    bands = find_bands(to_gray(image))
    if not bands:
        height, width = image.shape[:2]
        return (width // 3, height * 5 // 6), (round(width * GLARE_LENGTH / 2), height // 12), 0.0
    band = bands[0]
    (cx, cy), (length, thickness) = band.center, band.size
    theta = np.deg2rad(band.angle)
    shift = -length * (0.5 - GLARE_LENGTH / 2 - 0.1)  # starts a tenth of the band from its left end
    centre = (round(cx + shift * np.cos(theta)), round(cy + shift * np.sin(theta)))
    return centre, (round(length * GLARE_LENGTH / 2), round(thickness * GLARE_HEIGHT / 2)), band.angle


def glare(image: Image, rng: np.random.Generator) -> Image:
    del rng
    centre, axes, angle = glare_region(image)
    mask = np.zeros(image.shape[:2], np.float32)
    cv2.ellipse(mask, centre, axes, angle, 0, 360, (1.0,), -1)
    # Saturated inside the ellipse, with a soft halo outside it (the blur widens, the maximum keeps the core).
    halo = max(1.0, min(axes) / 4)
    mask = np.maximum(mask, cv2.GaussianBlur(mask, (0, 0), halo))
    weight = mask[..., None] if image.ndim == 3 else mask
    return np.clip(image + (255.0 - image) * weight, 0, 255).astype(np.uint8)


def rotate_perspective(image: Image, rng: np.random.Generator) -> Image:
    """Turned by up to a few degrees and seen from slightly below, on a grey table; the whole document kept."""
    height, width = image.shape[:2]
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    inset = KEYSTONE * width / 2
    seen = corners + np.array([[inset, 0], [-inset, 0], [0, 0], [0, 0]], np.float32)
    angle = np.deg2rad(rng.uniform(-ROTATION_DEGREES, ROTATION_DEGREES))
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]], np.float32)
    turned = (seen - (width / 2, height / 2)) @ rotation.T
    turned -= turned.min(axis=0)
    size = np.ceil(turned.max(axis=0)).astype(int)
    matrix = cv2.getPerspectiveTransform(corners, turned.astype(np.float32))
    return cast(Image, cv2.warpPerspective(image, matrix, (int(size[0]), int(size[1])), flags=cv2.INTER_LINEAR,
                                           borderMode=cv2.BORDER_CONSTANT, borderValue=TABLE_GREY))


def jpeg(image: Image, rng: np.random.Generator) -> Image:
    del rng
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return cast(Image, cv2.imdecode(encoded, cv2.IMREAD_UNCHANGED))


def small_scale(image: Image, rng: np.random.Generator) -> Image:
    del rng
    return cast(Image, cv2.resize(image, None, fx=SMALL_SCALE, fy=SMALL_SCALE, interpolation=cv2.INTER_AREA))


DEGRADATIONS: dict[str, Callable[[Image, np.random.Generator], Image]] = {
    "blur": blur,
    "low_light": low_light,
    "glare_mrz": glare,
    "rotation_perspective": rotate_perspective,
    "jpeg": jpeg,
    "small_scale": small_scale,
}


def degrade(image: Image, kind: str, row: int) -> Image:
    """`image` spoiled as `kind`, the same for the same row whenever it is run."""
    return DEGRADATIONS[kind](image, np.random.default_rng([SEED, row]))


def degrade_manifest(manifest: Path, outdir: Path, kinds: list[str]) -> Path:
    """Every image of `manifest` degraded each way of `kinds` into `outdir`; returns the new manifest."""
    rows = read_manifest(manifest)
    entries: list[dict[str, str]] = []
    for index, row in enumerate(rows):
        image = load_image(row.path)
        for kind in kinds:
            relative = Path(kind) / f"{index:03d}_{row.path.stem}.png"
            (outdir / kind).mkdir(parents=True, exist_ok=True)
            if not cv2.imwrite(str(outdir / relative), degrade(image, kind, index)):
                raise OSError(f"could not write {outdir / relative}")
            entries.append({"path": relative.as_posix(), "mrz": "|".join(row.expected),
                            "fields": printed_json(row.printed), "kind": kind})
    out = outdir / "manifest.csv"
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["path", "mrz", "fields", "kind"])
        writer.writeheader()
        writer.writerows(sorted(entries, key=lambda entry: kinds.index(entry["kind"])))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest", type=Path)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--kinds", nargs="+", choices=list(DEGRADATIONS), default=list(DEGRADATIONS))
    args = parser.parse_args()
    print(degrade_manifest(args.manifest, args.outdir, args.kinds))


if __name__ == "__main__":
    main()
