"""End to end on real services: the API (in process, over ASGI) + a real Celery worker process with Redis as
broker and result backend, PostgreSQL, and the S3 server — or the embedded defaults."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from storage.settings import Settings
from tests import services
from tests.api.conftest import api_settings

ROOT = Path(__file__).resolve().parents[2]


def worker_environment(settings: Settings) -> dict[str, str]:
    env = {**os.environ, "IDV_DATA_DIR": str(settings.data_dir), "IDV_POLICY": settings.policy,
           "IDV_KEYS_DIR": str(settings.resolved_keys_dir)}
    for name, value in (("DATABASE_URL", settings.database_url), ("BROKER_URL", settings.broker_url),
                        ("RESULT_BACKEND", settings.result_backend), ("S3_ENDPOINT", settings.s3_endpoint),
                        ("S3_BUCKET", settings.s3_bucket), ("S3_REGION", settings.s3_region)):
        if value is not None:
            env[f"IDV_{name}"] = value
    if settings.s3_endpoint:
        env.update(IDV_S3_SECURE="false", IDV_S3_ACCESS_KEY="testing", IDV_S3_SECRET_KEY="testing")
    return env


@pytest.fixture(scope="module")
def distributed_settings(tmp_path_factory: pytest.TempPathFactory, postgres_url: str, s3_endpoint: str) -> Settings:
    redis_url = services.redis_db_url()
    return api_settings(tmp_path_factory.mktemp("e2e"), postgres_url, s3_endpoint, broker_url=redis_url,
                        result_backend=redis_url, s3_bucket="idv-e2e")


@pytest.fixture(scope="module")
def celery_worker(distributed_settings: Settings) -> Iterator[subprocess.Popen[bytes]]:
    """A real worker process serving both queues, as deployed (prefork, models loaded per child)."""
    log = distributed_settings.data_dir / "worker.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "workers.app", "worker", "--queues=cpu,light", "--concurrency=2",
             "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=worker_environment(distributed_settings), stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while b"ready." not in log.read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Celery worker did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def distributed_client(distributed_settings: Settings, celery_worker: subprocess.Popen[bytes]) -> Iterator[TestClient]:
    with TestClient(create_app(distributed_settings)) as client:
        yield client


@pytest.fixture(scope="module")
def embedded_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """No server at all: SQLite, an evidence directory, Celery eager (what `make demo` runs on)."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("embedded"), policy="automated",
                        bootstrap_relying_parties=["rp-test:key-test-relying-party-0123456789"])
    with TestClient(create_app(settings)) as client:
        yield client
