"""`idv demo`: one generated person enrolled end to end through the HTTP API, on the embedded defaults.

The API runs in this process (uvicorn on a free loopback port) with SQLite, an evidence directory and
eager Celery, so nothing outside the repository is needed. The demo then plays the relying party and the
mobile app over real HTTP: open an enrollment, upload a photographed passport, fetch a challenge, film a
generated 3D head answering it, submit, and read the decision and the signed assertion; as the procedure
tool would, it verifies the assertion against the JWKS and turns it into an FR Core Patient.
"""

from __future__ import annotations

import contextlib
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import httpx
import numpy as np

from api.cli.output import emit

DEMO_PARTY = "demo-hospital"
DEMO_KEY = "demo-relying-party-key-0123456789"


@contextlib.contextmanager
def _served(settings: Any) -> Iterator[str]:
    """The API on a free loopback port for the duration of the block; yields its base URL."""
    import uvicorn

    from api.app import create_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise click.ClickException("the demo API server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@click.command("demo")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("var/demo"),
              show_default=True, help="Where the SQLite database, evidence and keys go.")
@click.option("--policy", default="automated", show_default=True,
              help="Decision policy; pvid-substantial sends every approval to an operator.")
@click.option("--seed", type=int, default=None, help="Seed of the generated person (random by default).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
def demo(data_dir: Path, policy: str, seed: int | None, as_json: bool) -> None:
    """Enroll a generated person end to end and print the outcome."""
    from api.client import MobileClient, RelyingPartyClient
    from biometrics.challenge import Action
    from storage.settings import Settings
    from synthetic.applicants import document_photo, make_applicant, selfie_video
    from verification.common.jws import verify
    from verification.relying_party.fhir import patient_from_assertion

    settings = Settings(data_dir=data_dir, policy=policy, bootstrap_relying_parties=[f"{DEMO_PARTY}:{DEMO_KEY}"])
    rng = np.random.default_rng(seed)
    applicant = make_applicant(rng)
    started = time.monotonic()
    with _served(settings) as base_url, httpx.Client(base_url=base_url, timeout=300) as http, \
            tempfile.TemporaryDirectory() as scratch:
        party = RelyingPartyClient(http, DEMO_KEY)
        created = party.create_enrollment()
        app = MobileClient(http, created["enrollment_id"], created["enrollment_token"])
        app.upload("document_front", document_photo(applicant, rng), "image/jpeg")
        challenge = app.challenge()
        video = selfie_video(applicant, tuple(Action(a) for a in challenge["actions"]),
                             Path(scratch) / "selfie.mp4", rng)
        app.upload("selfie_video", video.path, "video/mp4", nonce=challenge["nonce"])
        app.submit()
        result = party.wait_result(created["enrollment_id"], timeout_s=600)
        jwks = party.jwks()
    decision = result["decision"] or {}
    claims = verify(result["assertion"], jwks, audience=DEMO_PARTY) if result["assertion"] else None
    output: dict[str, Any] = {
        "enrollment_id": result["enrollment_id"],
        "person": {"surname": applicant.person.surname, "given_names": list(applicant.person.given_names),
                   "document": applicant.person.document_kind.value, "portrait": applicant.portrait.source},
        "challenge": challenge["actions"],
        "status": result["status"],
        "decision": decision.get("outcome"),
        "reasons": decision.get("reasons", []),
        "checks": result["checks"],
        "assertion": result["assertion"],
        "claims": claims,
        "jwks": jwks,
        "fhir_patient": patient_from_assertion(claims, resource_id=result["enrollment_id"]) if claims else None,
        "elapsed_s": round(time.monotonic() - started, 1),
    }
    emit(output, as_json)
