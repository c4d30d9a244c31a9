"""Time check_liveness_video (decoding included) on a 5 s 1280x720 30 fps selfie video; target: <= 1.5 s.

    .venv/bin/python benchmarks/bench_liveness.py [VIDEO] [--runs 5] [--challenge turn_left,blink,turn_right]

Without VIDEO, a bona fide one is generated in a temporary folder (synthetic.selfie: a 3D head answering
the challenge; the portrait from ../shared/data/faces, or scikit-image's astronaut). Models are loaded
before timing (a worker loads them at start); the first run is reported apart. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from biometrics.challenge import Action, parse_actions
from biometrics.face_mesh import load_face_mesh
from biometrics.face_models import load_face_models
from biometrics.liveness import check_liveness_video
from biometrics.video import read_video

TARGET_S = 1.5


def write_test_video(path: Path, challenge: tuple[Action, ...], size: tuple[int, int] = (1280, 720),
                     fps: float = 30) -> None:
    from synthetic.portraits import load_portrait
    from synthetic.selfie import render_selfie_video

    rng = np.random.default_rng(7)
    # 0.8 s lead-in, 3 x ~1.2 s actions with pauses, 0.5 s tail: about 5 s.
    render_selfie_video(load_portrait(rng).image, challenge, path, rng=rng, fps=fps, size=size,
                        seconds_per_action=1.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("video", nargs="?", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--challenge", default="turn_left,blink,turn_right")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    challenge = parse_actions(args.challenge)
    with tempfile.TemporaryDirectory() as folder:
        video = args.video or Path(folder) / "bench_720p.mp4"
        if args.video is None:
            write_test_video(video, challenge)
        load_face_mesh()
        load_face_models()
        started = time.perf_counter()
        check_liveness_video(video, challenge)
        first = time.perf_counter() - started
        timings, cpu_timings = [], []
        for _ in range(args.runs):
            started, cpu_started = time.perf_counter(), time.process_time()
            result = check_liveness_video(video, challenge)
            timings.append(time.perf_counter() - started)
            cpu_timings.append(time.process_time() - cpu_started)
        clip = read_video(video)
    median = statistics.median(timings)
    print(json.dumps({
        "video": video.name,
        "source_size": [clip.width, clip.height],
        "source_fps": round(clip.source_fps, 2),
        "duration_s": round(result.duration_s, 2),
        "frames_kept": result.frames,
        "status": result.status.value,
        "reasons": list(result.reasons),
        "first_run_s": round(first, 3),
        "runs_s": [round(t, 3) for t in timings],
        "median_s": round(median, 3),
        # CPU time of this process, threads included: MediaPipe and OpenCV use both cores.
        "median_cpu_s": round(statistics.median(cpu_timings), 3),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "target_s": TARGET_S,
        "ratio_to_target": round(median / TARGET_S, 2),
    }))


if __name__ == "__main__":
    main()
