"""Generated evaluation sets with manifests: liveness videos (bona fide and attacks) and document images.

Manifests are CSV files written with the csv module: a liveness challenge is its actions joined with ','
(so the field is quoted), MRZ lines are joined with '|'. Paths are relative to the manifest's folder.
Every item is drawn from its own seed, derived from the set's seed, so a set is reproducible whatever the
number of worker processes.
"""

from __future__ import annotations

import csv
import logging
import multiprocessing
import random
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from biometrics.challenge import Action, draw_actions
from synthetic.attacks import AttackType, render_attack
from synthetic.camera import CameraEffects
from synthetic.documents import render_document
from synthetic.identities import DocumentKind, random_person
from synthetic.mrz import applicable_defects, break_mrz, compose_mrz
from synthetic.portraits import load_portrait
from synthetic.selfie import render_selfie_video

logger = logging.getLogger(__name__)

BONA_FIDE = "bona_fide"


@dataclass(frozen=True)
class _VideoJob:
    relative_path: str
    label: str  # BONA_FIDE or an AttackType value
    challenge: tuple[Action, ...]
    seed: int
    fps: float
    size: tuple[int, int]


def generate_liveness_set(outdir: Path, bona_fide: int, attacks_per_type: int, rng_seed: int, *,
                          fps: float = 15, size: tuple[int, int] = (640, 480), workers: int = 2,
                          attacks: Sequence[AttackType] = tuple(AttackType)) -> Path:
    """Write `bona_fide` bona fide videos and `attacks_per_type` videos of each attack type under
    `outdir`, and `outdir`/manifest.csv (path, challenge, label). Returns the manifest's path."""
    seeds = random.Random(rng_seed)
    labels = [BONA_FIDE] * bona_fide + [str(a) for a in attacks for _ in range(attacks_per_type)]
    jobs = []
    for index, label in enumerate(labels):
        challenge = draw_actions(seeds)
        jobs.append(_VideoJob(f"{label}/{index:04d}.mp4", label, challenge, seeds.getrandbits(63), fps, size))
    _run(_render_video, jobs, outdir, workers)
    rows = [(job.relative_path, ",".join(job.challenge), job.label) for job in jobs]
    return _write_manifest(outdir, ("path", "challenge", "label"), rows)


def generate_document_set(outdir: Path, n: int, rng_seed: int, *, broken_fraction: float = 0.3,
                          photographed_fraction: float = 0.7,
                          kinds: Sequence[DocumentKind] = tuple(DocumentKind)) -> Path:
    """Write `n` document images under `outdir` and `outdir`/manifest.csv (path, mrz, kind, defect):
    `mrz` is the printed MRZ (lines joined with '|'), `defect` the deliberately broken check (empty when
    the MRZ is valid). Some images are clean renders, others photographed with mild or strong effects."""
    rng = np.random.default_rng(rng_seed)
    rows = []
    for index in range(n):
        kind = DocumentKind(str(rng.choice([k.value for k in kinds])))
        person = random_person(rng, kind)
        lines = compose_mrz(person)
        defect = ""
        if rng.random() < broken_fraction:
            choice = applicable_defects(kind)[int(rng.integers(len(applicable_defects(kind))))]
            lines = break_mrz(lines, choice)
            defect = choice
        camera = None
        if rng.random() < photographed_fraction:
            camera = CameraEffects.strong() if rng.random() < 0.3 else CameraEffects.mild()
        portrait = load_portrait(rng).image
        document = render_document(kind, person, portrait, rng=rng, mrz_lines=lines, camera=camera)
        relative = f"{index:04d}_{kind.value}.jpg"
        path = Path(outdir) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if not cv2.imwrite(str(path), document.image, [cv2.IMWRITE_JPEG_QUALITY, 92]):
            raise OSError(f"cannot write {path}")
        rows.append((relative, "|".join(lines), kind.value, defect))
    return _write_manifest(outdir, ("path", "mrz", "kind", "defect"), rows)


def _render_video(job: _VideoJob, outdir: Path) -> None:
    rng = np.random.default_rng(job.seed)
    portrait = load_portrait(rng)
    path = Path(outdir) / job.relative_path
    if job.label == BONA_FIDE:
        render_selfie_video(portrait.image, job.challenge, path, rng=rng, fps=job.fps, size=job.size)
        return
    attack = AttackType(job.label)
    other = load_portrait(rng, exclude_identity=portrait.identity).image if attack is AttackType.SECOND_PERSON \
        else portrait.image
    render_attack(attack, portrait.image, job.challenge, path, other=other, rng=rng, fps=job.fps, size=job.size)


def _run(task: Callable[[_VideoJob, Path], None], jobs: list[_VideoJob], outdir: Path, workers: int) -> None:
    if workers <= 1:
        for job in jobs:
            task(job, outdir)
    else:
        # "spawn": MediaPipe's graph threads do not survive a fork.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            list(pool.map(task, jobs, [outdir] * len(jobs), chunksize=4))  # re-raises a worker's error
    logger.info("rendered %d videos into %s", len(jobs), outdir)


def _write_manifest(outdir: Path, header: tuple[str, ...], rows: Iterable[tuple[str, ...]]) -> Path:
    manifest = Path(outdir) / "manifest.csv"
    manifest.parent.mkdir(parents=True, exist_ok=True)
    with manifest.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return manifest
