"""Public keys for relying parties to verify assertions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from api.deps import RuntimeDep
from storage.keys import KeyUse

router = APIRouter(tags=["keys"])


@router.get("/.well-known/jwks.json")
def jwks(runtime: RuntimeDep, response: Response) -> dict[str, Any]:
    response.headers["Cache-Control"] = "public, max-age=300"
    return runtime.keys().jwks(uses=[KeyUse.ASSERTION])
