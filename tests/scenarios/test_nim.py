"""Nim's own rules: its heaps and notation, its key, the nim-sum, its policies and facts.

What every game must do is tested in ``test_game_contract.py``, what it
shares with the other board games in ``test_board_games.py``, its parsers
and keys in ``test_scenario_parsers.py``.
"""

from __future__ import annotations

import itertools
import random
from functools import cache

import pytest

from rafa_async.scenarios import nim

GAME = nim.Nim()
START = nim.NimState.initial()


def play(*moves: str) -> nim.NimState:
    state = START
    for move in moves:
        state = state.play(move)
    return state


# -- rules ---------------------------------------------------------------------------


def test_a_moves_first_from_heaps_of_3_4_and_5() -> None:
    assert (START.heaps, START.to_play, START.key) == ((3, 4, 5), "A", "3,4,5/A")


def test_reset_gives_the_same_heaps_for_any_seed() -> None:
    assert GAME.reset(0) == GAME.reset(12345) == START


def test_a_move_takes_objects_from_one_heap_and_passes_the_turn() -> None:
    state = play("2:3")

    assert (state.heaps, state.to_play, state.moves) == ((3, 1, 5), "B", 1)


def test_the_legal_moves_take_any_number_from_any_heap_that_has_one() -> None:
    state = play("2:4")

    assert state.legal_moves() == ("1:1", "1:2", "1:3", "3:1", "3:2", "3:3", "3:4", "3:5")


def test_whoever_takes_the_last_object_wins() -> None:
    state = nim.state_from_key("0,0,1/B").play("3:1")

    assert (state.done, state.winner, state.result) == (True, "B", "B won")
    assert state.legal_moves() == ()


def test_the_last_move_is_announced_as_the_win() -> None:
    step = GAME.step(nim.state_from_key("0,0,1/B"), {"B": "3:1"})

    assert step.feedback["A"] == (
        "B played 3:1 in 0,0,1/B, giving 0,0,0/A; B wins (took the last object)."
    )


def test_a_game_always_has_a_winner() -> None:
    for seed in range(30):
        rng, state = random.Random(seed), START
        while not state.done:
            state = state.play(rng.choice(state.legal_moves()))
        assert state.winner in nim.PLAYERS, seed


@pytest.mark.parametrize(
    ("move", "why"),
    [
        ("4:1", r"there is no heap 4 \(heaps 1..3\)"),
        ("1:4", "heap 1 has only 3"),
        ("0:1", "not a move"),
        ("1:0", "not a move"),
        ("01:1", "not a move"),
        ("1:-1", "not a move"),
        ("2-3", "not a move"),
        (" 2:3", "not a move"),
    ],
)
def test_a_move_that_is_not_legal_says_why(move: str, why: str) -> None:
    with pytest.raises(ValueError, match=f"illegal move {move!r} for A: {why}"):
        START.play(move)


# -- the key ---------------------------------------------------------------------------


def test_the_key_names_the_player_to_move() -> None:
    a_to_move, b_to_move = play("1:1", "1:1"), play("1:2")

    assert a_to_move.heaps == b_to_move.heaps
    assert (a_to_move.key, b_to_move.key) == ("1,4,5/A", "1,4,5/B")
    assert a_to_move != b_to_move


def test_a_position_is_the_same_however_many_moves_led_there() -> None:
    slow, fast = play("1:1", "1:1", "2:1", "2:1"), play("1:2", "2:2")

    assert (slow.moves, fast.moves) == (4, 2)
    assert slow == fast and hash(slow) == hash(fast)
    assert nim.state_from_key(slow.key) == slow
    assert nim.state_from_key(slow.key).moves == 0


# -- the nim-sum ---------------------------------------------------------------------------


@cache
def wins(heaps: tuple[int, ...]) -> bool:
    """Whether the player to move wins with best play, by exhaustive search."""
    return any(not wins(nim.NimState(heaps, "A").play(m).heaps) for m in _moves(heaps))


def _moves(heaps: tuple[int, ...]) -> tuple[str, ...]:
    return nim.NimState(heaps, "A").legal_moves()


ALL_HEAPS = list(itertools.product(*(range(size + 1) for size in nim.START)))


def test_the_nim_sum_says_who_wins_as_a_full_search_does() -> None:
    for heaps in ALL_HEAPS:
        state = nim.NimState(heaps, "B")
        assert nim.value(state) == (1.0 if wins(heaps) else -1.0), heaps
        assert nim.value_for(state, "A") == -nim.value(state)


def test_the_best_moves_are_the_winning_ones_or_else_all() -> None:
    for heaps in ALL_HEAPS:
        state = nim.NimState(heaps, "A")
        winning = tuple(m for m in state.legal_moves() if not wins(state.play(m).heaps))
        assert nim.best_moves(state) == (winning or state.legal_moves()), heaps


def test_the_first_player_wins_from_the_start() -> None:
    assert nim.nim_sum(nim.START) == 2
    assert nim.value(START) == 1.0
    assert nim.best_moves(START) == ("1:2",)


def test_a_finished_game_is_lost_for_the_player_to_move() -> None:
    end = nim.state_from_key("0,0,0/A")

    assert (nim.value(end), nim.value_for(end, "B"), nim.best_moves(end)) == (-1.0, 1.0, ())


# -- policies ---------------------------------------------------------------------------


def finish(a: nim.PerfectPolicy | nim.RandomPolicy, b: nim.PerfectPolicy | nim.RandomPolicy) -> str:
    """Who wins a game of ``a`` (as A) against ``b`` (as B)."""
    state = START
    while not state.done:
        state = state.play((a if state.to_play == "A" else b).move(state))
    assert state.winner is not None
    return state.winner


def test_perfect_play_as_a_always_wins() -> None:
    for seed in [None, *range(20)]:
        opponents = (nim.PerfectPolicy(seed=None if seed is None else seed + 100),)
        if seed is not None:
            opponents += (nim.RandomPolicy(seed=seed),)
        for b in opponents:
            assert finish(nim.PerfectPolicy(seed=seed), b) == "A", (seed, b.name)


def test_perfect_play_as_b_wins_as_soon_as_random_play_slips() -> None:
    wins = [finish(nim.RandomPolicy(seed=seed), nim.PerfectPolicy()) for seed in range(200)]

    assert wins.count("B") > 190


def test_policies_refuse_to_move_in_a_finished_game() -> None:
    end = nim.state_from_key("0,0,0/B")
    for policy in (nim.PerfectPolicy(), nim.RandomPolicy()):
        with pytest.raises(ValueError, match=r"no move in a finished game \(A won\)"):
            policy.move(end)
