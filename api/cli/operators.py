"""`idv operator add`: accounts of the review console (reviewer, auditor, admin)."""

from __future__ import annotations

import sys

import click

from api.cli.output import emit
from storage.review.credentials import MIN_PASSWORD_LENGTH, OperatorRole


@click.group("operator")
def operator() -> None:
    """Review-console operators."""


@operator.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in OperatorRole]), default=OperatorRole.REVIEWER.value,
              show_default=True)
@click.option("--password-stdin", is_flag=True,
              help="read the password from the first line of standard input instead of prompting")
@click.option("--json", "as_json", is_flag=True)
def add(username: str, role: str, password_stdin: bool, as_json: bool) -> None:
    """Create operator USERNAME; the password is prompted for (never an argument: it would stay in the
    shell history and the process list)."""
    from datetime import UTC, datetime

    from storage.runtime import build_runtime
    from storage.settings import get_settings
    from workers.services.operators import OperatorError, add_operator

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(f"Password (at least {MIN_PASSWORD_LENGTH} characters)", hide_input=True,
                                confirmation_prompt=True)
    runtime = build_runtime(get_settings())
    try:
        with runtime.database.session() as session:
            created = add_operator(session, username, password, OperatorRole(role), datetime.now(UTC))
            result = {"operator": created.username, "id": created.id, "role": created.role}
    except OperatorError as error:
        raise click.ClickException(str(error)) from error
    emit(result, as_json)
