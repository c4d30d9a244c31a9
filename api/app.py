"""The FastAPI application: versioned routes under /v1, JSON errors, OpenAPI at /openapi.json and /docs."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI

from api.errors import install_error_handlers
from api.routes import audit, mobile, relying_party, review, wellknown
from storage.runtime import Runtime, build_runtime
from storage.settings import Settings, get_settings
from workers.app import make_celery
from workers.services.relying_parties import register_relying_party


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    """The API process's entry point: its runtime (built here unless given) and its Celery app, both kept on
    the application's state; in eager mode the tasks it runs share its runtime."""
    runtime = runtime or build_runtime(settings or get_settings())
    with runtime.database.session() as session:
        for entry in runtime.settings.bootstrap_relying_parties:
            name, _, api_key = entry.partition(":")
            register_relying_party(session, name, datetime.now(UTC), api_key)
    app = FastAPI(title="Identity verification", version="1", description=__doc__)
    app.state.runtime = runtime
    app.state.celery = make_celery(runtime.settings, runtime)
    install_error_handlers(app)
    for module in (relying_party, mobile, wellknown, review, audit):
        app.include_router(module.router)
    return app
