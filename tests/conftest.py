from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from minio import Minio

from storage.evidence.store import DirectoryStore, EvidenceStore, S3Store
from tests import services


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with services.postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    with services.s3_server() as endpoint:
        yield endpoint


@pytest.fixture
def minio_client(s3_endpoint: str) -> Minio:
    return Minio(s3_endpoint, access_key="testing", secret_key="testing", secure=False, region="us-east-1")


@pytest.fixture
def s3_store(minio_client: Minio) -> S3Store:
    return S3Store(minio_client, f"test-{uuid.uuid4().hex[:12]}", object_lock=True)


@pytest.fixture
def directory_store(tmp_path: Path) -> DirectoryStore:
    return DirectoryStore(tmp_path / "evidence")


@pytest.fixture(params=["s3", "directory"])
def evidence_store(request: pytest.FixtureRequest) -> EvidenceStore:
    """Both backends, so every store test runs against the S3 server and the directory."""
    return request.getfixturevalue(f"{request.param}_store")
