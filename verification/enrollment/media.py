"""Guarded decoding of uploaded media: refuse corrupt files and decompression bombs before any check runs."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import cv2
from PIL import Image


class MediaProblem(StrEnum):
    CORRUPT_IMAGE = "corrupt_image"
    IMAGE_TOO_LARGE = "image_too_large"
    IMAGE_TOO_SMALL = "image_too_small"
    CORRUPT_VIDEO = "corrupt_video"
    VIDEO_TOO_LONG = "video_too_long"
    VIDEO_TOO_SHORT = "video_too_short"
    VIDEO_TOO_LARGE = "video_too_large"


class MediaError(Exception):
    def __init__(self, problem: MediaProblem, detail: str) -> None:
        super().__init__(detail)
        self.problem = problem


@dataclass(frozen=True)
class ImageInfo:
    width: int
    height: int


@dataclass(frozen=True)
class VideoInfo:
    width: int
    height: int
    fps: float
    frames: int
    seconds: float


MIN_IMAGE_SIDE = 200


def inspect_image(path: Path, max_pixels: int) -> ImageInfo:
    """Read the header first (size check before any pixel is decoded), then decode fully."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise MediaError(MediaProblem.IMAGE_TOO_LARGE, f"{width}x{height} exceeds {max_pixels} pixels")
                image.load()  # raises on truncated or corrupt data
    except MediaError:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise MediaError(MediaProblem.CORRUPT_IMAGE, f"image cannot be decoded: {error}") from error
    if min(width, height) < MIN_IMAGE_SIDE:
        raise MediaError(MediaProblem.IMAGE_TOO_SMALL, f"{width}x{height} is below {MIN_IMAGE_SIDE} px")
    return ImageInfo(width, height)


def inspect_video(path: Path, *, max_seconds: float, max_pixels: int, min_seconds: float = 1.0) -> VideoInfo:
    """Open the container and demux every frame: a truncated or corrupt stream loses frames or fails."""
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise MediaError(MediaProblem.CORRUPT_VIDEO, "video cannot be opened")
        width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        fps = float(capture.get(cv2.CAP_PROP_FPS))
        declared = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        if width <= 0 or height <= 0 or fps <= 0 or declared <= 0:
            raise MediaError(MediaProblem.CORRUPT_VIDEO, "video has no decodable stream")
        if width * height > max_pixels:
            raise MediaError(MediaProblem.VIDEO_TOO_LARGE, f"{width}x{height} exceeds {max_pixels} pixels")
        if declared / fps > max_seconds:
            raise MediaError(MediaProblem.VIDEO_TOO_LONG, f"{declared / fps:.1f} s exceeds {max_seconds} s")
        frames = 0
        while frames <= declared and capture.grab():
            frames += 1
        if frames == 0 or frames < 0.9 * declared:
            raise MediaError(MediaProblem.CORRUPT_VIDEO, f"only {frames} of {declared} frames decodable")
        seconds = frames / fps
        if seconds < min_seconds:
            raise MediaError(MediaProblem.VIDEO_TOO_SHORT, f"{seconds:.1f} s is below {min_seconds} s")
        return VideoInfo(width, height, fps, frames, seconds)
    finally:
        capture.release()
