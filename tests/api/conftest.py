from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from storage.runtime import Runtime
from storage.settings import Settings
from workers.celery_base import IdvCelery

RP_KEY = "key-test-relying-party-0123456789"
OTHER_RP_KEY = "key-other-relying-party-012345678"


@dataclass
class Enrollment:
    id: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


T = TypeVar("T")


def present(row: T | None) -> T:
    """A row the test expects to exist."""
    assert row is not None
    return row


def runtime_of(client: TestClient) -> Runtime:
    """The runtime of the app `client` calls."""
    return cast(Runtime, cast(FastAPI, client.app).state.runtime)


def celery_of(client: TestClient) -> IdvCelery:
    """The Celery app of the app `client` calls (eager: its tasks run in this process)."""
    return cast(IdvCelery, cast(FastAPI, client.app).state.celery)


def api_settings(tmp: Path, postgres_url: str, s3_endpoint: str, **overrides: object) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp, "database_url": postgres_url, "s3_endpoint": s3_endpoint, "s3_secure": False,
        "s3_access_key": "testing", "s3_secret_key": "testing", "s3_region": "us-east-1", "s3_bucket": "idv-api-tests",
        "policy": "automated", "bootstrap_relying_parties": [f"rp-test:{RP_KEY}", f"rp-other:{OTHER_RP_KEY}"],
    }
    return Settings(**{**values, **overrides})


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory, postgres_url: str, s3_endpoint: str) -> Settings:
    return api_settings(tmp_path_factory.mktemp("api"), postgres_url, s3_endpoint,
                        max_image_bytes=2_000_000, max_video_bytes=3_000_000)


@pytest.fixture(scope="session")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def rp_auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {RP_KEY}"}


@pytest.fixture
def enrollment(client: TestClient, rp_auth: dict[str, str]) -> Enrollment:
    response = client.post("/v1/enrollments", json={}, headers=rp_auth)
    assert response.status_code == 201, response.text
    body = response.json()
    return Enrollment(body["enrollment_id"], body["enrollment_token"])
