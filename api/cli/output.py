"""Printing results: one JSON object on stdout with --json, a readable summary otherwise."""

from __future__ import annotations

import json
from typing import Any

import click


def emit(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, default=str))
        return
    for key, value in result.items():
        click.echo(f"{key}: {value}")
