"""`idv check-liveness VIDEO --challenge ...` and `idv evaluate liveness MANIFEST` (registered by
api.cli.evaluate). MediaPipe and dlib load on first use, not when this module is imported."""

from __future__ import annotations

import csv
import logging
import re
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

import click

from api.cli.output import emit
from biometrics.challenge import Action
from biometrics.liveness import LivenessThresholds, check_liveness_video
from biometrics.video import VideoDecodeError

logger = logging.getLogger(__name__)

BONA_FIDE = "bona_fide"

_json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
_max_fps_option = click.option("--max-fps", type=float, default=15.0, show_default=True,
                               help="Frames per second kept for tracking.")
_max_face_distance_option = click.option(
    "--max-face-distance", type=float, default=None,
    help="Largest encoding distance between moments of the video still taken as the same person "
         "(default: LivenessThresholds' value).")


def parse_challenge(text: str) -> tuple[Action, ...]:
    """'turn_left,blink', 'turn_left+blink' or 'turn_left blink' -> actions; ValueError on an unknown one."""
    return tuple(Action(part) for part in re.split(r"[\s,+;|]+", text.strip().lower()) if part)


def _challenge_argument(ctx: click.Context, param: click.Parameter, value: str) -> tuple[Action, ...]:
    try:
        return parse_challenge(value)
    except ValueError as error:
        raise click.BadParameter(f"{error}; actions: {', '.join(a.value for a in Action)}") from error


@click.command("check-liveness")
@click.argument("video", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--challenge", required=True, callback=_challenge_argument,
              help="The actions asked, in order, e.g. turn_left,blink,turn_right.")
@_max_fps_option
@_max_face_distance_option
@_json_option
def check_liveness_command(video: Path, challenge: tuple[Action, ...], max_fps: float,
                           max_face_distance: float | None, as_json: bool) -> None:
    """Check that VIDEO shows one live person performing the challenge's actions in order."""
    try:
        result = check_liveness_video(video, challenge, thresholds=_thresholds(max_face_distance), max_fps=max_fps)
    except VideoDecodeError as error:
        raise click.ClickException(f"video not usable: {error.reason.value} ({error.detail})") from error
    emit(result.to_dict(), as_json)


@click.command("liveness")
@click.argument("manifest", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_max_fps_option
@_max_face_distance_option
@_json_option
def evaluate_liveness_command(manifest: Path, max_fps: float, max_face_distance: float | None,
                              as_json: bool) -> None:
    """Every video of a manifest (columns path,challenge,label; label bona_fide or an attack type;
    paths relative to the manifest): BPCER and APCER per attack type (ISO/IEC 30107-3), where a video is
    accepted when its liveness status is pass."""
    thresholds = _thresholds(max_face_distance)
    per_video: list[dict[str, Any]] = []
    for path, challenge, label in read_manifest(manifest):
        row: dict[str, Any] = {"path": str(path.relative_to(manifest.parent)), "label": label,
                               "challenge": [a.value for a in challenge]}
        try:
            result = check_liveness_video(path, challenge, thresholds=thresholds, max_fps=max_fps)
        except VideoDecodeError as error:
            row.update(status="error", accepted=False, reasons=[f"video_{error.reason.value}"], pad={})
        else:
            outcome = result.to_dict()
            row.update(status=outcome["status"], accepted=outcome["status"] == "pass",
                       reasons=outcome["reasons"], pad=outcome["pad"], actions=outcome["actions"])
        logger.info("%s %s -> %s", row["path"], label, row["status"])
        per_video.append(row)
    emit(summarise(per_video), as_json)


def summarise(per_video: list[dict[str, Any]]) -> dict[str, Any]:
    """BPCER = bona fide videos not accepted / bona fide videos; APCER[type] = attacks of that type
    accepted / attacks of that type. Also the spread of each PAD score per label, to see the margins."""
    by_label: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in per_video:
        by_label[row["label"]].append(row)
    bona_fide = by_label.get(BONA_FIDE, [])
    return {
        "videos": len(per_video),
        "counts": {label: len(rows) for label, rows in sorted(by_label.items())},
        "bpcer": _rate([not r["accepted"] for r in bona_fide]),
        "apcer": {label: _rate([r["accepted"] for r in rows])
                  for label, rows in sorted(by_label.items()) if label != BONA_FIDE},
        "pad_scores": {label: _spread(rows) for label, rows in sorted(by_label.items())},
        "reasons": {label: _reason_counts(rows) for label, rows in sorted(by_label.items())},
        "per_video": per_video,
    }


def read_manifest(manifest: Path) -> list[tuple[Path, tuple[Action, ...], str]]:
    with manifest.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or not {"path", "challenge", "label"} <= set(reader.fieldnames):
            raise click.BadParameter("the manifest needs 'path', 'challenge' and 'label' columns",
                                     param_hint="MANIFEST")
        rows = list(reader)
    entries = []
    for number, row in enumerate(rows, start=2):
        try:
            challenge = parse_challenge(row["challenge"])
        except ValueError as error:
            raise click.BadParameter(f"line {number}: {error}", param_hint="MANIFEST") from error
        entries.append((manifest.parent / row["path"], challenge, row["label"].strip()))
    return entries


def _thresholds(max_face_distance: float | None) -> LivenessThresholds:
    if max_face_distance is None:
        return LivenessThresholds()
    return LivenessThresholds(max_face_distance=max_face_distance)


def _rate(flags: list[bool]) -> float | None:
    return round(sum(flags) / len(flags), 4) if flags else None


def _spread(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    scores: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        for name, score in row["pad"].items():
            if score is not None:
                scores[name].append(score)
    return {name: {"min": min(values), "median": round(statistics.median(values), 4), "max": max(values),
                   "measured": len(values)}
            for name, values in sorted(scores.items())}


def _reason_counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        for reason in row["reasons"]:
            counts[reason] += 1
    return dict(sorted(counts.items()))
