"""Re-verifying a dossier from the store: manifest signatures and chain, every object's digest, nothing
unlisted. Each problem names its culprit (storage.evidence.dossier describes the layout)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from storage.evidence.crypto import IntegrityError, UnknownMasterKey
from storage.evidence.dossier import Dossier
from storage.evidence.encrypted import DataKeyMissing
from storage.evidence.manifest import DossierError, DossierErrorCode, Manifest, SealedManifest, open_manifest
from storage.evidence.store import ObjectNotFound
from storage.streams import digest_of


class DossierProblem(StrEnum):
    NO_MANIFEST = "no_manifest"
    MANIFEST_BAD_SIGNATURE = "manifest_bad_signature"
    MANIFEST_MALFORMED = "manifest_malformed"
    MANIFEST_MISSING = "manifest_missing"  # a gap in the version sequence
    MANIFEST_CHAIN_BROKEN = "manifest_chain_broken"  # previous_sha256 does not match the previous file
    MANIFEST_NOT_EXPECTED = "manifest_not_expected"  # latest differs from the digest recorded elsewhere
    DROPPED = "dropped_from_manifest"  # listed by an earlier manifest, missing or changed in a later one
    DATA_KEY_MISSING = "data_key_missing"
    DATA_KEY_UNUSABLE = "data_key_unusable"
    OBJECT_MISSING = "object_missing"
    OBJECT_TAMPERED = "object_tampered"  # decryption failed to authenticate
    DIGEST_MISMATCH = "digest_mismatch"
    UNLISTED = "unlisted_object"
    ERASED = "erased"  # at the end of its retention (storage.evidence.erasure), with a signed receipt


@dataclass(frozen=True)
class Problem:
    key: str
    problem: DossierProblem


@dataclass(frozen=True)
class DossierVerification:
    enrollment_id: str
    intact: bool
    objects: int  # objects checked against the manifest
    manifest_version: int | None
    manifest_sha256: str | None
    problems: tuple[Problem, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"enrollment_id": self.enrollment_id, "intact": self.intact, "objects": self.objects,
                "manifest_version": self.manifest_version, "manifest_sha256": self.manifest_sha256,
                "problems": [{"key": p.key, "problem": p.problem.value} for p in self.problems]}


_SIGNATURE_PROBLEMS = {DossierErrorCode.BAD_SIGNATURE: DossierProblem.MANIFEST_BAD_SIGNATURE,
                       DossierErrorCode.MALFORMED: DossierProblem.MANIFEST_MALFORMED}


def _check_manifests(dossier: Dossier, jwks: Mapping[str, Any],
                     problems: list[Problem]) -> SealedManifest | None:
    """Every manifest version in order; returns the newest one whose signature holds."""
    versions = dossier.manifest_versions()
    trusted: SealedManifest | None = None
    previous_digest: str | None = None  # of the previous version's stored bytes, whatever they are
    for version in range(1, max(versions, default=0) + 1):
        key = dossier.manifest_key(version)
        if version not in versions:
            problems.append(Problem(key, DossierProblem.MANIFEST_MISSING))
            previous_digest = None
            continue
        raw = dossier.store.read_bytes(key)
        token = raw.decode("ascii", errors="replace")
        follows_a_stored_version = version == 1 or previous_digest is not None
        expected_previous = previous_digest
        previous_digest = hashlib.sha256(raw).hexdigest()
        try:
            manifest = open_manifest(token, jwks)
        except DossierError as error:
            problems.append(Problem(key, _SIGNATURE_PROBLEMS[error.code]))
            continue
        if manifest.enrollment_id != dossier.enrollment_id or manifest.version != version:
            problems.append(Problem(key, DossierProblem.MANIFEST_MALFORMED))  # e.g. another dossier's
            continue
        # After a missing version, that gap is the report.
        if follows_a_stored_version and manifest.previous_sha256 != expected_previous:
            problems.append(Problem(key, DossierProblem.MANIFEST_CHAIN_BROKEN))
        if trusted is not None:
            later = set(manifest.objects)
            problems.extend(Problem(e.key, DossierProblem.DROPPED) for e in trusted.manifest.objects
                            if e not in later)
        trusted = SealedManifest(manifest, key, token)
    return trusted


def verify_dossier(dossier: Dossier, jwks: Mapping[str, Any], *,
                   expected_manifest_sha256: str | None = None) -> DossierVerification:
    """Re-verify a dossier from the store: manifest signatures and chain, then every listed object's
    plaintext SHA-256 by streaming decryption, then anything stored but not listed. Each problem names
    its culprit. `expected_manifest_sha256` (recorded in the database at seal time) also catches the
    removal of the newest manifest, which the store alone cannot show."""
    problems: list[Problem] = []
    trusted = _check_manifests(dossier, jwks, problems)
    checked = 0
    if trusted is None:
        if not problems:
            problems.append(Problem(f"{dossier.prefix}/manifests/", DossierProblem.NO_MANIFEST))
    else:
        if expected_manifest_sha256 is not None and trusted.sha256 != expected_manifest_sha256:
            problems.append(Problem(trusted.object_key, DossierProblem.MANIFEST_NOT_EXPECTED))
        checked = _check_objects(dossier, trusted.manifest, problems)
        # Entry notes are unsigned bookkeeping that a verifier never trusts; manifests are checked above.
        allowed = {dossier.evidence.data_key_object, *(e.key for e in trusted.manifest.objects),
                   *dossier.manifest_versions().values()}
        problems.extend(Problem(key, DossierProblem.UNLISTED) for key in dossier.store.keys(dossier.prefix + "/")
                        if key not in allowed and not key.startswith(f"{dossier.prefix}/entries/"))
    return DossierVerification(dossier.enrollment_id, not problems and trusted is not None, checked,
                               trusted.manifest.version if trusted else None, trusted.sha256 if trusted else None,
                               tuple(problems))


def _check_objects(dossier: Dossier, manifest: Manifest, problems: list[Problem]) -> int:
    data_key = dossier.evidence.data_key_object
    try:
        if dossier.evidence.load_data_key().data_key_id != manifest.data_key_id:
            problems.append(Problem(data_key, DossierProblem.DATA_KEY_UNUSABLE))
            return 0
    except DataKeyMissing:
        problems.append(Problem(data_key, DossierProblem.DATA_KEY_MISSING))
        return 0
    except (IntegrityError, UnknownMasterKey, ValueError, KeyError):
        problems.append(Problem(data_key, DossierProblem.DATA_KEY_UNUSABLE))
        return 0
    for entry in manifest.objects:
        try:
            found = digest_of(dossier.read(entry.key))
        except ObjectNotFound:
            problems.append(Problem(entry.key, DossierProblem.OBJECT_MISSING))
            continue
        except IntegrityError:
            problems.append(Problem(entry.key, DossierProblem.OBJECT_TAMPERED))
            continue
        if not found.matches(entry.sha256, entry.size):
            problems.append(Problem(entry.key, DossierProblem.DIGEST_MISMATCH))
    return len(manifest.objects)
