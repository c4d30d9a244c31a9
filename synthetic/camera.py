"""Camera-like degradations: a document photographed on a desk, and per-frame sensor effects for videos.

Every effect is parameterised and drawn from the caller's seeded generator, so a data set is reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import cv2
import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class CameraEffects:
    """Upper bounds of the random degradations (each drawn uniformly up to its bound)."""

    rotation_deg: float = 0.0  # in-plane rotation of the document
    perspective: float = 0.0  # corner displacement, as a fraction of the document's size
    margin: float = 0.12  # desk visible around the document, as a fraction of its size
    noise_sigma: float = 0.0  # sensor noise, grey levels
    blur_sigma: float = 0.0  # defocus, pixels
    jpeg_quality: int | None = None  # lowest JPEG quality; None keeps the image lossless
    lighting: float = 0.0  # depth of a smooth brightness gradient (0 = even light)

    @classmethod
    def mild(cls) -> CameraEffects:
        return cls(rotation_deg=3.0, perspective=0.03, noise_sigma=3.0, blur_sigma=0.8, jpeg_quality=85,
                   lighting=0.15)

    @classmethod
    def strong(cls) -> CameraEffects:
        return cls(rotation_deg=8.0, perspective=0.07, noise_sigma=7.0, blur_sigma=1.6, jpeg_quality=60,
                   lighting=0.35)


def photograph(image: npt.NDArray[np.uint8], effects: CameraEffects,
               rng: np.random.Generator) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.float64]]:
    """`image` as if photographed on a desk. Returns the photo and the 3x3 homography mapping the
    document's pixel coordinates into the photo's."""
    height, width = image.shape[:2]
    out_w, out_h = int(width * (1 + 2 * effects.margin)), int(height * (1 + 2 * effects.margin))
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    centre = np.array([out_w / 2, out_h / 2], dtype=np.float32)
    angle = np.deg2rad(rng.uniform(-effects.rotation_deg, effects.rotation_deg))
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]], dtype=np.float32)
    jitter = (rng.uniform(-effects.perspective, effects.perspective, size=(4, 2))
              * np.array([width, height], dtype=np.float32))
    placed = (corners - corners.mean(axis=0) + jitter) @ rotation.T + centre
    # cast: OpenCV's stubs type its results as any numeric array (8-bit images stay 8-bit, matrices float64).
    homography = cast(npt.NDArray[np.float64], cv2.getPerspectiveTransform(corners, placed.astype(np.float32)))
    desk = desk_background((out_w, out_h), rng)
    warped = cv2.warpPerspective(image, homography, (out_w, out_h), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((height, width), 255, np.uint8), homography, (out_w, out_h))
    photo = np.where(mask[..., None] > 127, warped, desk)
    photo = uneven_lighting(photo, rng.uniform(0, effects.lighting), rng)
    photo = blur(photo, rng.uniform(0, effects.blur_sigma))
    photo = sensor_noise(photo, rng.uniform(0, effects.noise_sigma), rng)
    if effects.jpeg_quality is not None:
        photo = jpeg(photo, int(rng.integers(effects.jpeg_quality, 96)))
    return photo, homography


def desk_background(size: tuple[int, int], rng: np.random.Generator) -> npt.NDArray[np.uint8]:
    """A wood-like or fabric-like desk: low-frequency colour variation plus fine grain."""
    width, height = size
    base = np.array(rng.choice([(60, 90, 130), (120, 120, 115), (40, 45, 50), (150, 160, 170)]), np.float32)
    coarse = cv2.resize(rng.normal(0, 1, (8, 8)).astype(np.float32), (width, height), interpolation=cv2.INTER_CUBIC)
    stretch = int(rng.integers(20, 60))  # grain elongated along x, like wood fibres
    grain = cv2.resize(rng.normal(0, 1, (height // 4 + 1, max(1, width // stretch))).astype(np.float32),
                       (width, height), interpolation=cv2.INTER_LINEAR)
    shade = 1 + 0.12 * coarse + 0.06 * grain
    desk: npt.NDArray[np.uint8] = np.clip(base[None, None, :] * shade[..., None], 0, 255).astype(np.uint8)
    return desk


def uneven_lighting(image: npt.NDArray[np.uint8], strength: float, rng: np.random.Generator) -> npt.NDArray[np.uint8]:
    """Multiply by a linear brightness ramp in a random direction (a lamp on one side)."""
    if strength <= 0:
        return image
    height, width = image.shape[:2]
    direction = rng.uniform(0, 2 * np.pi)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    ramp = (np.cos(direction) * (xs / width - 0.5) + np.sin(direction) * (ys / height - 0.5))
    gain = 1 + strength * ramp
    lit: npt.NDArray[np.uint8] = np.clip(image.astype(np.float32) * gain[..., None], 0, 255).astype(np.uint8)
    return lit


def blur(image: npt.NDArray[np.uint8], sigma: float) -> npt.NDArray[np.uint8]:
    return cast(npt.NDArray[np.uint8], cv2.GaussianBlur(image, (0, 0), sigma)) if sigma > 0.1 else image


def sensor_noise(image: npt.NDArray[np.uint8], sigma: float, rng: np.random.Generator) -> npt.NDArray[np.uint8]:
    if sigma <= 0:
        return image
    noisy = image.astype(np.int16) + rng.normal(0, sigma, image.shape).astype(np.int16)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def exposure(image: npt.NDArray[np.uint8], gain: float) -> npt.NDArray[np.uint8]:
    """Scale brightness (auto-exposure drift); a lookup table keeps it cheap per video frame."""
    table = np.clip(np.arange(256, dtype=np.float32) * gain, 0, 255).astype(np.uint8)
    return cast(npt.NDArray[np.uint8], cv2.LUT(image, table))


def jpeg(image: npt.NDArray[np.uint8], quality: int) -> npt.NDArray[np.uint8]:
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return cast(npt.NDArray[np.uint8], cv2.imdecode(encoded, cv2.IMREAD_COLOR))
