"""The `idv` console entry point. Subcommands load lazily: dlib and MediaPipe take seconds to import."""

from __future__ import annotations

import importlib
from typing import Any, cast

import click

# command name -> "module:attribute" of a click command or group
COMMANDS: dict[str, str] = {
    "demo": "api.cli.demo:demo",
    "generate": "api.cli.generate:generate",
    "check-document": "api.cli.documents:check_document_command",
    "match-faces": "api.cli.faces:match_faces_command",
    "check-liveness": "api.cli.liveness:check_liveness_command",
    "evaluate": "api.cli.evaluate:evaluate",
    "serve": "api.cli.service:serve",
    "worker": "api.cli.service:worker",
    "relying-party": "api.cli.service:relying_party",
    "assertion": "api.cli.assertion:assertion",
    "keys": "api.cli.assertion:keys",
    "audit": "api.cli.dossier:audit",
    "retention": "api.cli.dossier:retention",
    "operator": "api.cli.operators:operator",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported only when invoked."""

    def __init__(self, *args: Any, commands: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.targets = COMMANDS if commands is None else commands

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.targets)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = self.targets.get(name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        return cast(click.Command, getattr(importlib.import_module(module_name), attribute))


@click.group(cls=LazyGroup)
def cli() -> None:
    """Remote identity verification (PVID-style, eIDAS substantial)."""
