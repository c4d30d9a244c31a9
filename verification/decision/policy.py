"""Decision policies: versioned YAML files mapping check results to outcomes (thresholds as data)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

SHIPPED = Path(__file__).parent / "policies"


class ReviewMode(StrEnum):
    ALWAYS = "always"  # every automated approval waits for a human operator (PVID)
    ON_DOUBT = "on_doubt"  # only results near a threshold or inconclusive go to review


@dataclass(frozen=True)
class DocumentRules:
    accepted_kinds: frozenset[str]
    accepted_issuing_states: frozenset[str] | None
    french_card_extension: bool


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
    document: DocumentRules
    face_max_distance: ScoreRule
    liveness_min_score: ScoreRule
    resubmit_reasons: frozenset[str]
    user_visible_reasons: frozenset[str]

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> Policy:
        document = data["document"]
        states = document.get("accepted_issuing_states")
        return cls(
            name=str(data["name"]),
            version=str(data["version"]),
            assurance_level=str(data["assurance_level"]),
            human_review=ReviewMode(data["human_review"]),
            max_resubmissions=int(data["max_resubmissions"]),
            document=DocumentRules(
                accepted_kinds=frozenset(document["accepted_kinds"]),
                accepted_issuing_states=frozenset(states) if states is not None else None,
                french_card_extension=bool(document["french_card_extension"]),
            ),
            face_max_distance=ScoreRule(float(data["face_match"]["max_distance"]),
                                        float(data["face_match"]["auto_margin"])),
            liveness_min_score=ScoreRule(float(data["liveness"]["min_score"]), float(data["liveness"]["auto_margin"])),
            resubmit_reasons=frozenset(data.get("resubmit_reasons", ())),
            user_visible_reasons=frozenset(data.get("user_visible_reasons", ())),
        )


def load_policy(name_or_path: str) -> Policy:
    """A shipped policy by name (`pvid-substantial`, `automated`) or a YAML file by path."""
    path = SHIPPED / f"{name_or_path}.yaml"
    if not path.is_file():
        path = Path(name_or_path)
    with path.open(encoding="utf-8") as stream:
        return Policy.from_mapping(yaml.safe_load(stream))
