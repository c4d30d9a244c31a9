"""The one error base of the project: a stable, machine-readable code and a detail, no transport status.

Domain, storage and use-case errors derive from it; api/errors.py maps each code to an HTTP status once.
"""

from __future__ import annotations

from typing import Any


class CodedError(Exception):
    def __init__(self, code: str, detail: Any = None) -> None:
        super().__init__(f"{code}: {detail}" if detail is not None else code)
        # Kept as given: a StrEnum member stays one (callers compare codes by identity), and is a str.
        self.code, self.detail = code, detail
