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

START = nim.NimState.initial()


def play(*moves: str) -> nim.NimState:
    state = START
    for move in moves:
        state = state.play(move)
    return state


# -- rules ---------------------------------------------------------------------------


def test_a_moves_first_from_heaps_of_3_4_and_5() -> None:
    assert (START.heaps, START.to_play, START.key) == ((3, 4, 5), "A", "3,4,5/A")


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
