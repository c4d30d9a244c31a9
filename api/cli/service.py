"""Running the service: the HTTP API, a Celery worker, relying-party registration."""

from __future__ import annotations

import click

from api.cli.output import emit


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Serve the HTTP API (settings from IDV_* environment variables)."""
    import uvicorn

    from api.app import create_app

    uvicorn.run(create_app(), host=host, port=port, log_level="info")


@click.command("worker")
@click.option("--queues", default="cpu,light", show_default=True, help="cpu: checks; light: decision, signing")
@click.option("--concurrency", default=2, show_default=True, type=int)
@click.option("--beat", is_flag=True, help="Also run the periodic jobs (dossier erasure); on one worker only.")
def worker(queues: str, concurrency: int, beat: bool) -> None:
    """Run a Celery worker (needs IDV_BROKER_URL)."""
    from workers.app import make_worker_app

    options = ["worker", "--loglevel=INFO", f"--queues={queues}", f"--concurrency={concurrency}"]
    make_worker_app().worker_main(options + (["--beat"] if beat else []))


@click.command("relying-party")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
def relying_party(name: str, as_json: bool) -> None:
    """Register relying party NAME (or give it a new API key); prints the key once."""
    from datetime import UTC, datetime

    from storage.runtime import build_runtime
    from storage.settings import get_settings
    from workers.services.relying_parties import register_relying_party

    runtime = build_runtime(get_settings())
    with runtime.database.session() as session:
        party, api_key = register_relying_party(session, name, datetime.now(UTC))
        result = {"relying_party": party.name, "id": party.id, "api_key": api_key,
                  "webhook_secret": party.webhook_secret}
    emit(result, as_json)
