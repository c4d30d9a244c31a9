"""`idv match-faces A B` and `idv evaluate faces MANIFEST` (registered by api.cli.evaluate).

The decision threshold is the policy's `face_match.max_distance` (IDV_POLICY, or --policy), so an
evaluation measures exactly what the workers apply; --threshold overrides it for experiments.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps

from api.cli.output import emit
from biometrics.face_quality import FaceQualityPolicy
from verification.decision.policy import load_policy

logger = logging.getLogger(__name__)

DEFAULT_TARGET_FMR = 1e-3
BASELINE_TOLERANCE = 0.6  # face_recognition's default tolerance, the baseline's threshold

_policy_option = click.option(
    "--policy", "policy_name", envvar="IDV_POLICY", default="pvid-substantial", show_default=True,
    help="Decision policy (name or YAML path) whose face_match.max_distance is the threshold.")
_threshold_option = click.option(
    "--threshold", type=float, default=None,
    help="Largest dlib distance accepted as a match, instead of the policy's.")
_min_inter_eye_option = click.option(
    "--min-inter-eye-px", type=float, default=FaceQualityPolicy.min_inter_eye_px, show_default=True,
    help="Quality gate: faces with eyes closer than this (pixels) are refused as too small.")
_json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")


def load_image(path: Path) -> NDArray[Any]:
    """Pixels as stored, turned upright per EXIF; grey images stay 2-D (the face code handles them)."""
    with Image.open(path) as image:
        upright = ImageOps.exif_transpose(image)
        return np.array(upright if upright.mode in ("L", "RGB") else upright.convert("RGB"))


def resolve_threshold(policy_name: str, threshold: float | None) -> float:
    if threshold is not None:
        return threshold
    try:
        return load_policy(policy_name).face_max_distance.threshold
    except (OSError, KeyError, ValueError) as error:
        raise click.BadParameter(f"cannot read policy {policy_name!r}: {error}", param_hint="--policy") from error


@click.command("match-faces")
@click.argument("image_a", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("image_b", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_policy_option
@_threshold_option
@_min_inter_eye_option
@_json_option
def match_faces_command(image_a: Path, image_b: Path, policy_name: str, threshold: float | None,
                        min_inter_eye_px: float, as_json: bool) -> None:
    """Compare the main face of IMAGE_A with the main face of IMAGE_B."""
    from biometrics.face_matching import match_images

    result = match_images(load_image(image_a), load_image(image_b), resolve_threshold(policy_name, threshold),
                          FaceQualityPolicy(min_inter_eye_px=min_inter_eye_px))
    emit(result.to_dict(), as_json)


@click.command("faces")
@click.argument("manifest", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_policy_option
@_threshold_option
@_min_inter_eye_option
@click.option("--target-fmr", type=float, default=DEFAULT_TARGET_FMR, show_default=True,
              help="FMR the reported calibrated threshold aims at.")
@click.option("--baseline", is_flag=True, help="Also run plain face_recognition at tolerance 0.6.")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), help="Write an HTML report here.")
@_json_option
def evaluate_faces_command(manifest: Path, policy_name: str, threshold: float | None, min_inter_eye_px: float,
                           target_fmr: float, baseline: bool, report: Path | None, as_json: bool) -> None:
    """All pairs of a manifest (columns path,identity; paths relative to it) at the policy threshold:
    FMR, FNMR (pairs with a refused image count as non-matches) and FTA, plus the threshold these
    impostor pairs would calibrate for --target-fmr."""
    from biometrics.calibration import calibrate_threshold
    from biometrics.face_evaluation import baseline_encode_images, encode_images, evaluate

    decision_threshold = resolve_threshold(policy_name, threshold)
    paths, identities = read_manifest(manifest)
    encoded = encode_images(_images(paths), FaceQualityPolicy(min_inter_eye_px=min_inter_eye_px))
    evaluation = evaluate(encoded, identities, decision_threshold)
    output: dict[str, Any] = evaluation.to_dict()
    calibration = None
    if len(evaluation.pairs.impostor) >= 2:
        calibration = calibrate_threshold(evaluation.pairs.impostor, target_fmr)
        output["calibration"] = calibration.to_dict()
    baseline_evaluation = None
    if baseline:
        baseline_evaluation = evaluate(baseline_encode_images(_images(paths)), identities, BASELINE_TOLERANCE)
        output["baseline"] = {"method": "face_recognition, HOG upsample 1, first face, tolerance 0.6",
                              **baseline_evaluation.to_dict()}
    if report is not None:
        from api.cli.face_report import render_face_report

        names = ["/".join(path.parts[-2:]) for path in paths]  # folder/file: ORL's files are all 1..10.pgm
        report.write_text(render_face_report(manifest.name, evaluation, encoded, names, calibration,
                                             baseline_evaluation), encoding="utf-8")
        output["report"] = str(report)
    emit(output, as_json)


def read_manifest(manifest: Path) -> tuple[list[Path], list[str]]:
    """Image paths (relative ones resolved against the manifest's folder) and identities."""
    with manifest.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or not {"path", "identity"} <= set(reader.fieldnames):
            raise click.BadParameter("the manifest needs 'path' and 'identity' columns", param_hint="MANIFEST")
        rows = list(reader)
    return [manifest.parent / row["path"] for row in rows], [row["identity"] for row in rows]


def _images(paths: list[Path]) -> Iterator[NDArray[Any]]:
    for path in paths:
        logger.debug("loading %s", path)
        yield load_image(path)
