"""Guarded video decoding: every way a video can be unusable becomes a typed error, never a crash.

Frames are subsampled (liveness needs ~10-15 fps, not 30) and downscaled (face tracking needs ~640 px,
not 1080p) so a whole check stays within its time budget. The container timestamps of EVERY decoded
frame are kept, because the timing PAD signal looks for gaps and reversals the subsampling would hide.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import cast

import cv2
import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)

# Upper bound on what the decoder is asked to handle: 4K. Larger frames are refused, not decoded.
DEFAULT_MAX_PIXELS = 3840 * 2160
DEFAULT_TRACKING_SIDE = 640

FrameSink = Callable[[npt.NDArray[np.uint8], float], None]  # a kept frame (BGR) and its time in seconds


class VideoDecodeReason(StrEnum):
    NOT_FOUND = "not_found"
    UNREADABLE = "unreadable"
    NO_FRAMES = "no_frames"
    TOO_LONG = "too_long"
    TOO_LARGE = "too_large"


class VideoDecodeError(Exception):
    def __init__(self, reason: VideoDecodeReason, detail: str = "") -> None:
        super().__init__(f"{reason.value}: {detail}" if detail else reason.value)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class VideoClip:
    """Retained frames (BGR uint8, downscaled by `scale`) and where they came from."""

    frames: tuple[npt.NDArray[np.uint8], ...]
    timestamps: tuple[float, ...]  # seconds, container time of each retained frame
    decoded_timestamps: tuple[float, ...]  # seconds, container time of every decoded frame
    source_fps: float  # as declared by the container
    width: int  # source frame size
    height: int
    scale: float  # retained frame = source frame * scale

    @property
    def duration_s(self) -> float:
        if len(self.decoded_timestamps) < 2:
            return 0.0
        return self.decoded_timestamps[-1] - self.decoded_timestamps[0]


def read_video(
    path: str | Path,
    *,
    max_fps: float = 15.0,
    max_seconds: float = 30.0,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    tracking_side: int = DEFAULT_TRACKING_SIDE,
    on_frame: FrameSink | None = None,
) -> VideoClip:
    """Decode `path`, keeping at most `max_fps` frames per second, each downscaled so its long side
    is <= `tracking_side`; each kept frame is also handed to `on_frame` (with its time) as soon as it is
    decoded. Raises VideoDecodeError for anything that is not a usable video."""
    path = Path(path)
    if not path.is_file():
        raise VideoDecodeError(VideoDecodeReason.NOT_FOUND, str(path.name))
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise VideoDecodeError(VideoDecodeReason.UNREADABLE, "no decoder accepted the file")
        width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        fps = float(capture.get(cv2.CAP_PROP_FPS))
        declared_frames = float(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        if width * height > max_pixels:
            raise VideoDecodeError(VideoDecodeReason.TOO_LARGE, f"{width}x{height}")
        if fps > 0 and declared_frames / fps > max_seconds:
            raise VideoDecodeError(VideoDecodeReason.TOO_LONG, f"{declared_frames / fps:.1f} s declared")
        return _decode(capture, width, height, fps, max_fps, max_seconds, tracking_side, on_frame)
    except cv2.error as error:
        # A damaged stream can make OpenCV raise mid-decode; that is a property of the input.
        raise VideoDecodeError(VideoDecodeReason.UNREADABLE, str(error).splitlines()[0]) from error
    finally:
        capture.release()


def _decode(
    capture: cv2.VideoCapture,
    width: int,
    height: int,
    fps: float,
    max_fps: float,
    max_seconds: float,
    tracking_side: int,
    on_frame: FrameSink | None,
) -> VideoClip:
    scale = min(1.0, tracking_side / max(width, height, 1))
    min_gap_s = 1.0 / max_fps
    frames: list[npt.NDArray[np.uint8]] = []
    timestamps: list[float] = []
    decoded: list[float] = []
    while capture.grab():
        t = capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
        if not math.isfinite(t):
            raise VideoDecodeError(VideoDecodeReason.UNREADABLE, "non-finite frame timestamp")
        decoded.append(t)
        if t - decoded[0] > max_seconds:
            # Metadata can lie about the length: the guard is on what is actually decoded.
            raise VideoDecodeError(VideoDecodeReason.TOO_LONG, f"more than {max_seconds:.0f} s decoded")
        # Keep a frame once at least 1/max_fps has passed since the last kept one (tolerance for jitter).
        if timestamps and t - timestamps[-1] < 0.9 * min_gap_s:
            continue
        ok, frame = capture.retrieve()
        if not ok or frame is None:
            raise VideoDecodeError(VideoDecodeReason.UNREADABLE, f"frame {len(decoded) - 1} did not decode")
        if frame.shape[:2] != (height, width):
            # The header's size is what the guards checked; a stream that changes it is not trusted.
            raise VideoDecodeError(VideoDecodeReason.UNREADABLE, "frame size differs from the header")
        if scale < 1.0:
            frame = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        kept = cast(npt.NDArray[np.uint8], frame)  # 8-bit BGR; OpenCV's stubs only say "a numeric array"
        frames.append(kept)
        timestamps.append(t)
        if on_frame is not None:
            on_frame(kept, t)
    if not frames:
        raise VideoDecodeError(VideoDecodeReason.NO_FRAMES, "no frame could be decoded")
    logger.debug("decoded %d frames, kept %d (%.1f s)", len(decoded), len(frames), decoded[-1] - decoded[0])
    return VideoClip(
        frames=tuple(frames),
        timestamps=tuple(timestamps),
        decoded_timestamps=tuple(decoded),
        source_fps=fps,
        width=width,
        height=height,
        scale=scale,
    )
