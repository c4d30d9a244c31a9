"""The whole liveness check (decoding, face mesh, actions, PAD, dlib continuity) on generated videos:
bona fide 3D heads pass, each attack fails for its own reason.

A handful of short videos is rendered once per module (about 20 s in all with the checks). The rates
over many videos per type are measured by `idv evaluate liveness` (tests/biometrics/test_liveness_evaluation.py).
Portraits come from ../shared/data/faces when present, scikit-image's astronaut otherwise.

Screen replays are not here: the moire signal catches only part of them (see biometrics.pad.moire and
the evaluation); a test on one chosen replay would only show which seed was chosen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from biometrics.challenge import Action
from biometrics.liveness import LivenessReason, LivenessResult, check_liveness
from biometrics.pad import PadReason
from biometrics.video import read_video
from synthetic.attacks import flat_photo, frozen, second_person, wrong_order
from synthetic.portraits import FALLBACK_IDENTITY, Portrait, load_portrait
from synthetic.selfie import render_selfie_video
from tests.shared_data import requires_shared_data

TURN_BLINK_TURN = (Action.TURN_LEFT, Action.BLINK, Action.TURN_RIGHT)
LOOK_TURN_MOUTH = (Action.LOOK_UP, Action.TURN_RIGHT, Action.OPEN_MOUTH)
TURN_LOOK_TURN = (Action.TURN_RIGHT, Action.LOOK_DOWN, Action.TURN_LEFT)
SECONDS_PER_ACTION = 1.0


@dataclass(frozen=True)
class Case:
    challenge: tuple[Action, ...]
    render: Callable[[Portrait, Portrait, tuple[Action, ...], Path, np.random.Generator], object]


def _bona_fide(person: Portrait, other: Portrait, challenge: tuple[Action, ...], path: Path,
               rng: np.random.Generator) -> object:
    return render_selfie_video(person.image, challenge, path, rng=rng, seconds_per_action=SECONDS_PER_ACTION)


def _attack(function: Callable[..., object], **options: object) -> Callable[..., object]:
    def render(person: Portrait, other: Portrait, challenge: tuple[Action, ...], path: Path,
               rng: np.random.Generator) -> object:
        extra = {"other": other.image} if function is second_person else {}
        return function(person.image, challenge, path, rng=rng, seconds_per_action=SECONDS_PER_ACTION,
                        **extra, **options)
    return render


CASES: dict[str, Case] = {
    "bona_fide_turns": Case(TURN_BLINK_TURN, _bona_fide),
    "bona_fide_look": Case(LOOK_TURN_MOUTH, _bona_fide),
    "flat_photo": Case(TURN_BLINK_TURN, _attack(flat_photo)),
    "flat_photo_turns_only": Case(TURN_LOOK_TURN, _attack(flat_photo)),
    "frozen_hold": Case(TURN_BLINK_TURN, _attack(frozen, mode="hold")),
    "frozen_stalls": Case(LOOK_TURN_MOUTH, _attack(frozen, mode="stalls")),
    "wrong_order": Case(TURN_BLINK_TURN, _attack(wrong_order)),
    "second_face_beside": Case(LOOK_TURN_MOUTH, _attack(second_person, mode="beside")),
}
# Needs two real identities (the bundled fallback has one): rendered only with the shared data.
SWAP = Case(TURN_BLINK_TURN, _attack(second_person, mode="swap"))


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], LivenessResult]:
    """Render a case's video on first use (seeded per case) and check it once."""
    folder = tmp_path_factory.mktemp("liveness_videos")
    done: dict[str, LivenessResult] = {}

    def result(name: str) -> LivenessResult:
        if name not in done:
            case = SWAP if name == "swap" else CASES[name]
            rng = np.random.default_rng(sorted([*CASES, "swap"]).index(name) + 11)
            person = load_portrait(rng)
            other = load_portrait(rng, exclude_identity=person.identity)
            path = folder / f"{name}.mp4"
            case.render(person, other, case.challenge, path, rng)
            done[name] = check_liveness(read_video(path), case.challenge)
        return done[name]

    return result


def _explain(result: LivenessResult) -> str:
    return f"{result.status}: {result.reasons}; pad {result.to_dict()['pad']}; actions {result.to_dict()['actions']}"


@pytest.mark.parametrize("name", ["bona_fide_turns", "bona_fide_look"])
def test_a_generated_live_head_passes(results: Callable[[str], LivenessResult], name: str) -> None:
    result = results(name)
    assert result.status == "pass", _explain(result)
    assert all(action.detected and action.in_order for action in result.actions)
    parallax = next(score for score in result.pad if score.name == "parallax")
    assert parallax.score is not None and parallax.score > parallax.threshold
    assert result.face_distance_max is not None and result.face_distance_max < 0.4  # one person throughout


def test_a_flat_photo_cannot_blink_and_its_turns_fall_short(results: Callable[[str], LivenessResult]) -> None:
    result = results("flat_photo")
    assert result.status == "fail", _explain(result)
    assert LivenessReason.ACTION_MISSING in result.reasons
    blink = next(action for action in result.actions if action.action is Action.BLINK)
    assert not blink.detected


def test_a_flat_photo_turned_and_tilted_is_refused(results: Callable[[str], LivenessResult]) -> None:
    """Only head movements asked: what stops the print is that a plane never reads as a 15-degree turn
    with a look down (the pose comes from the same nose-to-face geometry), or moves without parallax."""
    result = results("flat_photo_turns_only")
    assert result.status == "fail", _explain(result)
    assert {LivenessReason.ACTION_MISSING, PadReason.FLAT_MOTION} & set(result.reasons), _explain(result)
    assert not all(action.detected for action in result.actions)


@pytest.mark.parametrize("name", ["frozen_hold", "frozen_stalls"])
def test_a_frozen_stream_is_flagged(results: Callable[[str], LivenessResult], name: str) -> None:
    result = results(name)
    assert result.status == "fail", _explain(result)
    assert PadReason.FROZEN_FRAMES in result.reasons
    score = next(score for score in result.pad if score.name == "frozen_frames")
    assert score.score is not None and score.score > score.threshold


def test_actions_in_another_order_fail_as_wrong_order(results: Callable[[str], LivenessResult]) -> None:
    result = results("wrong_order")
    assert result.status == "fail", _explain(result)
    assert LivenessReason.ACTION_ORDER_WRONG in result.reasons
    assert all(action.detected for action in result.actions)  # every action was performed, out of order


def test_a_second_face_in_view_fails(results: Callable[[str], LivenessResult]) -> None:
    result = results("second_face_beside")
    assert result.status == "fail", _explain(result)
    assert LivenessReason.MULTIPLE_FACES in result.reasons


@requires_shared_data
@pytest.mark.shared_data
def test_another_person_taking_over_fails(results: Callable[[str], LivenessResult]) -> None:
    assert load_portrait(np.random.default_rng(0)).identity != FALLBACK_IDENTITY
    result = results("swap")
    assert result.status == "fail", _explain(result)
    assert LivenessReason.FACE_CHANGED in result.reasons
    assert result.face_distance_max is not None and result.face_distance_max > result.thresholds.max_face_distance
