"""`idv generate ...`: write specimen-like evaluation sets (documents, selfie videos and attacks)."""

from __future__ import annotations

from pathlib import Path

import click

from api.cli.output import emit


@click.group("generate")
def generate() -> None:
    """Generate synthetic evaluation data with its manifest."""


@generate.command("documents")
@click.argument("outdir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--count", default=40, show_default=True, type=click.IntRange(1))
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--broken-fraction", default=0.3, show_default=True, type=click.FloatRange(0, 1),
              help="Share of documents with one deliberately wrong MRZ check.")
@click.option("--json", "as_json", is_flag=True)
def documents(outdir: Path, count: int, seed: int, broken_fraction: float, as_json: bool) -> None:
    """Document images (TD3, TD1, French 1988 card) and manifest.csv (path, mrz, kind, defect)."""
    from synthetic.datasets import generate_document_set

    manifest = generate_document_set(outdir, count, seed, broken_fraction=broken_fraction)
    emit({"manifest": str(manifest), "documents": count}, as_json)


@generate.command("liveness")
@click.argument("outdir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--bona-fide", default=10, show_default=True, type=click.IntRange(0))
@click.option("--attacks-per-type", default=4, show_default=True, type=click.IntRange(0))
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--json", "as_json", is_flag=True)
def liveness(outdir: Path, bona_fide: int, attacks_per_type: int, seed: int, as_json: bool) -> None:
    """Bona fide selfie videos answering random challenges, attacks of every type, manifest.csv
    (path, challenge, label)."""
    from synthetic.datasets import generate_liveness_set

    manifest = generate_liveness_set(outdir, bona_fide, attacks_per_type, seed)
    emit({"manifest": str(manifest), "bona_fide": bona_fide, "attacks_per_type": attacks_per_type}, as_json)
