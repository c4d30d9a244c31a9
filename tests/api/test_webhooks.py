"""Webhooks to a real local HTTP receiver: signed, retried with backoff through Celery, never posted twice.

The reviewer's decision is what emits the events here (the decision step's own events are the pipeline's
to emit, with the same `emit_status_event`). Eager Celery retries at once; the last test runs a real worker
process on Redis, where the retries wait out their countdown.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from storage.enrollments.repositories import Assertions, Enrollments, RelyingParties
from storage.runtime import Runtime
from storage.settings import Settings
from storage.webhooks.models import DeliveryStatus, WebhookDelivery
from storage.webhooks.repositories import WebhookDeliveries
from tests import services
from tests.api.conftest import celery_of, present, runtime_of
from tests.api.review_factories import (
    PASSWORD,
    make_case,
    make_operator,
    review_settings,
)
from tests.e2e.conftest import worker_environment
from verification.relying_party.webhooks import EVENT_ID_HEADER, verify_webhook
from workers.services.webhooks import emit_status_event
from workers.webhooks import DELIVER, NOTIFY

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Received:
    at: float  # time.monotonic()
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A relying party's endpoint: answers with the scripted statuses in turn, then 200."""

    script: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/idv"

    def wait_for(self, count: int, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append(Received(time.monotonic(), dict(self.headers.items()), body))
            self.send_response(state.script.pop(0) if state.script else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass

    state.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=state.server.serve_forever, daemon=True)
    thread.start()
    yield state
    state.server.shutdown()
    state.server.server_close()


@pytest.fixture(scope="module")
def app_client(tmp_path_factory: pytest.TempPathFactory, s3_endpoint: str) -> Iterator[TestClient]:
    with review_settings(tmp_path_factory.mktemp("webhooks"), s3_endpoint, webhook_max_attempts=4) as settings:
        app = create_app(settings)
        with TestClient(app, follow_redirects=False) as client:
            yield client
        app.state.runtime.database.engine.dispose()


def review(client: TestClient, runtime: Runtime, enrollment_id: str, verb: str, reason: str) -> None:
    """A reviewer takes the case and decides it through the console (the decision's webhook follows)."""
    client.cookies.clear()
    client.post("/review/login", data={"username": make_operator(runtime), "password": PASSWORD})
    csrf = client.cookies.get("idv_review_csrf")
    taken = client.post("/review/next", data={"csrf_token": csrf})
    assert taken.headers["location"] == f"/review/cases/{enrollment_id}", taken.text
    decided = client.post(f"/review/cases/{enrollment_id}/decision",
                          data={"csrf_token": csrf, "decision": verb, "reason": reason, "comment": "seen"})
    assert decided.status_code == 303, decided.text


def webhook_secret(runtime: Runtime) -> str:
    with runtime.database.session() as session:
        return present(RelyingParties(session).by_name("rp-test")).webhook_secret


def the_delivery(runtime: Runtime, enrollment_id: str) -> WebhookDelivery:
    with runtime.database.session() as session:
        (delivery,) = [d for d in WebhookDeliveries(session).of_enrollment(enrollment_id)
                       if d.event_type != "enrollment.review"]  # the decision's event, not the review's
        return delivery


def test_delivered_signed_after_two_failures_and_never_twice(app_client: TestClient, receiver: Receiver) -> None:
    runtime = runtime_of(app_client)
    enrollment_id = make_case(app_client, runtime, callback_url=receiver.url)
    receiver.script = [503, 500]
    receiver.received.clear()  # the review event the decision step sent
    review(app_client, runtime, enrollment_id, "approve", "identity_confirmed")

    assert len(receiver.received) == 3
    assert len({r.body for r in receiver.received}) == 1  # the same event each time, re-signed
    secret = webhook_secret(runtime)
    payloads = [verify_webhook(secret, r.headers, r.body, datetime.now(UTC)) for r in receiver.received]
    payload = payloads[-1]
    assert payload["type"] == "enrollment.approved" and payload["enrollment_id"] == enrollment_id
    assert payload["status"] == "approved" and payload["final"] is True
    assert receiver.received[-1].headers[EVENT_ID_HEADER] == payload["event_id"]
    delivery = the_delivery(runtime, enrollment_id)
    assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.DELIVERED, 3, None)
    with runtime.database.session() as session:
        assert Assertions(session).of_enrollment(enrollment_id) is not None  # signed before the relying party hears

    tasks = celery_of(app_client).tasks
    tasks[DELIVER].delay(delivery.id)  # a duplicate task message
    tasks[NOTIFY].delay(enrollment_id)  # the notifying step, run again
    with runtime.database.session() as session:  # the step that emitted it, run again
        enrollment = present(Enrollments(session).get(enrollment_id))
        assert emit_status_event(session, enrollment) == delivery.id
    assert len(receiver.received) == 3 and the_delivery(runtime, enrollment_id).attempts == 3


