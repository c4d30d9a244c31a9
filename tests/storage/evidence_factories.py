"""Factories for the evidence tests: master keys, a real dossier signing key ring, a fresh database schema,
and whole enrollments made the way the pipeline and the review console make them."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text

from api.app import create_app
from storage.audit.log import issue_auditor_key
from storage.audit.models import AuditLogRow
from storage.enrollments.models import Base
from storage.evidence.crypto import LocalMasterKeys
from storage.evidence.models import DossierRecord
from storage.keys import KeyRing, KeyUse, StoredKey
from storage.review.credentials import OperatorRole
from storage.review.models import ReviewAssignment
from storage.review.repositories import Operators, ReviewAssignments
from storage.runtime import Runtime
from storage.settings import Settings
from tests import services
from tests.api.conftest import RP_KEY, api_settings
from tests.api.review_factories import make_operator
from verification.decision.review import ReviewReason, reason_fits
from workers.services.assertion import run_assertion
from workers.services.review import decide_case


def master_keys() -> LocalMasterKeys:
    return LocalMasterKeys({"m1": os.urandom(32)}, "m1")


def dossier_keys(directory: Path) -> tuple[StoredKey, dict[str, Any]]:
    """The active dossier signing key and the JWKS of dossier keys, from a fresh key ring."""
    ring = KeyRing.load(directory, max_token_lifetime=timedelta(minutes=15))
    return ring.active_key(KeyUse.DOSSIER), ring.jwks([KeyUse.DOSSIER])


@contextmanager
def fresh_schema(postgres_url: str) -> Iterator[Engine]:
    """An engine on a new PostgreSQL schema holding only the evidence tables, dropped afterwards."""
    schema = f"evidence_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(postgres_url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        Base.metadata.create_all(engine, tables=[AuditLogRow.__table__, DossierRecord.__table__])
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@dataclass
class World:
    """An app on a PostgreSQL database of its own, over the S3 server or an evidence directory."""

    http: TestClient
    runtime: Runtime

    def with_settings(self, **changes: Any) -> Runtime:
        """The same clients under changed settings (a shorter retention, say)."""
        return replace(self.runtime, settings=self.runtime.settings.model_copy(update=changes))


@contextmanager
def dossier_world(tmp: Path, deployment: str, s3_endpoint: str | None = None, **overrides: Any) -> Iterator[World]:
    """deployment "s3": PostgreSQL and the S3 server; "directory": PostgreSQL and an evidence directory;
    "embedded": SQLite and an evidence directory (what `idv demo` runs on)."""
    with ExitStack() as stack:
        common: dict[str, Any] = {"policy": "pvid-substantial", **overrides}
        if deployment == "s3":
            url = stack.enter_context(services.postgres_database())
            assert s3_endpoint is not None
            settings = api_settings(tmp, url, s3_endpoint, s3_bucket=f"dossier-{uuid.uuid4().hex[:12]}", **common)
        else:
            url = None if deployment == "embedded" else stack.enter_context(services.postgres_database())
            settings = Settings(data_dir=tmp, database_url=url, bootstrap_relying_parties=[f"rp-test:{RP_KEY}"],
                                **common)
        http = stack.enter_context(TestClient(create_app(settings)))
        runtime: Runtime = http.app.state.runtime  # type: ignore[attr-defined]
        stack.callback(runtime.database.engine.dispose)
        if deployment == "embedded":
            # review_assignments' partial index is declared with a plain-string sqlite_where, which SQLite's
            # DDL compiler rejects (storage/review_models.py, reported); the other tables are made as usual.
            Base.metadata.create_all(runtime.database.engine, tables=[
                t for t in Base.metadata.sorted_tables if t.name != "review_assignments"])
        yield World(http, runtime)


def review(runtime: Runtime, enrollment_id: str, *, approve: bool) -> None:
    """A reviewer's decision on a case in review, through the review step's own function, then the
    assertion step as the console enqueues it. The case is assigned directly: the queue draws at random."""
    username = make_operator(runtime, OperatorRole.REVIEWER)
    now = datetime.now(UTC)
    reason = next(r for r in ReviewReason if reason_fits(r, approve))
    with runtime.database.session() as session:
        operator = Operators(session).by_username(username)
        assert operator is not None
        ReviewAssignments(session).add(ReviewAssignment(
            enrollment_id=enrollment_id, operator_id=operator.id, assigned_at=now,
            expires_at=now + timedelta(minutes=20), closed_at=None, closed_because=None))
        session.flush()
        decide_case(session, operator, enrollment_id, approve, reason, "compared by hand", now)
    run_assertion(runtime, enrollment_id)


def make_auditor(runtime: Runtime) -> tuple[str, str]:
    """An operator of role auditor and an auditor API key issued to them: (username, key)."""
    username = make_operator(runtime, OperatorRole.AUDITOR)
    with runtime.database.session() as session:
        key = issue_auditor_key(session, username, now=datetime.now(UTC))
    return username, key
