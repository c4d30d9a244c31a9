"""Canonical JSON: the one byte form of a JSON object that is hashed or signed.

Keys sorted, no whitespace, UTF-8 without escapes. Audit-log row hashes, dossier manifests, erasure
receipts and assertions are computed over it, so its output must never change: stored hashes and
signatures made years ago are checked against it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def canonical(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
