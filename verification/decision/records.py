"""Check results as stored and read back by the steps that follow the checks (decision, face match,
assertion, review): one typed loader per check, so no step reads a check's JSON by hand.

A stored result is the check's `to_dict()` with a `schema_version` (`stored_details`); rows written before
the version was stored have none and read as version 1. A check that could not run on its input (an
undecodable video) stores only `{"error": ...}`; its status and reasons are the row's own columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from biometrics.portrait import PortraitLocation
from verification.common.outcome import CheckStatus
from verification.decision.rules import CheckName, CheckSummary
from verification.document.fields import DocumentFields
from verification.document.mrz.fields import MrzFields
from verification.identity.traits import TraitsComparison

# The stored shape of each check's details; a loader refuses a version newer than its own.
SCHEMA_VERSION = 2  # 2: the document check stores identity_fields; the traits check appears


def stored_details(details: Mapping[str, Any]) -> dict[str, Any]:
    """A check's `to_dict()` as it is stored: with the schema version its loader reads."""
    return {"schema_version": SCHEMA_VERSION, **details}


@dataclass(frozen=True)
class CheckRecord:
    """What every check stores: status, score, reasons; `error` when it could not run on its input."""

    name: ClassVar[CheckName]
    schema_version: int
    status: CheckStatus
    score: float | None
    reasons: tuple[str, ...]
    error: str | None

    @property
    def measure(self) -> float | None:
        """The value the policy's threshold applies to (CheckSummary.measure)."""
        return self.score

    def summary(self) -> CheckSummary:
        return CheckSummary(self.name, self.status, self.reasons, self.measure)


def _common(status: str, score: float | None, reasons: Sequence[str], details: Mapping[str, Any]) -> dict[str, Any]:
    version = int(details.get("schema_version", 1))
    if version > SCHEMA_VERSION:
        raise ValueError(f"check details of schema version {version}; this code reads up to {SCHEMA_VERSION}")
    return {"schema_version": version, "status": CheckStatus(status), "score": score, "reasons": tuple(reasons),
            "error": details.get("error")}


@dataclass(frozen=True)
class DocumentRecord(CheckRecord):
    name: ClassVar[CheckName] = CheckName.DOCUMENT
    fields: MrzFields | None  # the MRZ as read, when it was read at all
    document_kind: str | None
    expiry_date: date | None
    portrait: PortraitLocation | None  # on the images the check read (stills, then the video's chosen frames)
    portrait_frame: int | None  # the document video's frame showing the portrait (video captures only)
    # Each identity field with its source and whether it is confirmed (empty in records of schema 1).
    identity_fields: DocumentFields

    @classmethod
    def from_stored(cls, status: str, score: float | None, reasons: Sequence[str],
                    details: Mapping[str, Any]) -> DocumentRecord:
        expiry, portrait = details.get("expiry_date"), details.get("portrait")
        return cls(**_common(status, score, reasons, details),
                   fields=mrz_fields(details),
                   document_kind=details.get("document_kind"),
                   expiry_date=date.fromisoformat(expiry) if expiry else None,
                   portrait=None if portrait is None else PortraitLocation.from_dict(portrait),
                   portrait_frame=(details.get("video") or {}).get("portrait_frame"),
                   identity_fields=DocumentFields.from_dict(details.get("identity_fields") or {}))


@dataclass(frozen=True)
class FaceMatchRecord(CheckRecord):
    name: ClassVar[CheckName] = CheckName.FACE_MATCH
    distance: float | None  # the decision's measure: lower is more alike
    threshold: float | None
    model: str | None

    @property
    def measure(self) -> float | None:
        return self.distance

    @classmethod
    def from_stored(cls, status: str, score: float | None, reasons: Sequence[str],
                    details: Mapping[str, Any]) -> FaceMatchRecord:
        return cls(**_common(status, score, reasons, details), distance=details.get("distance"),
                   threshold=details.get("threshold"), model=details.get("model"))


@dataclass(frozen=True)
class LivenessRecord(CheckRecord):
    name: ClassVar[CheckName] = CheckName.LIVENESS
    face_distance_max: float | None
    pad: Mapping[str, float | None]  # PAD signal name -> score

    @classmethod
    def from_stored(cls, status: str, score: float | None, reasons: Sequence[str],
                    details: Mapping[str, Any]) -> LivenessRecord:
        return cls(**_common(status, score, reasons, details), face_distance_max=details.get("face_distance_max"),
                   pad=dict(details.get("pad") or {}))


def _comparison(data: Mapping[str, Any] | None) -> TraitsComparison | None:
    return None if data is None else TraitsComparison.from_dict(dict(data))


@dataclass(frozen=True)
class TraitsRecord(CheckRecord):
    name: ClassVar[CheckName] = CheckName.TRAITS
    declared: TraitsComparison | None  # the document's confirmed traits against the declared ones, if any
    ins: TraitsComparison | None  # and against the INS traits, if any

    @classmethod
    def from_stored(cls, status: str, score: float | None, reasons: Sequence[str],
                    details: Mapping[str, Any]) -> TraitsRecord:
        return cls(**_common(status, score, reasons, details), declared=_comparison(details.get("declared")),
                   ins=_comparison(details.get("ins")))


_LOADERS = {record.name: record.from_stored
            for record in (DocumentRecord, FaceMatchRecord, LivenessRecord, TraitsRecord)}


def load_check(name: CheckName, status: str, score: float | None, reasons: Sequence[str],
               details: Mapping[str, Any]) -> CheckRecord:
    """A stored check result (its row's status, score, reasons and details) as its typed record."""
    return _LOADERS[name](status, score, reasons, details)


def mrz_fields(details: Mapping[str, Any]) -> MrzFields | None:
    """The MRZ fields in the document check's stored details; None when no MRZ was read."""
    fields = (details.get("mrz") or {}).get("fields")
    return None if fields is None else MrzFields.from_dict(fields)


def reviewer_fields(details: Mapping[str, Any]) -> dict[str, Any]:
    """The MRZ fields a reviewer sees, by name (every decoded field; not the raw characters), from the
    document check's stored details; empty when no MRZ was read."""
    fields = mrz_fields(details)
    return {} if fields is None else {name: value for name, value in fields.to_dict().items() if name != "raw"}
