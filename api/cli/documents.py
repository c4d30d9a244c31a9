"""`idv check-document IMAGE_OR_VIDEO...` and `idv evaluate documents MANIFEST` (registered by api.cli.evaluate)."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Any

import click
from numpy.typing import NDArray

from api.cli.output import emit
from verification.document.evaluation import (
    ManifestError,
    by_kind,
    evaluate_check,
    evaluate_passporteye,
    load_image,
    read_manifest,
    summarise,
)
from verification.document.field_scoring import summarise_fields

VIDEO_SUFFIXES = frozenset({".mp4", ".webm", ".mov", ".avi", ".mkv"})
STATUS_SEVERITY = ("pass", "inconclusive", "fail")
# Video frames are kept at this long side: MRZ glyphs of an ID-1 card filling the frame stay ~20 px high.
DOCUMENT_VIDEO_SIDE = 1280

_json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
_today_option = click.option("--today", type=click.DateTime(["%Y-%m-%d"]), default=None,
                             help="Reference date for expiry and two-digit years (default: today).")


@click.command("check-document")
@click.argument("inputs", metavar="IMAGE_OR_VIDEO...", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--tilt", type=click.Choice(["left", "right", "up", "down"]), default=None,
              help="For a video: the tilt the applicant was asked for (the edge sent away from the camera).")
@_today_option
@_json_option
def check_document_command(inputs: tuple[Path, ...], tilt: str | None, today: Any, as_json: bool) -> None:
    """Read and validate the MRZ of a document (front and back images, or one video of both sides)."""
    from verification.document.check import check_document
    from verification.document.policy import DocumentPolicy

    started = time.perf_counter()
    reference = today.date() if today is not None else date.today()
    images, video = _inputs(inputs, tilt)
    result = check_document(images, DocumentPolicy(), reference)
    reading = result.mrz
    parsed = reading.result if reading is not None else None
    status, reasons = str(result.status), list(result.reasons)
    if video is not None:  # a video passes only if the card also moved as instructed
        status = max(status, video["status"], key=STATUS_SEVERITY.index)
        reasons += video["reasons"]
    output: dict[str, Any] = {
        "status": status,
        "mrz_type": None if parsed is None or parsed.format is None else str(parsed.format),
        "lines": [] if reading is None else list(reading.lines),
        # Each identity field with its source and confirmation; the MRZ's own decoding under mrz_fields.
        "fields": result.fields.to_dict(),
        "mrz_fields": None if parsed is None or parsed.fields is None else parsed.fields.to_dict(),
        "checks": [] if parsed is None else [c.to_dict() for c in parsed.checks],
        "reasons": reasons,
        "elapsed_ms": round((time.perf_counter() - started) * 1000, 1),
        "document": result.to_dict(),
    }
    if video is not None:
        output["video"] = video
    emit(output, as_json)


def _inputs(paths: tuple[Path, ...], tilt: str | None) -> tuple[list[NDArray[Any]], dict[str, Any] | None]:
    """The images to check; a video is reduced to its best MRZ frames and best portrait frame."""
    videos = [p for p in paths if p.suffix.lower() in VIDEO_SUFFIXES]
    if not videos:
        return [load_image(p) for p in paths], None
    if len(paths) > 1:
        raise click.BadParameter("give either images or one video", param_hint="IMAGE_OR_VIDEO")
    from biometrics.video import VideoDecodeError, read_video
    from verification.document.video import TiltDirection, analyse_document_video

    try:
        clip = read_video(videos[0], tracking_side=DOCUMENT_VIDEO_SIDE)
    except VideoDecodeError as error:
        raise click.BadParameter(f"unusable video: {error}", param_hint="IMAGE_OR_VIDEO") from error
    analysis = analyse_document_video(clip.frames, clip.timestamps, None if tilt is None else TiltDirection(tilt))
    frames = [clip.frames[i] for i in analysis.frame_indices()]
    return frames, analysis.to_dict()



@click.command("documents")
@click.argument("manifest", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--baseline", is_flag=True, help="Also run plain PassportEye on the same images.")
@_today_option
@_json_option
def evaluate_documents_command(manifest: Path, baseline: bool, today: Any, as_json: bool) -> None:
    """The document check on a manifest (columns path,mrz[,fields][,kind]): read_valid, exact_lines,
    field_accuracy, false_valid, valid_wrong, wrong_confirmed, confirmed_field_rate, median_ms (per image,
    the whole check), and the same per kind when the manifest has kinds."""
    reference = today.date() if today is not None else date.today()
    try:
        rows = read_manifest(manifest)
    except ManifestError as error:
        raise click.BadParameter(str(error), param_hint="MANIFEST") from error
    per_document = evaluate_check(rows, reference)
    output: dict[str, Any] = _figures(per_document)
    if any(row.kind for row in rows):
        output["by_kind"] = {kind: _figures(documents) for kind, documents in by_kind(per_document).items()}
    output["per_document"] = per_document
    if baseline:
        baseline_documents = evaluate_passporteye(rows, reference)
        output["baseline"] = {"method": "PassportEye 2.2.2 read_mrz, default settings",
                              **summarise(baseline_documents), "per_document": baseline_documents}
    emit(output, as_json)


def _figures(per_document: list[dict[str, Any]]) -> dict[str, Any]:
    return {**summarise(per_document), **summarise_fields(per_document)}
