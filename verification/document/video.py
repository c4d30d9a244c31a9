"""A document filmed on both sides with a tilt instruction (ETSI TS 119 461 VAL-8.3.3-04X): which frames to
read the MRZ and the portrait from, and whether the card really tilted as asked.

Pure function over decoded frames (BGR, with their timestamps). The document is tracked as a plane:
ORB features of each frame are matched against the first frame of its segment (a run of frames showing the
same side) and a RANSAC homography maps one onto the other. Tilting a card about its vertical axis
foreshortens the receding edge: the homography maps a rectangle to a trapezium whose right/left edge
ratio moves away from its value in the held pose. A flat picture slid or turned in the image plane keeps
both ratios; a new side of the card (too few matches) starts a new segment.

Tilt directions name the edge that moves away from the camera: LEFT means the card's left edge recedes
(as when turning it about its vertical axis, left side back), UP its top edge.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, cast

import cv2
import numpy as np
import numpy.typing as npt
from cv2.typing import MatLike

from biometrics.portrait import box_area, find_portrait
from verification.common.outcome import CheckStatus
from verification.document.check import DocumentCheckResult, check_document
from verification.document.mrz.band import find_bands, to_gray
from verification.document.policy import DocumentPolicy

# Decode document videos at this long side: MRZ glyphs need it (tracking works on a smaller copy).
DECODE_SIDE = 1280
# Frames are tracked at this long side: enough ORB features on an ID-1 card, ~5 ms per frame.
TRACKING_SIDE = 480
ORB_FEATURES = 800
# A frame continues its segment when the homography to the segment's first frame keeps this many inliers.
MIN_INLIERS = 25
# Foreshortening (log of the edge-length ratio, relative to the held pose) that counts as a tilt. A card
# of width W at distance D tilted by t gives about (W/D) sin t (checked on synthetic videos): 0.06 is
# ~10 degrees at W/D = 0.35 (a card across half a phone frame), ~5 degrees when it fills the frame. Hand
# shake and tracking noise measured 0.02 on synthetic videos; real camera noise is not measured here.
MIN_TILT = 0.06
# Frames scored for reading: sharp, without glare, held frontal. At most this many per segment are
# checked for an MRZ band or a face, sharpest first.
CANDIDATES_PER_SEGMENT = 3
# MRZ frames handed to the reader: a reading one frame leaves unconfirmed is confirmed by another's.
MRZ_FRAMES = 3


class TiltDirection(StrEnum):
    LEFT = "left"
    RIGHT = "right"
    UP = "up"
    DOWN = "down"


def draw_tilt(rng: random.Random) -> TiltDirection:
    """The tilt a document video must show, drawn per enrollment so a prerecorded video cannot know it."""
    return rng.choice(list(TiltDirection))


class VideoReason(StrEnum):
    NOT_TRACKED = "document_not_tracked"  # no frame pair where the card could be followed
    NOT_TILTED = "document_not_tilted"
    WRONG_TILT = "tilt_not_as_instructed"
    NO_MRZ_FRAME = "no_mrz_frame"
    NO_PORTRAIT_FRAME = "no_portrait_frame"


@dataclass(frozen=True)
class FrameMeasure:
    index: int
    timestamp: float
    segment: int
    sharpness: float  # variance of the Laplacian at TRACKING_SIDE
    glare: float  # fraction of saturated pixels
    tilt: tuple[float, float] | None  # (horizontal, vertical) foreshortening vs its segment's first frame
    matched: bool  # followed from its segment's first frame (False for that frame, and when lost)

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "timestamp": round(self.timestamp, 3), "segment": self.segment,
                "sharpness": round(self.sharpness, 1), "glare": round(self.glare, 4),
                "tilt": None if self.tilt is None else [round(v, 4) for v in self.tilt], "matched": self.matched}


@dataclass(frozen=True)
class DocumentVideoAnalysis:
    status: CheckStatus
    score: float | None  # largest foreshortening reached (log edge ratio)
    reasons: tuple[str, ...]
    mrz_frames: tuple[int, ...]  # indices into the frames given, best for reading first
    portrait_frame: int | None
    segments: int  # sides (or re-framings) of the card seen
    tilt_direction: TiltDirection | None  # the direction of the largest tilt
    instruction: TiltDirection | None
    frames: tuple[FrameMeasure, ...]

    @property
    def moved_as_instructed(self) -> bool:
        return self.status is CheckStatus.PASS

    def frame_indices(self) -> tuple[int, ...]:
        """The frames to give the document check: the MRZ frames, then the portrait frame."""
        portrait = () if self.portrait_frame is None else (self.portrait_frame,)
        return tuple(dict.fromkeys(self.mrz_frames + portrait))

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": str(self.status),
            "score": None if self.score is None else round(self.score, 4),
            "reasons": list(self.reasons),
            "mrz_frames": list(self.mrz_frames),
            "portrait_frame": self.portrait_frame,
            "segments": self.segments,
            "tilt_direction": None if self.tilt_direction is None else str(self.tilt_direction),
            "instruction": None if self.instruction is None else str(self.instruction),
            "frames": [f.to_dict() for f in self.frames],
        }


def _small(frame: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    gray = to_gray(frame)
    scale = TRACKING_SIDE / max(gray.shape)
    if scale >= 1:
        return gray
    return cast(npt.NDArray[np.uint8], cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA))


def _edge_ratios(homography: MatLike, region: tuple[float, float, float, float]) -> tuple[float, float]:
    """log(right edge / left edge) and log(bottom edge / top edge) of `region` (x0, y0, x1, y1), mapped."""
    x0, y0, x1, y1 = region
    corners = np.array([[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]], dtype=np.float32)
    tl, tr, br, bl = cv2.perspectiveTransform(corners, homography)[0]
    left, right = float(np.linalg.norm(bl - tl)), float(np.linalg.norm(br - tr))
    top, bottom = float(np.linalg.norm(tr - tl)), float(np.linalg.norm(br - bl))
    return float(np.log(max(right, 1e-6) / max(left, 1e-6))), float(np.log(max(bottom, 1e-6) / max(top, 1e-6)))


def _measure(frames: Sequence[npt.NDArray[np.uint8]], timestamps: Sequence[float]) -> list[FrameMeasure]:
    orb = cv2.ORB.create(ORB_FEATURES)
    matcher = cv2.BFMatcher(cv2.NORM_HAMMING, crossCheck=True)
    measures: list[FrameMeasure] = []
    segment, reference = -1, None
    for index, (frame, timestamp) in enumerate(zip(frames, timestamps, strict=True)):
        small = _small(frame)
        keypoints, descriptors = orb.detectAndCompute(small, None)  # type: ignore[call-overload]  # stubs: mask is optional
        tilt = None
        if reference is not None and descriptors is not None and len(keypoints) >= MIN_INLIERS:
            ref_points, ref_descriptors, region = reference
            matches = matcher.match(ref_descriptors, descriptors)
            if len(matches) >= MIN_INLIERS:
                source = np.array([ref_points[m.queryIdx].pt for m in matches], dtype=np.float32)
                target = np.array([keypoints[m.trainIdx].pt for m in matches], dtype=np.float32)
                homography, inliers = cv2.findHomography(source, target, cv2.RANSAC, 4.0)
                if homography is not None and int(inliers.sum()) >= MIN_INLIERS:
                    tilt = _edge_ratios(homography, region)
        matched = tilt is not None
        if not matched:  # first frame, or a new side / view of the card: a new segment starts here
            segment += 1
            reference = None
            if descriptors is not None and len(keypoints) >= MIN_INLIERS:
                # The textured area the features lie on: the card, whose edges the ratios compare.
                points = np.array([k.pt for k in keypoints], dtype=np.float32)
                region = (*points.min(axis=0), *points.max(axis=0))
                reference = (keypoints, descriptors, region)
            tilt = (0.0, 0.0) if reference is not None else None
        sharpness = float(cv2.Laplacian(small, cv2.CV_64F).var())
        glare = float(np.count_nonzero(small >= 250)) / small.size
        measures.append(FrameMeasure(index, float(timestamp), segment, sharpness, glare, tilt, matched))
    return measures


def _largest_tilt(measures: Sequence[FrameMeasure]) -> tuple[float, TiltDirection | None]:
    """The largest departure from each segment's held pose (the median of its frames' foreshortening)."""
    largest, direction = 0.0, None
    for segment in {m.segment for m in measures}:
        tilts = np.array([m.tilt for m in measures if m.segment == segment and m.tilt is not None])
        if len(tilts) < 2:
            continue
        deviation = tilts - np.median(tilts, axis=0)
        row, axis = np.unravel_index(int(np.argmax(np.abs(deviation))), deviation.shape)
        value = float(deviation[row, axis])
        if abs(value) > largest:
            largest = abs(value)
            # A longer right edge means the left edge receded; a longer bottom edge, the top.
            direction = ((TiltDirection.LEFT, TiltDirection.RIGHT), (TiltDirection.UP, TiltDirection.DOWN))[axis][
                0 if value > 0 else 1]
    return largest, direction


def _reading_order(measures: Sequence[FrameMeasure], segment: int, tilt_threshold: float) -> list[int]:
    """A segment's frames best for reading first: held frontal, then sharp and without glare."""
    frames = [m for m in measures if m.segment == segment and m.tilt is not None]
    if not frames:
        return []
    median = np.median([m.tilt for m in frames if m.tilt is not None], axis=0)
    frontal = [m for m in frames if np.max(np.abs(np.array(m.tilt) - median)) < tilt_threshold / 2] or frames
    frontal.sort(key=lambda m: m.sharpness * (1.0 - min(1.0, 10 * m.glare)), reverse=True)
    return [m.index for m in frontal]


