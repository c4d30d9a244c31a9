"""A client of this service's own HTTP API, as a relying party plus its user's mobile app would drive it.

Used by `idv demo` and the end-to-end tests; works on any httpx.Client (a real connection, or FastAPI's
TestClient which is one).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, cast

import httpx

IN_PIPELINE = frozenset({"submitted", "processing"})


class ApiCallError(RuntimeError):
    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        try:
            self.body: Any = response.json()
        except ValueError:
            self.body = response.text
        super().__init__(f"HTTP {response.status_code}: {self.body}")


def _json(response: httpx.Response) -> dict[str, Any]:
    if response.is_error:
        raise ApiCallError(response)
    return cast(dict[str, Any], response.json())


class RelyingPartyClient:
    def __init__(self, http: httpx.Client, api_key: str) -> None:
        self.http = http
        self.headers = {"Authorization": f"Bearer {api_key}"}

    def create_enrollment(self, **body: Any) -> dict[str, Any]:
        return _json(self.http.post("/v1/enrollments", json=body, headers=self.headers))

    def result(self, enrollment_id: str) -> dict[str, Any]:
        return _json(self.http.get(f"/v1/enrollments/{enrollment_id}/result", headers=self.headers))

    def wait_result(self, enrollment_id: str, timeout_s: float, poll_s: float = 0.5) -> dict[str, Any]:
        """Poll the result until the pipeline is done with the submission and, when approved, the
        assertion is signed (a later task than the decision)."""
        deadline = time.monotonic() + timeout_s
        while True:
            current = self.result(enrollment_id)
            if current["status"] not in IN_PIPELINE and (current["status"] != "approved" or current["assertion"]):
                return current
            if time.monotonic() > deadline:
                raise TimeoutError(f"enrollment still {current['status']} after {timeout_s} s")
            time.sleep(poll_s)

    def jwks(self) -> dict[str, Any]:
        return _json(self.http.get("/.well-known/jwks.json"))


class MobileClient:
    """The app's side, holding the enrollment token."""

    def __init__(self, http: httpx.Client, enrollment_id: str, token: str) -> None:
        self.http = http
        self.base = f"/v1/enrollments/{enrollment_id}"
        self.headers = {"Authorization": f"Bearer {token}"}

    def upload(self, kind: str, content: bytes | Path, content_type: str, nonce: str | None = None) -> dict[str, Any]:
        headers = {**self.headers, "Content-Type": content_type}
        if nonce is not None:
            headers["X-Challenge-Nonce"] = nonce
        body = content.read_bytes() if isinstance(content, Path) else content
        return _json(self.http.put(f"{self.base}/captures/{kind}", content=body, headers=headers))

    def challenge(self) -> dict[str, Any]:
        return _json(self.http.post(f"{self.base}/challenge", headers=self.headers))

    def submit(self) -> dict[str, Any]:
        return _json(self.http.post(f"{self.base}/submit", headers=self.headers))

    def status(self) -> dict[str, Any]:
        return _json(self.http.get(f"{self.base}/status", headers=self.headers))
