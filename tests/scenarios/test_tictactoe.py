"""Tic-tac-toe's own board: its lines and notation, exact minimax, its policies, its facts.

What it shares with Connect Four (the strict rules, the world model, the sim
oracle) is tested in ``test_board_games.py``, its parsers and keys in
``test_scenario_parsers.py``, what every game must do in ``test_game_contract.py``.
"""

from __future__ import annotations

import pytest
from scenario_support import play as play_moves

from rafa_async.scenarios import tictactoe as ttt

GAME = ttt.TicTacToe()


def play(*moves: str) -> ttt.TicTacToeState:
    return play_moves(GAME, *moves)


# -- rules ---------------------------------------------------------------------------


def test_x_moves_first_on_an_empty_board() -> None:
    state = GAME.reset(0)

    assert GAME.to_move(state) == ("X",)
    assert state.key == ".../.../..."


def test_reset_gives_the_same_board_for_any_seed() -> None:
    assert GAME.reset(0) == GAME.reset(12345)


def test_legal_actions_are_the_empty_cells_for_the_player_to_move() -> None:
    state = play("b2", "a1")

    assert GAME.legal_actions(state, "X") == ("b1", "c1", "a2", "c2", "a3", "b3", "c3")


@pytest.mark.parametrize(
    ("moves", "winner", "line"),
    [
        (("a1", "a2", "b1", "b2", "c1"), "X", ("a1", "b1", "c1")),
        (("a1", "b1", "a2", "b2", "a3"), "X", ("a1", "a2", "a3")),
        (("a1", "b1", "b2", "c1", "c3"), "X", ("a1", "b2", "c3")),
        (("c1", "a1", "b2", "b1", "a3"), "X", ("c1", "b2", "a3")),
        (("a1", "b1", "c3", "b2", "a3", "b3"), "O", ("b1", "b2", "b3")),
    ],
    ids=["row", "column", "diagonal", "anti-diagonal", "o-column"],
)
def test_three_in_a_line_wins(moves: tuple[str, ...], winner: str, line: tuple[str, ...]) -> None:
    state = play(*moves)

    assert state.winner == winner
    assert state.line == line
    assert state.done


DRAW = ("a1", "b2", "c3", "b1", "b3", "a3", "c1", "c2", "a2")


def test_a_taken_cell_is_illegal_and_the_error_lists_the_legal_moves() -> None:
    with pytest.raises(ValueError, match=r"b2 is taken by X \(legal: a1, .*c3\)"):
        GAME.step(play("b2"), {"O": "b2"})


# -- minimax -------------------------------------------------------------------------


def test_the_empty_board_is_a_draw_with_perfect_play() -> None:
    assert ttt.value(GAME.reset(0)) == 0.0


def test_an_immediate_win_is_the_only_best_move() -> None:
    # X: a3 b3, O: a2 b2; X to move wins on c3 (O would win on c2 next).
    state = ttt.state_from_key("XX./OO./...")

    assert ttt.best_moves(state) == ("c3",)
    assert ttt.value(state) == 1.0


def test_an_immediate_threat_is_blocked() -> None:
    # X threatens c3 (a1-b2-c3); O must take it.
    state = play("a1", "b1", "b2")

    assert ttt.best_moves(state) == ("c3",)


@pytest.mark.parametrize("reply", ["b1", "c1", "a2", "c2", "a3", "b3", "c3"])
def test_any_reply_to_a_corner_but_the_centre_loses(reply: str) -> None:
    assert ttt.value_for(play("a1", reply), "X") == 1.0


def test_the_centre_reply_to_a_corner_holds_the_draw() -> None:
    assert ttt.value_for(play("a1", "b2"), "X") == 0.0


def test_a_won_game_is_lost_for_the_player_to_move() -> None:
    state = play("a1", "a2", "b1", "b2", "c1")

    assert ttt.value(state) == -1.0
    assert ttt.value_for(state, "X") == 1.0
    assert ttt.best_moves(state) == ()


def test_perfect_play_against_perfect_play_always_draws() -> None:
    for seed in [None, *range(20)]:
        x, o = (
            ttt.PerfectPolicy(seed=seed),
            ttt.PerfectPolicy(seed=None if seed is None else seed + 100),
        )
        state = GAME.reset(0)
        while not state.done:
            state = state.play((x if state.to_play == "X" else o).move(state))
        assert state.winner is None, seed


def test_perfect_play_never_loses_to_random_play_in_200_games() -> None:
    results = []
    for seed in range(200):
        perfect_side = "X" if seed % 2 == 0 else "O"
        perfect, rand = ttt.PerfectPolicy(), ttt.RandomPolicy(seed=seed)
        state = GAME.reset(0)
        while not state.done:
            policy = perfect if state.to_play == perfect_side else rand
            state = state.play(policy.move(state))
        results.append(GAME.scores(state)[perfect_side])
    assert min(results) >= 0.5
    assert results.count(1.0) > 150


def test_policies_refuse_to_move_in_a_finished_game() -> None:
    with pytest.raises(ValueError, match="no move in a finished game"):
        ttt.PerfectPolicy().move(play(*DRAW))