def analyse_document_video(frames: Sequence[npt.NDArray[np.uint8]], timestamps: Sequence[float],
                           instruction: TiltDirection | None = None) -> DocumentVideoAnalysis:
    """Choose the MRZ and portrait frames of a document video and tell whether the card tilted
    (as `instruction` asked, when one was given). Frames are BGR or grey, in time order."""
    measures = _measure(frames, timestamps)
    tilt, direction = _largest_tilt(measures)
    mrz_frames: list[int] = []
    portrait_frame = None
    best_face = 0
    for segment in sorted({m.segment for m in measures}):
        for index in _reading_order(measures, segment, MIN_TILT)[:CANDIDATES_PER_SEGMENT]:
            if len(mrz_frames) < MRZ_FRAMES and any(b.line_count >= 2 for b in find_bands(to_gray(frames[index]))):
                mrz_frames.append(index)
            face = find_portrait(frames[index])
            if face is not None and box_area(face) > best_face:
                portrait_frame, best_face = index, box_area(face)
    reasons: list[str] = []
    tracked = any(m.matched for m in measures)
    if not tracked:
        status = CheckStatus.INCONCLUSIVE
        reasons.append(VideoReason.NOT_TRACKED)
    elif tilt < MIN_TILT:
        status = CheckStatus.FAIL
        reasons.append(VideoReason.NOT_TILTED)
    elif instruction is not None and direction is not instruction:
        status = CheckStatus.FAIL
        reasons.append(VideoReason.WRONG_TILT)
    else:
        status = CheckStatus.PASS
    if not mrz_frames:
        reasons.append(VideoReason.NO_MRZ_FRAME)
    if portrait_frame is None:
        reasons.append(VideoReason.NO_PORTRAIT_FRAME)
    return DocumentVideoAnalysis(status, tilt if tracked else None, tuple(str(r) for r in reasons), tuple(mrz_frames),
                                 portrait_frame, len({m.segment for m in measures}), direction if tracked else None,
                                 instruction, tuple(measures))


