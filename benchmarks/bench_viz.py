"""Time to read one image's visual zone: `read_viz` on the French cards of ../shared/data and a few
PassportEye specimens (or the images given), the engines already loaded, as in a worker.

    .venv/bin/python benchmarks/bench_viz.py [IMAGE ...] [--repeat 3]

Prints one JSON object: each image's wall time (its median over the repeats) and the median, 90th percentile
and maximum over the images, with the median's ratio to the 1.5 s budget; and the median CPU time of the
process per image, which a machine shared with other work inflates less than the wall time (tesseract runs
in this process, on one thread).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import date
from pathlib import Path

from verification.document.evaluation import load_image
from verification.document.viz import read_viz

BUDGET_S = 1.5
DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "documents"
PASSPORTEYE = ("100_pass-lux.jpg", "100_pass-cze.jpg", "0_id-esp.png", "98_pass-nld.jpg", "passport-td3.jpg")


def default_images() -> list[Path]:
    french = sorted(p for p in (DATA / "french").glob("*") if p.suffix in (".jpg", ".png"))
    return french + [DATA / "passporteye" / name for name in PASSPORTEYE]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("images", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    paths = args.images or default_images()
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        raise SystemExit(f"cannot read {missing} (is ../shared/data beside the project?)")
    images = {path.name: load_image(path) for path in paths}
    today = date.today()
    read_viz(next(iter(images.values())), None, today)  # the models load once per worker thread
    times: dict[str, float] = {}
    cpu: list[float] = []
    for name, image in images.items():
        runs, cpu_runs = [], []
        for _ in range(args.repeat):
            started, started_cpu = time.perf_counter(), time.process_time()
            read_viz(image, None, today)
            runs.append(time.perf_counter() - started)
            cpu_runs.append(time.process_time() - started_cpu)
        times[name] = round(statistics.median(runs), 3)
        cpu.append(statistics.median(cpu_runs))
    ordered = sorted(times.values())
    median = statistics.median(ordered)
    print(json.dumps({"per_image_s": times, "median_s": round(median, 3),
                      "p90_s": ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], "max_s": ordered[-1],
                      "median_vs_budget": round(median / BUDGET_S, 2),
                      "median_cpu_s": round(statistics.median(cpu), 3)}, indent=1))


if __name__ == "__main__":
    main()