def test_a_refusal_is_not_retried(app_client: TestClient, receiver: Receiver) -> None:
    runtime = runtime_of(app_client)
    enrollment_id = make_case(app_client, runtime, callback_url=receiver.url)
    receiver.script = [400]
    receiver.received.clear()  # the review event the decision step sent
    review(app_client, runtime, enrollment_id, "reject", "document_suspect")
    assert len(receiver.received) == 1
    assert verify_webhook(webhook_secret(runtime), receiver.received[0].headers, receiver.received[0].body,
                          datetime.now(UTC))["type"] == "enrollment.rejected"
    delivery = the_delivery(runtime, enrollment_id)
    assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.FAILED, 1, "HTTP 400")


def test_transient_failures_are_retried_up_to_the_limit(app_client: TestClient, receiver: Receiver) -> None:
    runtime = runtime_of(app_client)
    enrollment_id = make_case(app_client, runtime, callback_url=receiver.url)
    receiver.script = [500] * 10
    receiver.received.clear()  # the review event the decision step sent
    review(app_client, runtime, enrollment_id, "reject", "face_mismatch")
    limit = runtime.settings.webhook_max_attempts
    assert len(receiver.received) == limit
    delivery = the_delivery(runtime, enrollment_id)
    assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.FAILED, limit, "HTTP 500")


def test_an_unreachable_receiver_is_retried(app_client: TestClient) -> None:
    runtime = runtime_of(app_client)
    enrollment_id = make_case(app_client, runtime, callback_url=f"http://127.0.0.1:{services.free_port()}/hook")
    review(app_client, runtime, enrollment_id, "approve", "identity_confirmed")
    delivery = the_delivery(runtime, enrollment_id)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, runtime.settings.webhook_max_attempts)
    assert present(delivery.last_error).startswith("ConnectError")


def test_no_callback_url_no_delivery(app_client: TestClient) -> None:
    runtime = runtime_of(app_client)
    enrollment_id = make_case(app_client, runtime)
    review(app_client, runtime, enrollment_id, "approve", "identity_confirmed")
    with runtime.database.session() as session:
        assert WebhookDeliveries(session).of_enrollment(enrollment_id) == []
        assert present(Enrollments(session).get(enrollment_id)).status == "approved"


# --- a real worker ---------------------------------------------------------------------------------------------

RETRY_BASE_S = 0.4


@pytest.fixture(scope="module")
def distributed(tmp_path_factory: pytest.TempPathFactory, s3_endpoint: str) -> Iterator[tuple[Settings, TestClient]]:
    """The API publishing to Redis, and a worker process (thread pool: no biometric models needed) serving
    the light queue, with the webhook task module included."""
    redis_url = services.redis_db_url()
    tmp = tmp_path_factory.mktemp("webhooks-worker")
    with review_settings(tmp, s3_endpoint, broker_url=redis_url, result_backend=redis_url,
                         webhook_retry_base_seconds=RETRY_BASE_S) as settings:
        app = create_app(settings)
        env = {**worker_environment(settings), "IDV_WEBHOOK_RETRY_BASE_SECONDS": str(RETRY_BASE_S)}
        log = tmp / "worker.log"
        with log.open("wb") as out:
            worker = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "workers.app", "worker", "--include=workers.webhooks",
                 "--queues=light", "--pool=threads", "--concurrency=2", "--loglevel=INFO", "--without-gossip",
                 "--without-mingle", "--without-heartbeat"],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while b"ready." not in log.read_bytes():
                if worker.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"Celery worker did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.2)
            with TestClient(app, follow_redirects=False) as client:
                yield settings, client
        finally:
            worker.terminate()
            worker.wait(timeout=30)
            app.state.runtime.database.engine.dispose()


def test_a_worker_retries_with_exponential_backoff(distributed: tuple[Settings, TestClient],
                                                   receiver: Receiver) -> None:
    settings, client = distributed
    runtime = runtime_of(client)
    enrollment_id = make_case(client, runtime, callback_url=receiver.url)
    receiver.wait_for(1, timeout_s=30)  # the worker delivers the review event first
    receiver.script = [503, 503]
    receiver.received.clear()  # the review event the decision step sent
    review(client, runtime, enrollment_id, "approve", "identity_confirmed")
    receiver.wait_for(3, timeout_s=30)
    time.sleep(3 * RETRY_BASE_S)  # room for a fourth post, which must not come

    assert len(receiver.received) == 3
    times = [r.at for r in receiver.received]
    assert times[1] - times[0] >= RETRY_BASE_S and times[2] - times[1] >= 2 * RETRY_BASE_S
    verify_webhook(webhook_secret(runtime), receiver.received[-1].headers, receiver.received[-1].body,
                   datetime.now(UTC))
    delivery = the_delivery(runtime, enrollment_id)  # committed by the worker once the post returned
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 3)
    with runtime.database.session() as session:
        assert Assertions(session).of_enrollment(enrollment_id) is not None  # signed by the worker, first