@dataclass(frozen=True)
class DocumentVideoCheck:
    """The document check on a video's chosen frames, and the video's own analysis: the worse status wins,
    so a perfectly read card that did not tilt as instructed does not pass."""

    document: DocumentCheckResult
    video: DocumentVideoAnalysis

    @property
    def status(self) -> CheckStatus:
        return max(self.document.status, self.video.status, key=_SEVERITY.index)

    @property
    def score(self) -> float | None:
        return self.document.score

    @property
    def reasons(self) -> tuple[str, ...]:
        video = self.video.reasons
        if self.document.mrz is not None and self.document.mrz.valid:  # the chosen frames did show the MRZ
            video = tuple(reason for reason in video if reason != VideoReason.NO_MRZ_FRAME)
        return tuple(dict.fromkeys(self.document.reasons + video))

    def to_dict(self) -> dict[str, Any]:
        return {**self.document.to_dict(), "status": str(self.status), "reasons": list(self.reasons),
                "video": self.video.to_dict()}


_SEVERITY = (CheckStatus.PASS, CheckStatus.INCONCLUSIVE, CheckStatus.FAIL)


def check_document_video(frames: Sequence[npt.NDArray[np.uint8]], timestamps: Sequence[float],
                         instruction: TiltDirection, policy: DocumentPolicy, today: date,
                         images: Sequence[npt.NDArray[np.uint8]] = ()) -> DocumentVideoCheck:
    """Analyse the video, then read the document from its chosen frames (and any still images given)."""
    video = analyse_document_video(frames, timestamps, instruction)
    chosen = [frames[i] for i in video.frame_indices()]
    return DocumentVideoCheck(check_document([*images, *chosen], policy, today), video)
