"""Connect Four's own board: falling pieces, its lines, the negamax search, its
policies, its facts, the oracle's depth.

What it shares with tic-tac-toe (the strict rules, the world model, the sim
oracle) is tested in ``test_board_games.py``, its parsers and keys in
``test_scenario_parsers.py``, what every game must do in ``test_game_contract.py``.
"""

from __future__ import annotations

import pytest
from scenario_support import play as play_moves

from rafa_async.scenarios import connect4 as c4
from rafa_async.scenarios.connect4 import _negamax

GAME = c4.ConnectFour()


def play(*moves: str) -> c4.ConnectFourState:
    return play_moves(GAME, *moves)


def midgame_states(games: int = 3) -> list[c4.ConnectFourState]:
    """Positions 4-20 moves into a few seeded random games, every third one."""
    states = []
    for seed in range(games):
        policy = c4.RandomPolicy(seed=seed)
        state = GAME.reset(0)
        while not state.done and state.moves < 20:
            if state.moves >= 4 and state.moves % 3 == 0:
                states.append(state)
            state = state.play(policy.move(state))
    return states


# -- rules ---------------------------------------------------------------------------


def test_red_moves_first_on_an_empty_board() -> None:
    state = GAME.reset(0)

    assert GAME.to_move(state) == ("R",)
    assert GAME.legal_actions(state, "R") == ("1", "2", "3", "4", "5", "6", "7")


def test_a_piece_falls_to_the_lowest_empty_cell() -> None:
    state = play("4", "4")

    assert state.board[3] == "R"  # row 1, column 4
    assert state.board[7 + 3] == "Y"  # row 2, column 4


@pytest.mark.parametrize(
    ("moves", "winner"),
    [
        (("1", "2", "1", "2", "1", "2", "1"), "R"),
        (("1", "1", "2", "2", "3", "3", "4"), "R"),
        (("1", "2", "2", "3", "7", "3", "3", "4", "7", "4", "6", "4", "4"), "R"),
        (("7", "6", "6", "5", "1", "5", "5", "4", "1", "4", "2", "4", "4"), "R"),
        (("1", "2", "1", "2", "1", "2", "7", "2"), "Y"),
    ],
    ids=["vertical", "horizontal", "diagonal", "anti-diagonal", "yellow-vertical"],
)
def test_four_in_a_line_wins(moves: tuple[str, ...], winner: str) -> None:
    before = play(*moves[:-1])

    step = GAME.step(before, {before.to_play: moves[-1]})

    assert before.winner is None
    assert step.state.winner == winner
    assert step.done


def test_a_full_column_is_illegal_and_the_error_lists_the_legal_columns() -> None:
    state = play("1", "1", "1", "1", "1", "1")

    assert "1" not in GAME.legal_actions(state, "R")
    with pytest.raises(ValueError, match=r"column 1 is full \(legal: 2, 3, 4, 5, 6, 7\)"):
        GAME.step(state, {"R": "1"})


# -- negamax -------------------------------------------------------------------------


def test_negamax_takes_an_immediate_win() -> None:
    state = play("2", "2", "3", "3", "4", "4")  # R has 2-3-4 on the bottom row

    assert set(c4.best_moves(state)) == {"1", "5"}
    assert c4.value(state) == 1.0


def test_negamax_blocks_an_immediate_loss() -> None:
    state = play("1", "1", "2", "2", "3")  # R threatens column 4

    assert c4.best_moves(state) == ("4",)


def test_an_unstoppable_double_threat_is_a_loss() -> None:
    state = play("2", "2", "3", "3", "4")  # R threatens columns 1 and 5

    assert c4.value_for(state, "Y") == -1.0


def test_the_empty_board_is_not_a_known_result_within_the_horizon() -> None:
    assert -1.0 < c4.value(GAME.reset(0)) < 1.0


def test_a_finished_game_has_no_best_moves() -> None:
    state = play("1", "2", "1", "2", "1", "2", "1")

    assert c4.best_moves(state) == ()
    assert c4.value_for(state, "R") == 1.0


def test_a_search_depth_below_one_ply_is_rejected() -> None:
    with pytest.raises(ValueError, match="depth must be >= 1"):
        c4.best_moves(GAME.reset(0), 0)


def _reference(state: c4.ConnectFourState, depth: int) -> int:
    """The same search semantics as ``_negamax``, without pruning or bitboards."""
    if state.moves == 42:
        return 0
    legal = state.legal_moves()
    if any(state.play(m).winner for m in legal):
        return _negamax.WIN - state.moves
    passing = c4.ConnectFourState(state.board, "Y" if state.to_play == "R" else "R", state.moves)
    threats = [m for m in legal if passing.play(m).winner]
    if len(threats) > 1:
        return -(_negamax.WIN - state.moves - 1)
    if depth == 0:
        pos, mask, _ = _negamax._bits(state.board)
        return _negamax._heuristic(pos, pos ^ mask, mask)
    return max(-_reference(state.play(m), depth - 1) for m in threats or legal)


def test_alpha_beta_finds_exactly_the_best_moves_of_a_full_search() -> None:
    for state in midgame_states(2):
        scores = {
            m: _negamax.WIN - state.moves if state.play(m).winner else -_reference(state.play(m), 2)
            for m in state.legal_moves()
        }
        top = max(scores.values())
        assert set(c4.best_moves(state, 3)) == {m for m, s in scores.items() if s == top}


def test_a_negamax_policy_beats_random_play() -> None:
    for seed in range(6):
        side = "R" if seed % 2 == 0 else "Y"
        searcher, rand = c4.NegamaxPolicy(depth=2), c4.RandomPolicy(seed=seed)
        state = GAME.reset(0)
        while not state.done:
            state = state.play((searcher if state.to_play == side else rand).move(state))
        assert state.winner == side, seed


# -- the sim oracle ------------------------------------------------------------------


def test_an_oracle_searching_less_than_two_plies_is_rejected() -> None:
    with pytest.raises(ValueError, match="at least 2 plies"):
        c4.ConnectFourOracle(depth=1)
