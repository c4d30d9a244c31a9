"""`idv evaluate ...`: accuracy evaluations on a manifest of real or generated data."""

from __future__ import annotations

import click

from api.cli.main import LazyGroup

EVALUATIONS: dict[str, str] = {
    "documents": "api.cli.documents:evaluate_documents_command",
    "faces": "api.cli.faces:evaluate_faces_command",
    "liveness": "api.cli.liveness:evaluate_liveness_command",
}


@click.group("evaluate", cls=LazyGroup, commands=EVALUATIONS)
def evaluate() -> None:
    """Measure accuracy (MRZ reading, face matching, liveness) on a manifest."""
