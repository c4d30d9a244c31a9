"""Decision policies: versioned YAML files mapping check results to outcomes, and the thresholds the checks
apply (as data).

Optional sections override the checks' own defaults field by field; a section left out keeps the defaults
of its type: `document.quality` (verification.document.quality.QualityThresholds), `face_match.quality`
(biometrics.face_quality.FaceQualityPolicy), `liveness.thresholds` (biometrics.liveness.LivenessThresholds)
and within it `pad` (biometrics.pad.PadThresholds).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml

from biometrics.face_quality import FaceQualityPolicy
from biometrics.liveness import LivenessThresholds
from verification.document.policy import DocumentPolicy
from verification.document.quality import QualityThresholds

SHIPPED = Path(__file__).parent / "policies"


class ReviewMode(StrEnum):
    ALWAYS = "always"  # every automated approval waits for a human operator (PVID)
    ON_DOUBT = "on_doubt"  # only results near a threshold or inconclusive go to review


@dataclass(frozen=True)
class ScoreRule:
    """A threshold and the margin an automated approval needs beyond it."""

    threshold: float
    auto_margin: float


@dataclass(frozen=True)
class Policy:
    name: str
    version: str
    assurance_level: str
    human_review: ReviewMode
    max_resubmissions: int
    document: DocumentPolicy
    face_max_distance: ScoreRule
    face_quality: FaceQualityPolicy
    liveness_min_score: ScoreRule
    liveness: LivenessThresholds
    resubmit_reasons: frozenset[str]
    review_reasons: frozenset[str]  # reason codes of a failed check that a human reviews instead of a rejection
    retake_curable_reasons: frozenset[str]  # doubts a retake may cure, when a capture problem explains them
    user_visible_reasons: frozenset[str]

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> Policy:
        document, faces, liveness = data["document"], data["face_match"], data["liveness"]
        states = document.get("accepted_issuing_states")
        return cls(
            name=str(data["name"]),
            version=str(data["version"]),
            assurance_level=str(data["assurance_level"]),
            human_review=ReviewMode(data["human_review"]),
            max_resubmissions=int(data["max_resubmissions"]),
            document=DocumentPolicy(
                accepted_document_kinds=frozenset(document["accepted_kinds"]),
                accepted_issuing_states=frozenset(states) if states is not None else None,
                french_card_extension=bool(document["french_card_extension"]),
                quality=_overridden(QualityThresholds(), document.get("quality")),
            ),
            face_max_distance=ScoreRule(float(faces["max_distance"]), float(faces["auto_margin"])),
            face_quality=_overridden(FaceQualityPolicy(), faces.get("quality")),
            liveness_min_score=ScoreRule(float(liveness["min_score"]), float(liveness["auto_margin"])),
            liveness=_overridden(LivenessThresholds(), liveness.get("thresholds")),
            resubmit_reasons=frozenset(data.get("resubmit_reasons", ())),
            review_reasons=frozenset(data.get("review_reasons", ())),
            retake_curable_reasons=frozenset(data.get("retake_curable_reasons", ())),
            user_visible_reasons=frozenset(data.get("user_visible_reasons", ())),
        )


if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T", bound="DataclassInstance")


def _overridden(defaults: T, overrides: Mapping[str, Any] | None) -> T:
    """`defaults` (a dataclass) with the fields `overrides` names, each converted to its default's type;
    a nested dataclass field takes a nested mapping. An unknown name is an error, not a silent no-op."""
    if not overrides:
        return defaults
    names = {f.name for f in dataclasses.fields(defaults)}
    unknown = set(overrides) - names
    if unknown:
        raise ValueError(f"unknown {type(defaults).__name__} fields in the policy: {sorted(unknown)}")
    changes: dict[str, Any] = {}
    for name, value in overrides.items():
        default = getattr(defaults, name)
        nested = dataclasses.is_dataclass(default) and not isinstance(default, type)
        changes[name] = _overridden(default, value) if nested else type(default)(value)
    return dataclasses.replace(defaults, **changes)


def load_policy(name_or_path: str) -> Policy:
    """A shipped policy by name (`pvid-substantial`, `automated`) or a YAML file by path."""
    path = SHIPPED / f"{name_or_path}.yaml"
    if not path.is_file():
        path = Path(name_or_path)
    with path.open(encoding="utf-8") as stream:
        return Policy.from_mapping(yaml.safe_load(stream))
