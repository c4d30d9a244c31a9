"""Time to read one document's MRZ: `read_mrz` on every image of a manifest (the real specimens by default).

Run on demand: `.venv/bin/python benchmarks/bench_documents.py [--manifest tests/data/documents_manifest.csv]
[--repeat 3] [--baseline]`. Prints one JSON object: the median, 90th percentile and maximum wall time per
image (each image's time is its median over the repeats, the engine already loaded, as in a worker), the
median's ratio to the 800 ms budget, and with --baseline the same for plain PassportEye's read_mrz (from the
file, its own decoding included). Images must exist (../shared/data beside the project for the default).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import date
from pathlib import Path

import numpy as np

from verification.document.evaluation import load_image, read_manifest
from verification.document.mrz.reader import read_mrz

BUDGET_MS = 800.0
DEFAULT_MANIFEST = Path(__file__).resolve().parents[1] / "tests" / "data" / "documents_manifest.csv"


def _summary(times_ms: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(times_ms), 1),
        "p90_ms": round(float(np.percentile(times_ms, 90)), 1),
        "max_ms": round(max(times_ms), 1),
        "median_to_budget": round(statistics.median(times_ms) / BUDGET_MS, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", type=Path, default=DEFAULT_MANIFEST)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", action="store_true", help="also time plain PassportEye")
    args = parser.parse_args()
    rows = read_manifest(args.manifest)
    today = date.today()
    images = [load_image(row.path) for row in rows]
    read_mrz(images[0], today=today)  # loads the OCR engine once, as a long-running worker has
    per_image = []
    for image in images:
        runs = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            read_mrz(image, today=today)
            runs.append((time.perf_counter() - started) * 1000)
        per_image.append(statistics.median(runs))
    output: dict[str, object] = {"images": len(images), "repeat": args.repeat, "budget_ms": BUDGET_MS,
                                 **_summary(per_image)}
    if args.baseline:
        from passporteye import read_mrz as passporteye_read_mrz

        baseline = []
        for row in rows:
            started = time.perf_counter()
            passporteye_read_mrz(str(row.path))
            baseline.append((time.perf_counter() - started) * 1000)
        output["passporteye"] = _summary(baseline)
        output["speedup_vs_passporteye"] = round(statistics.median(baseline) / statistics.median(per_image), 2)
    print(json.dumps(output))


if __name__ == "__main__":
    main()
