"""The face evaluation as one self-contained HTML page: DET curve, distance histograms, worst pairs."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from jinja2 import Environment
from numpy.typing import NDArray

from biometrics.calibration import Calibration, det_curve
from biometrics.face_evaluation import EncodedImage, FaceEvaluation

_TEMPLATE = Path(__file__).with_name("face_report.html")
_WORST_PAIRS = 6


@dataclass(frozen=True)
class PairView:
    distance: float
    left_name: str
    right_name: str
    left_thumbnail: str | None  # data: URI of the aligned face
    right_thumbnail: str | None


def render_face_report(title: str, evaluation: FaceEvaluation, encoded: list[EncodedImage], names: list[str],
                       calibration: Calibration | None, baseline: FaceEvaluation | None) -> str:
    """`names[i]` labels image i (same order as `encoded`)."""
    pairs = evaluation.pairs
    impostor_order = np.argsort(pairs.impostor)[:_WORST_PAIRS]
    genuine_order = np.argsort(pairs.genuine)[::-1][:_WORST_PAIRS]
    context: dict[str, Any] = {
        "title": title,
        "ours": evaluation.to_dict(),
        "baseline": baseline.to_dict() if baseline else None,
        "calibration": calibration.to_dict() if calibration else None,
        "det_png": _det_png(evaluation, baseline),
        "histogram_png": _histogram_png(evaluation),
        "worst_impostors": [_pair_view(pairs.impostor[k], pairs.impostor_index[k], encoded, names)
                            for k in impostor_order],
        "worst_genuines": [_pair_view(pairs.genuine[k], pairs.genuine_index[k], encoded, names) for k in genuine_order],
        "refused": [(name, ", ".join(image.reasons)) for name, image in zip(names, encoded, strict=True)
                    if image.encoding is None],
    }
    return Environment(autoescape=True).from_string(_TEMPLATE.read_text(encoding="utf-8")).render(**context)


def _pair_view(distance: float, index: NDArray[Any], encoded: list[EncodedImage], names: list[str]) -> PairView:
    left, right = int(index[0]), int(index[1])
    return PairView(float(distance), names[left], names[right],
                    _thumbnail(encoded[left].chip), _thumbnail(encoded[right].chip))


def _thumbnail(chip: NDArray[Any] | None) -> str | None:
    if chip is None:
        return None
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(chip).resize((75, 75)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _figure_png(figure: Any) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _det_png(evaluation: FaceEvaluation, baseline: FaceEvaluation | None) -> str | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(5.5, 4.5))
    plotted = False
    for label, result in (("this pipeline", evaluation), ("face_recognition baseline", baseline)):
        if result is None:
            continue
        points = det_curve(result.pairs.genuine, result.pairs.impostor)
        if not points:
            continue
        # Log axes cannot show 0: rates of 0 sit at half a pair.
        floor_fmr = 0.5 / len(result.pairs.impostor)
        floor_fnmr = 0.5 / len(result.pairs.genuine)
        (line,) = axes.step([max(p.fmr, floor_fmr) for p in points], [max(p.fnmr, floor_fnmr) for p in points],
                            where="post", label=label)
        rates = result.rates
        if rates.fmr is not None and rates.fnmr is not None:
            axes.plot(max(rates.fmr, floor_fmr), max(rates.fnmr, floor_fnmr), "o", color=line.get_color())
        plotted = True
    if not plotted:
        plt.close(figure)
        return None
    axes.set(xscale="log", yscale="log", xlabel="FMR", ylabel="FNMR", title="DET (dots: operating thresholds)")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    return _figure_png(figure)


def _histogram_png(evaluation: FaceEvaluation) -> str | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pairs = evaluation.pairs
    if len(pairs.genuine) == 0 and len(pairs.impostor) == 0:
        return None
    figure, axes = plt.subplots(figsize=(6, 3.5))
    bins = np.linspace(0.0, 1.3, 66)
    axes.hist(pairs.impostor, bins=bins.tolist(), density=True, alpha=0.6, label=f"impostor ({len(pairs.impostor)})")
    axes.hist(pairs.genuine, bins=bins.tolist(), density=True, alpha=0.6, label=f"genuine ({len(pairs.genuine)})")
    axes.axvline(evaluation.rates.threshold, color="black", linestyle="--", label="threshold")
    axes.set(xlabel="dlib distance", ylabel="density")
    axes.legend()
    return _figure_png(figure)
