"""Cost of the face-match check on one enrollment: a document image against 30 frames of 720p video.

Run on demand: `.venv/bin/python benchmarks/bench_faces.py [--repeat 7]`. Prints one JSON object with
the median wall and CPU time of `compare_document_to_selfie` and their ratios to the 0.5 s budget. Uses a real
face video and photo from ../shared/data when present, skimage's astronaut otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path
from typing import cast

import cv2
import numpy as np
import numpy.typing as npt

from biometrics.face_matching import compare_document_to_selfie
from biometrics.face_models import load_face_models
from synthetic.documents import bare_card as document_image
from verification.decision.policy import load_policy

BUDGET_S = 0.5
SHARED_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
FRAME_SIZE = (1280, 720)
FRAME_COUNT = 30
# The policy's threshold: it decides pass/fail, and whether a second frame is encoded (within 0.1 of it).
THRESHOLD = load_policy("pvid-substantial").face_max_distance.threshold


def selfie_frames(video_frames: list[npt.NDArray[np.uint8]]) -> list[npt.NDArray[np.uint8]]:
    """Square face video frames placed in the middle of 720p frames."""
    width, height = FRAME_SIZE
    frames = []
    for frame in video_frames[:FRAME_COUNT]:
        canvas = np.full((height, width, 3), 40, dtype=np.uint8)
        square = cv2.resize(frame, (height, height), interpolation=cv2.INTER_LINEAR)
        left = (width - height) // 2
        canvas[:, left:left + height] = square
        frames.append(canvas)
    return frames


def inputs() -> tuple[npt.NDArray[np.uint8], list[npt.NDArray[np.uint8]], str]:
    video = SHARED_DATA / "video" / "faces_in_motion" / "d0.mp4"
    if video.is_file():
        capture = cv2.VideoCapture(str(video))
        frames: list[npt.NDArray[np.uint8]] = []
        while len(frames) < FRAME_COUNT:
            ok, frame = capture.read()
            if not ok:
                break
            # cast: OpenCV's stubs type its results as any numeric array; decoded frames are 8-bit.
            frames.append(cast(npt.NDArray[np.uint8], cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)))
        capture.release()
        # The document portrait is a frame of the same person (a different photo would only change the score).
        portrait = frames[0][40:472, 90:422]
        return document_image(portrait), selfie_frames(frames), str(video.name)
    from skimage import data

    astronaut = data.astronaut()
    portrait = astronaut[20:300, 110:330]
    shifted = [np.roll(astronaut, shift, axis=1) for shift in range(0, 3 * FRAME_COUNT, 3)]
    return document_image(portrait), selfie_frames(shifted), "skimage astronaut"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    document, frames, source = inputs()
    started = time.perf_counter()
    load_face_models()
    load_s = time.perf_counter() - started
    result = compare_document_to_selfie(document, frames, THRESHOLD)  # warm-up, also the reported result
    timings, cpu_timings = [], []
    for _ in range(args.repeat):
        started, cpu_started = time.perf_counter(), time.process_time()
        compare_document_to_selfie(document, frames, THRESHOLD)
        timings.append(time.perf_counter() - started)
        cpu_timings.append(time.process_time() - cpu_started)
    median = statistics.median(timings)
    print(json.dumps({
        "source": source,
        "frames": len(frames),
        "frame_size": list(FRAME_SIZE),
        "document_size": [document.shape[1], document.shape[0]],
        "model_load_s": round(load_s, 3),
        "repeat": args.repeat,
        "median_s": round(median, 3),
        "min_s": round(min(timings), 3),
        "max_s": round(max(timings), 3),
        # CPU time of this process: what the wall time would be on an idle core (the machine is shared).
        "median_cpu_s": round(statistics.median(cpu_timings), 3),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "budget_s": BUDGET_S,
        "ratio_to_budget": round(median / BUDGET_S, 2),
        "cpu_ratio_to_budget": round(statistics.median(cpu_timings) / BUDGET_S, 2),
        "result": {key: result.to_dict()[key] for key in ("status", "distance", "frame_indices", "reasons")},
    }))


if __name__ == "__main__":
    main()
