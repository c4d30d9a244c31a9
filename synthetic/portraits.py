"""Portraits for synthetic documents and selfies.

Real faces come from the shared evaluation data (`<project root>/../shared/data/faces`, read in place and
never copied into the repository); where that folder is absent, scikit-image's bundled astronaut photo is
used so the demo and the tests need nothing outside the repository.
"""

from __future__ import annotations

import csv
import functools
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import cv2
import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PORTRAIT_SIZE = (360, 480)  # width, height: the 35 x 45 mm ICAO photo ratio
FALLBACK_IDENTITY = "skimage-astronaut"
# ORL images are 92 x 112 grey-level: too small to texture a head or to print on a document.
_MIN_SOURCE_SIDE = 300


@dataclass(frozen=True)
class Portrait:
    image: npt.NDArray[np.uint8]  # BGR uint8, PORTRAIT_SIZE, face centred with head-and-shoulders margins
    identity: str
    source: str  # where the pixels come from, for provenance (a path relative to the faces folder)


@dataclass(frozen=True)
class PortraitSource:
    path: Path
    identity: str


def faces_dir(project_root: Path = PROJECT_ROOT) -> Path:
    return Path(project_root) / ".." / "shared" / "data" / "faces"


def portrait_sources(project_root: Path = PROJECT_ROOT) -> tuple[PortraitSource, ...]:
    """Colour photos listed in the shared faces manifest; empty when the shared data is absent."""
    manifest = faces_dir(project_root) / "manifest.csv"
    if not manifest.is_file():
        return ()
    with manifest.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return tuple(PortraitSource(manifest.parent / row["path"], row["identity"])
                 for row in sorted(rows, key=lambda r: r["path"]) if not row["path"].startswith("orl/"))


def load_portrait(rng: np.random.Generator, *, exclude_identity: str | None = None,
                  project_root: Path = PROJECT_ROOT) -> Portrait:
    """A random usable portrait (exactly one face found), of another identity than `exclude_identity`
    when there is one."""
    sources = [s for s in portrait_sources(project_root) if s.identity != exclude_identity]
    for index in rng.permutation(len(sources)):
        source = sources[int(index)]
        image = _portrait_from_file(str(source.path))
        if image is not None:
            return Portrait(image.copy(), source.identity, str(source.path.relative_to(faces_dir(project_root))))
    if sources:
        logger.warning("no usable face among %d shared portraits; using the bundled fallback", len(sources))
    return fallback_portrait(mirrored=exclude_identity == FALLBACK_IDENTITY)


def fallback_portrait(mirrored: bool = False) -> Portrait:
    """scikit-image's astronaut (public domain, NASA). Mirrored on request as a stand-in 'other person'
    where no second identity exists; a face matcher will rightly still find it the same person."""
    from skimage import data

    astronaut = data.astronaut()
    # cast (here and below): OpenCV's stubs type its results as any numeric array; 8-bit images stay 8-bit.
    image = _crop_portrait(cast(npt.NDArray[np.uint8], cv2.cvtColor(astronaut, cv2.COLOR_RGB2BGR)))
    if image is None:
        raise RuntimeError("no face found in the fallback portrait")
    return Portrait(image[:, ::-1].copy() if mirrored else image, FALLBACK_IDENTITY, "skimage.data.astronaut")


@functools.lru_cache(maxsize=64)
def _portrait_from_file(path: str) -> npt.NDArray[np.uint8] | None:
    image = cv2.imread(path, cv2.IMREAD_COLOR)
    if image is None or min(image.shape[:2]) < _MIN_SOURCE_SIDE:
        return None
    return _crop_portrait(cast(npt.NDArray[np.uint8], image))


def _crop_portrait(image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8] | None:
    """Head-and-shoulders crop around the single detected face, resized to PORTRAIT_SIZE; None unless
    exactly one face is found."""
    scale = 640 / max(image.shape[:2])
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else image
    result = _face_detector().process(cv2.cvtColor(small, cv2.COLOR_BGR2RGB))
    if not result.detections or len(result.detections) != 1:
        return None
    box = result.detections[0].location_data.relative_bounding_box
    height, width = image.shape[:2]
    face_w, face_h = box.width * width, box.height * height
    centre_x = (box.xmin + box.width / 2) * width
    centre_y = (box.ymin + box.height / 2) * height
    # ICAO-like framing: the face takes about half the photo's width, the eyes a little above the middle.
    crop_w = 2.0 * max(face_w, face_h * 0.8)
    crop_h = crop_w * PORTRAIT_SIZE[1] / PORTRAIT_SIZE[0]
    left, top = centre_x - crop_w / 2, centre_y - crop_h * 0.45
    source = np.array([[left, top], [left + crop_w, top], [left, top + crop_h]], dtype=np.float32)
    target = np.array([[0, 0], [PORTRAIT_SIZE[0], 0], [0, PORTRAIT_SIZE[1]]], dtype=np.float32)
    return cast(npt.NDArray[np.uint8], cv2.warpAffine(image, cv2.getAffineTransform(source, target), PORTRAIT_SIZE,
                                   flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE))


@functools.cache
def _face_detector() -> Any:  # a MediaPipe graph (MediaPipe has no types)
    import mediapipe as mp

    return mp.solutions.face_detection.FaceDetection(model_selection=1, min_detection_confidence=0.6)
