"""Builds the process's I/O clients from the settings, once."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta

from minio import Minio

from storage.db import Database, migrate
from storage.evidence.store import DirectoryStore, EvidenceStore, S3Store
from storage.keys import KeyRing
from storage.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    database: Database
    evidence: EvidenceStore
    # The draws a client must not predict (document tilt, liveness challenge); tests seed their own.
    rng: random.Random = field(default_factory=random.SystemRandom)

    def keys(self) -> KeyRing:
        """Read from the key directory at each use: a rotation by another process (`idv keys rotate`) is
        seen at once, so no process signs with a retired key or publishes a stale JWKS."""
        return KeyRing.load(self.settings.resolved_keys_dir,
                            max_token_lifetime=timedelta(seconds=self.settings.assertion_ttl_seconds))


def build_evidence_store(settings: Settings) -> EvidenceStore:
    if settings.s3_endpoint is None:
        return DirectoryStore(settings.resolved_evidence_dir)
    client = Minio(
        settings.s3_endpoint,
        access_key=settings.s3_access_key.get_secret_value() if settings.s3_access_key else None,
        secret_key=settings.s3_secret_key.get_secret_value() if settings.s3_secret_key else None,
        secure=settings.s3_secure,
        region=settings.s3_region,
    )
    return S3Store(client, settings.s3_bucket, object_lock=settings.s3_object_lock)


def build_runtime(settings: Settings, *, run_migrations: bool = True) -> Runtime:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.resolved_database_url
    if run_migrations:
        migrate(url)
    runtime = Runtime(settings, Database(url), build_evidence_store(settings))
    runtime.keys()  # creates the first keys now, before any worker process races to
    return runtime
