"""The one settings object (environment prefix IDV_), read once at start.

Embedded defaults need no server: a SQLite file, an evidence directory and Celery in eager mode,
all under `data_dir`. Production points the same code at PostgreSQL, Redis/RabbitMQ and MinIO/S3.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IDV_", env_nested_delimiter="__")

    data_dir: Path = Path("var")
    issuer: str = "https://idv.example.test"

    # Database: SQLAlchemy URL; None = SQLite file in data_dir.
    database_url: str | None = None

    # Celery: broker None = eager (tasks run in the calling process, no broker needed).
    broker_url: str | None = None
    result_backend: str | None = None

    # Evidence store: an S3 endpoint (MinIO in production) or, when s3_endpoint is None, a directory.
    s3_endpoint: str | None = None
    s3_bucket: str = "idv-evidence"
    s3_access_key: SecretStr | None = None
    s3_secret_key: SecretStr | None = None
    s3_secure: bool = True
    s3_region: str | None = None
    s3_object_lock: bool = True
    evidence_dir: Path | None = None

    # Signing keys (assertions, dossier manifests): a directory of PEM keys; created on first use.
    keys_dir: Path | None = None

    # Evidence dossiers (storage.evidence.dossier). Envelope-encryption master keys, a JSON object
    # {"key id": "base64 of 32 random bytes"}, and the id of the one new data keys are wrapped with (may be
    # left out when there is one key). Retired keys stay listed until `idv retention rewrap` has moved every
    # dossier off them. None given: one key generated in keys_dir on first use, which suits the embedded
    # demo only (production keeps master keys in a secret manager, or a KMS behind MasterKeyProvider).
    evidence_master_keys: dict[str, SecretStr] = Field(default_factory=dict)
    evidence_master_key_id: str | None = None
    # Years a sealed dossier is kept (PVID providers quote 6-7), by default and per relying-party name; the
    # erasure job's period (Celery beat).
    retention_years: int = Field(default=7, ge=0)
    retention_years_by_relying_party: dict[str, int] = Field(default_factory=dict)
    erasure_interval_seconds: float = Field(default=3600.0, gt=0)

    # Decision policy: a shipped policy name or a path to a policy file.
    policy: str = "pvid-substantial"

    # Limits and lifetimes.
    max_image_bytes: int = Field(default=15 * 1024 * 1024, gt=0)
    max_video_bytes: int = Field(default=60 * 1024 * 1024, gt=0)
    max_image_pixels: int = Field(default=40_000_000, gt=0)
    max_video_seconds: float = Field(default=30.0, gt=0)
    enrollment_ttl_seconds: int = Field(default=30 * 60, gt=0)
    challenge_ttl_seconds: int = Field(default=120, gt=0)
    assertion_ttl_seconds: int = Field(default=15 * 60, gt=0)

    # Relying parties allowed to call the API, "name:api-key" pairs (a bootstrap for the demo and tests;
    # production registers relying parties with `idv relying-party add`).
    bootstrap_relying_parties: list[str] = Field(default_factory=list)

    # Operator review console (/review). The key signing session cookies and CSRF tokens must be shared by
    # every API process: set IDV_SESSION_SECRET in production. The default is drawn anew by each process,
    # which suits only the single-process embedded demo (a restart logs every operator out).
    session_secret: SecretStr = Field(default_factory=lambda: SecretStr(secrets.token_urlsafe(32)))
    review_session_ttl_seconds: int = Field(default=8 * 3600, gt=0)
    review_assignment_ttl_seconds: int = Field(default=20 * 60, gt=0)  # an undecided case returns to the queue

    # Webhooks to relying parties: attempts spaced by exponential backoff (base, 2·base, …, capped).
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    webhook_max_attempts: int = Field(default=8, gt=0)
    webhook_retry_base_seconds: float = Field(default=15.0, ge=0)
    webhook_retry_max_seconds: float = Field(default=3600.0, ge=0)

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'idv.sqlite3').resolve()}"

    @property
    def resolved_evidence_dir(self) -> Path:
        return self.evidence_dir or self.data_dir / "evidence"

    @property
    def resolved_keys_dir(self) -> Path:
        return self.keys_dir or self.data_dir / "keys"

    @property
    def eager(self) -> bool:
        return self.broker_url is None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
