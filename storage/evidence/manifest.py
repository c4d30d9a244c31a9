"""The signed manifest of an evidence dossier: its format, and signing and opening it.

A manifest is a compact JWS (ES256, `typ` "idv-dossier-manifest+jws", no expiry: it must verify for
years; verification.common.jws) over canonical JSON, signed with the key ring's "dossier" key:

    {"format": 1, "enrollment_id", "prefix", "version", "sealed_at", "retain_until", "data_key_id",
     "previous_sha256": SHA-256 of the previous manifest's JWS or null,
     "objects": [{"key", "role", "sha256", "size", "content_type", "created_at"}, ...]}  (sorted by key)

Manifests hold digests and object names, never evidence content; they are stored in clear so an
auditor can check them with the published JWKS alone. Erasure receipts are signed the same way.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from storage.evidence import layout
from verification.common.errors import CodedError
from verification.common.jws import SigningKey, TokenError, sign, verified_payload

MANIFEST_FORMAT = 1
MANIFEST_TYP = "idv-dossier-manifest+jws"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


class Role(StrEnum):
    CAPTURE = "capture"
    FRAME = "frame"
    CROP = "crop"
    CHECK_RESULT = "check_result"
    DECISION = "decision"
    REVIEW_ACTION = "review_action"
    ASSERTION = "assertion"
    ENROLLMENT = "enrollment"  # the enrollment's own facts: relying party, policy, status history


class DossierErrorCode(StrEnum):
    BAD_NAME = "dossier_bad_name"
    BAD_SIGNATURE = "manifest_bad_signature"
    MALFORMED = "manifest_malformed"
    ENTRY_MISMATCH = "dossier_entry_mismatch"
    ALREADY_ADDED = "dossier_object_already_added"
    RETENTION_SHORTENED = "dossier_retention_shortened"


class DossierError(CodedError):
    code: DossierErrorCode
    detail: str

    def __init__(self, code: DossierErrorCode, detail: str) -> None:
        super().__init__(code, detail)


def check_name(name: str) -> str:
    """A dossier's or an object's name, refused unless it is one plain path segment."""
    if not _NAME.fullmatch(name):
        raise DossierError(DossierErrorCode.BAD_NAME, f"{name!r}: letters, digits, '.', '_', '-' only")
    return name


def dossier_prefix(enrollment_id: str) -> str:
    return layout.dossier_prefix(check_name(enrollment_id))


@dataclass(frozen=True)
class ManifestEntry:
    key: str
    role: Role
    sha256: str
    size: int
    content_type: str
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "role": self.role.value, "sha256": self.sha256, "size": self.size,
                "content_type": self.content_type, "created_at": self.created_at.isoformat()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ManifestEntry:
        return cls(str(data["key"]), Role(data["role"]), str(data["sha256"]), int(data["size"]),
                   str(data["content_type"]), datetime.fromisoformat(data["created_at"]))


@dataclass(frozen=True)
class Manifest:
    enrollment_id: str
    version: int
    sealed_at: datetime
    retain_until: datetime
    data_key_id: str
    previous_sha256: str | None
    objects: tuple[ManifestEntry, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"format": MANIFEST_FORMAT, "enrollment_id": self.enrollment_id,
                "prefix": dossier_prefix(self.enrollment_id), "version": self.version,
                "sealed_at": self.sealed_at.isoformat(), "retain_until": self.retain_until.isoformat(),
                "data_key_id": self.data_key_id, "previous_sha256": self.previous_sha256,
                "objects": [entry.to_dict() for entry in self.objects]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Manifest:
        if data.get("format") != MANIFEST_FORMAT:
            raise ValueError(f"unknown manifest format {data.get('format')!r}")
        manifest = cls(str(data["enrollment_id"]), int(data["version"]), datetime.fromisoformat(data["sealed_at"]),
                       datetime.fromisoformat(data["retain_until"]), str(data["data_key_id"]),
                       data["previous_sha256"], tuple(ManifestEntry.from_dict(e) for e in data["objects"]))
        if data.get("prefix") != dossier_prefix(manifest.enrollment_id):
            raise ValueError("the manifest's prefix is not its enrollment's")
        return manifest


@dataclass(frozen=True)
class SealedManifest:
    manifest: Manifest
    object_key: str
    token: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.token.encode("ascii")).hexdigest()


def open_record(token: str, jwks: Mapping[str, Any], typ: str) -> dict[str, Any]:
    """The JSON payload of a token of type `typ` signed by one of the keys in `jwks` (a manifest, an
    erasure receipt), else `DossierError`: BAD_SIGNATURE, or MALFORMED for a payload that is no object."""
    try:
        payload = verified_payload(token, jwks, typ=typ)
    except TokenError as error:
        raise DossierError(DossierErrorCode.BAD_SIGNATURE, error.detail) from error
    try:
        data = json.loads(payload)
    except ValueError as error:
        raise DossierError(DossierErrorCode.MALFORMED, str(error)) from error
    if not isinstance(data, dict):
        raise DossierError(DossierErrorCode.MALFORMED, "the payload is not a JSON object")
    return data


def sign_manifest(manifest: Manifest, key: SigningKey) -> str:
    return sign(manifest.to_dict(), key, typ=MANIFEST_TYP)


def open_manifest(token: str, jwks: Mapping[str, Any]) -> Manifest:
    """The manifest of a token signed by one of the dossier keys in `jwks`, else `DossierError`."""
    data = open_record(token, jwks, MANIFEST_TYP)
    try:
        return Manifest.from_dict(data)
    except (KeyError, TypeError, ValueError) as error:
        raise DossierError(DossierErrorCode.MALFORMED, str(error)) from error
