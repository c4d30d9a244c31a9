"""The `idv` command line: every registered command loads, and the demo runs end to end."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from api.cli.evaluate import EVALUATIONS
from api.cli.main import COMMANDS, cli


@pytest.mark.parametrize("target", sorted({*COMMANDS.values(), *EVALUATIONS.values()}))
def test_every_registered_command_exists(target: str) -> None:
    module_name, attribute = target.split(":")
    assert callable(getattr(importlib.import_module(module_name), attribute))


def test_help_lists_the_commands() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0, result.output
    for name in ("demo", "check-document", "match-faces", "check-liveness", "evaluate", "assertion"):
        assert name in result.output


def test_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["no-such-command"])
    assert result.exit_code == 2


def test_demo_enrolls_a_generated_person_and_prints_a_verifiable_assertion(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["demo", "--json", "--seed", "3", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    output = json.loads(result.output.strip().splitlines()[-1])
    assert {"enrollment_id", "decision", "reasons", "assertion", "jwks"} <= output.keys()
    assert output["decision"] == "approved", output
    assert output["claims"]["txn"] == output["enrollment_id"]  # verified against the printed JWKS
    assert output["fhir_patient"]["resourceType"] == "Patient"
