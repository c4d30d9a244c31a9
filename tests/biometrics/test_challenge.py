from __future__ import annotations

import random
from itertools import pairwise

import pytest

from biometrics.challenge import TURNS, Action, draw_actions, parse_actions


@pytest.mark.parametrize("seed", range(200))
def test_drawn_challenges_have_three_distinct_actions_with_a_turn(seed: int) -> None:
    actions = draw_actions(random.Random(seed))
    assert len(set(actions)) == 3
    assert TURNS & set(actions)
    assert (Action.TURN_LEFT, Action.TURN_RIGHT) not in pairwise(actions)
    assert (Action.TURN_RIGHT, Action.TURN_LEFT) not in pairwise(actions)


def test_every_action_is_drawn_eventually() -> None:
    rng = random.Random(7)
    assert {a for _ in range(300) for a in draw_actions(rng)} == set(Action)


def test_parse_actions_rejects_unknown_names() -> None:
    assert parse_actions("turn_left, blink") == (Action.TURN_LEFT, Action.BLINK)
    with pytest.raises(ValueError):
        parse_actions("turn_left,jump")
