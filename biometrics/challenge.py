"""Liveness challenge actions and their geometric conventions (shared by the verifier and the generator).

Directions are the person's own: `turn_left` means the person turns their head to THEIR left.
Head pose angles are in degrees, computed in the camera frame of an unmirrored front-camera video:
- yaw > 0 when the person turns to their left (the nose moves towards the image's right edge);
- pitch > 0 when the person looks up.
"""

from __future__ import annotations

import random
from enum import StrEnum
from itertools import pairwise


class Action(StrEnum):
    TURN_LEFT = "turn_left"
    TURN_RIGHT = "turn_right"
    LOOK_UP = "look_up"
    LOOK_DOWN = "look_down"
    BLINK = "blink"
    OPEN_MOUTH = "open_mouth"


TURNS = frozenset({Action.TURN_LEFT, Action.TURN_RIGHT})


def draw_actions(rng: random.Random, count: int = 3) -> tuple[Action, ...]:
    """`count` distinct actions in random order, at least one of them a head turn: the passive
    planarity signal measures 3D parallax across a turn, so a challenge without one leaves it blind.
    Opposite movements never follow each other directly, so each starts from a frontal pose and is
    measured on its own."""
    opposite = {Action.TURN_LEFT: Action.TURN_RIGHT, Action.TURN_RIGHT: Action.TURN_LEFT,
                Action.LOOK_UP: Action.LOOK_DOWN, Action.LOOK_DOWN: Action.LOOK_UP}
    while True:
        actions = tuple(rng.sample(list(Action), count))
        if TURNS & set(actions) and all(opposite.get(a) != b for a, b in pairwise(actions)):
            return actions


def parse_actions(text: str) -> tuple[Action, ...]:
    """'turn_left,blink' -> (Action.TURN_LEFT, Action.BLINK); ValueError on an unknown action."""
    return tuple(Action(part.strip()) for part in text.split(",") if part.strip())
