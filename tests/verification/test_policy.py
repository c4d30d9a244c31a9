"""The policy's optional threshold sections: left out, the checks' own defaults; given, they override them
field by field and reach the checks' types."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from biometrics.face_quality import FaceQualityPolicy
from biometrics.liveness import LivenessThresholds
from biometrics.pad import PadThresholds
from verification.decision.policy import SHIPPED, Policy, load_policy
from verification.document.policy import DocumentPolicy
from verification.document.quality import QualityThresholds


def _shipped(name: str) -> dict[str, Any]:
    with (SHIPPED / f"{name}.yaml").open(encoding="utf-8") as stream:
        data: dict[str, Any] = yaml.safe_load(stream)
    return data


@pytest.mark.parametrize("name", ["pvid-substantial", "automated"])
def test_the_shipped_policies_apply_the_checks_defaults(name: str) -> None:
    policy = load_policy(name)
    assert policy.document == DocumentPolicy()
    assert policy.face_quality == FaceQualityPolicy()
    assert policy.liveness == LivenessThresholds()


def test_optional_sections_override_the_defaults_field_by_field(tmp_path: Path) -> None:
    data = _shipped("automated")
    data["document"]["quality"] = {"min_sharpness": 80}
    data["face_match"]["quality"] = {"min_inter_eye_px": 40}
    data["liveness"]["thresholds"] = {"turn_deg": 20, "pad": {"max_moire_ratio": 10}}
    path = tmp_path / "custom.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    policy = load_policy(str(path))
    assert policy.document.quality == QualityThresholds(min_sharpness=80.0)
    assert policy.document.accepted_document_kinds == DocumentPolicy().accepted_document_kinds
    assert policy.face_quality == FaceQualityPolicy(min_inter_eye_px=40.0)
    assert policy.liveness == LivenessThresholds(turn_deg=20.0, pad=PadThresholds(max_moire_ratio=10.0))
    assert isinstance(policy.liveness.turn_deg, float)


def test_a_misspelt_threshold_is_refused() -> None:
    data = _shipped("automated")
    data["liveness"]["thresholds"] = {"turn_degrees": 20}
    with pytest.raises(ValueError, match="turn_degrees"):
        Policy.from_mapping(data)
