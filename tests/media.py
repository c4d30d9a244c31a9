"""Small media files made on the fly for transport tests (no biometrics involved)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def jpeg(width: int = 640, height: int = 400) -> bytes:
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
    return cv2.imencode(".jpg", image)[1].tobytes()


def png(width: int = 640, height: int = 400) -> bytes:
    return cv2.imencode(".png", np.full((height, width, 3), 200, np.uint8))[1].tobytes()


def mp4(path: Path, seconds: float = 2.0, fps: int = 15, size: tuple[int, int] = (320, 240)) -> bytes:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    rng = np.random.default_rng(1)
    for _ in range(int(seconds * fps)):
        writer.write(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))
    writer.release()
    return path.read_bytes()
